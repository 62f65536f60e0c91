"""Evaluate a report against an organization policy: every check gives reasons; the worst outcome decides."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.policy import Outcome, Policy, PolicyVerdict, Reason
from ..core.report import Report
from .audit_checks import audit_reasons as audit_section_reasons
from .inherited_checks import inherited_reasons
from .license_checks import license_reasons
from .model_checks import (
    audit_reasons,
    integrity_reasons,
    jurisdiction_reasons,
    openness_reasons,
    remote_code_reasons,
    screening_reasons,
    severity_reasons,
)

if TYPE_CHECKING:
    from ..audit.summary import AuditSummary


def evaluate(policy: Policy, report: Report, audit: AuditSummary | None = None) -> PolicyVerdict:
    """The verdict of ``report`` (from ``weighbridge.inspect``) under ``policy``: pass, warn or fail.

    A plain scan report (no licence, provenance or openness) is evaluated too: what was not assessed warns or
    fails as the policy's rules say. ``audit`` (a behaviour audit's summary) is checked against the policy's
    optional ``audit:`` section.
    """
    rules = policy.rules
    reasons: list[Reason] = license_reasons(policy, report.license)
    reasons.extend(inherited_reasons(policy, report))
    for check in (
        openness_reasons,
        jurisdiction_reasons,
        remote_code_reasons,
        severity_reasons,
        integrity_reasons,
        screening_reasons,
        audit_reasons,
    ):
        reasons.extend(check(rules, report))
    reasons.extend(audit_section_reasons(policy.audit, audit))
    verdict = max((r.outcome for r in reasons), key=lambda o: o.rank, default=Outcome.PASS)
    return PolicyVerdict(policy=policy.name, policy_file=policy.file, verdict=verdict, reasons=tuple(reasons))
