"""An organization's policy and the verdict of one report against it (``weighbridge.policy``). Plain
dataclasses and enums: no I/O, no parsing."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .provenance import _without_none

if TYPE_CHECKING:
    from .findings import Severity


# --- Policy ---
# An organization's intended use and rules (``weighbridge.policy``, read from YAML) and the verdict of one
# report against them: pass, warn or fail, with every reason tied to a rule and to what decided it.


class Outcome(enum.StrEnum):
    """The result of one policy check. Ordered by ``rank`` so the worst decides the verdict."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"

    @property
    def rank(self) -> int:
        return {"pass": 0, "warn": 1, "fail": 2}[self.value]


@dataclass(frozen=True, slots=True)
class IntendedUse:
    """What the organization plans to do with the model. ``None`` numbers are unknown."""

    commercial: bool = False
    monthly_active_users: int | None = None
    annual_revenue_usd: int | None = None
    regions: tuple[str, ...] = ()  # ISO 3166-1 alpha-2 codes, "EU" or "EEA"
    sectors: tuple[str, ...] = ()
    redistribute_weights: bool = False
    host_for_others: bool = False
    outputs_train_other_models: bool = False
    fine_tuning: bool = False
    derivative_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "commercial": self.commercial,
            "monthly_active_users": self.monthly_active_users,
            "annual_revenue_usd": self.annual_revenue_usd,
            "regions": list(self.regions),
            "sectors": list(self.sectors),
            "redistribute_weights": self.redistribute_weights,
            "host_for_others": self.host_for_others,
            "outputs_train_other_models": self.outputs_train_other_models,
            "fine_tuning": self.fine_tuning,
            "derivative_name": self.derivative_name,
        }


@dataclass(frozen=True, slots=True)
class PolicyRules:
    """What the organization accepts. ``None`` allow-lists mean "no restriction"."""

    allowed_license_families: tuple[str, ...] | None = None
    denied_license_families: tuple[str, ...] = ()
    osi_only: bool = False
    required_openness_class: int | None = None  # MOF class 1, 2 or 3 (1 is the most open)
    required_osaid: str | None = None  # "open-source-ai"
    allowed_jurisdictions: tuple[str, ...] | None = None  # of the publisher and of every ancestor
    denied_jurisdictions: tuple[str, ...] = ()
    remote_code: str = "warn"  # "forbid" | "warn" | "allow"
    max_scan_severity: Severity | None = None
    required_audits: tuple[str, ...] = ()
    screening_hits: str | None = None  # "fail" | "warn"; None: screening not required, hits warn

    def to_dict(self) -> dict[str, Any]:
        allowed = self.allowed_license_families
        jurisdictions = self.allowed_jurisdictions
        return {
            "allowed_license_families": list(allowed) if allowed is not None else None,
            "denied_license_families": list(self.denied_license_families),
            "osi_only": self.osi_only,
            "required_openness_class": self.required_openness_class,
            "required_osaid": self.required_osaid,
            "allowed_jurisdictions": list(jurisdictions) if jurisdictions is not None else None,
            "denied_jurisdictions": list(self.denied_jurisdictions),
            "remote_code": self.remote_code,
            "max_scan_severity": self.max_scan_severity.label if self.max_scan_severity else None,
            "required_audits": list(self.required_audits),
            "screening_hits": self.screening_hits,
        }


@dataclass(frozen=True, slots=True)
class AsymmetryLimit:
    """At most ``points`` percentage points more non-compliance on ``country`` than on the control countries,
    for prompts of ``kind`` in ``language`` (the policy's ``audit.max_asymmetry`` entries)."""

    country: str
    language: str
    points: float
    kind: str = "criticism"

    def to_dict(self) -> dict[str, Any]:
        return {"country": self.country, "language": self.language, "points": self.points, "kind": self.kind}


@dataclass(frozen=True, slots=True)
class AuditRules:
    """The policy's ``audit:`` section, checked against a behaviour audit's summary. Limits are percentages."""

    require_audit: bool = False
    max_asymmetry: tuple[AsymmetryLimit, ...] = ()
    max_over_refusal: float | None = None
    max_injection_followed: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "require_audit": self.require_audit,
            "max_asymmetry": [a.to_dict() for a in self.max_asymmetry],
            "max_over_refusal": self.max_over_refusal,
            "max_injection_followed": self.max_injection_followed,
        }


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    intended_use: IntendedUse = field(default_factory=IntendedUse)
    rules: PolicyRules = field(default_factory=PolicyRules)
    description: str | None = None
    file: str | None = None  # where it was read from
    audit: AuditRules | None = None  # the optional ``audit:`` section

    def to_dict(self) -> dict[str, Any]:
        out = {
            "name": self.name,
            "description": self.description,
            "file": self.file,
            "intended_use": self.intended_use.to_dict(),
            "rules": self.rules.to_dict(),
        }
        if self.audit is not None:
            out["audit"] = self.audit.to_dict()
        return out


@dataclass(frozen=True, slots=True)
class PolicyEvidence:
    """What decided a reason: a licence quote (``source`` "license"), a finding ("finding", with its rule id),
    a provenance or openness citation ("provenance", "openness") or the policy itself ("policy")."""

    source: str
    file: str | None = None
    line: int | None = None
    quote: str | None = None
    key: str | None = None
    rule: str | None = None  # the finding's rule id

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            **_without_none(
                (
                    ("file", self.file),
                    ("line", self.line),
                    ("quote", self.quote),
                    ("key", self.key),
                    ("rule", self.rule),
                )
            ),
        }


@dataclass(frozen=True, slots=True)
class Reason:
    rule: str  # the policy key that asked for the check ("rules.osi_only", "intended_use.regions"…)
    outcome: Outcome
    message: str
    evidence: tuple[PolicyEvidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "outcome": self.outcome.value,
            "message": self.message,
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(frozen=True, slots=True)
class PolicyVerdict:
    policy: str  # the policy's name
    policy_file: str | None
    verdict: Outcome
    reasons: tuple[Reason, ...]

    def outcomes(self) -> dict[str, Outcome]:
        """Rule → its worst outcome."""
        out: dict[str, Outcome] = {}
        for r in self.reasons:
            if r.rule not in out or r.outcome.rank > out[r.rule].rank:
                out[r.rule] = r.outcome
        return out

    def to_dict(self) -> dict[str, Any]:
        counts = {o.value: sum(1 for r in self.reasons if r.outcome is o) for o in Outcome}
        return {
            "name": self.policy,
            "file": self.policy_file,
            "verdict": self.verdict.value,
            "counts": counts,
            "reasons": [r.to_dict() for r in self.reasons],
        }
