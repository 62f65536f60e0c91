"""``weighbridge inspect``: one resolution, then the scan, the licence, provenance and openness in one Report."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .. import license as licensing
from .. import openness, provenance
from ..core.policy import Policy
from ..core.report import Report, Snapshot
from ..formats.base import Limits
from ..license.ancestors import resolve_ancestors
from ..license.findings import licence_findings
from ..policy import evaluate
from .api import resolve_target
from .engine import Progress, scan_snapshot

if TYPE_CHECKING:
    from ..audit.summary import AuditSummary


def inspect(
    target: str,
    *,
    download: bool = False,
    workers: int | None = None,
    limits: Limits | None = None,
    progress: Progress | None = None,
    publishers_file: str | os.PathLike[str] | None = None,
    screening_csv: str | os.PathLike[str] | None = None,
    policy: Policy | None = None,
    audit: AuditSummary | None = None,
) -> Report:
    """Scan ``target`` and add what its licence lets you do, where it comes from and how open it is, and,
    with a ``policy`` (``weighbridge.policy.load_policy``), the organization's pass/warn/fail verdict;
    ``audit`` (the summary of a behaviour audit of this model) is checked against the policy's ``audit:`` rules.

    Raises ``WeighbridgeError`` for input errors (including an unusable publishers file or screening CSV).
    """
    snapshot = resolve_target(target, download=download)
    report = scan_snapshot(snapshot, workers=workers, limits=limits, progress=progress)
    return add_analyses(
        report,
        snapshot,
        publishers_file=publishers_file,
        screening_csv=screening_csv,
        policy=policy,
        audit=audit,
    )


def add_analyses(
    report: Report,
    snapshot: Snapshot,
    *,
    publishers_file: str | os.PathLike[str] | None = None,
    screening_csv: str | os.PathLike[str] | None = None,
    policy: Policy | None = None,
    audit: AuditSummary | None = None,
) -> Report:
    """Add to a scan ``report`` of ``snapshot`` what ``inspect`` adds: licence, provenance, openness and,
    with a ``policy``, the verdict. Fleet scans call it on reports assembled from cached file results."""
    report.license = licensing.analyse_snapshot(snapshot)
    report.findings.extend(licence_findings(report.license))
    report.findings.sort(key=lambda f: (-f.severity, f.path, f.rule))
    report.provenance = provenance.analyse(
        snapshot, publishers_file=publishers_file, screening_csv=screening_csv
    )
    report.inherited = tuple(resolve_ancestors(report.provenance))
    identity = report.license.identity
    report.openness = openness.classify(
        snapshot,
        weights_license_id=identity.id if identity is not None else None,
        weights_license_osi=identity.osi_approved if identity is not None else None,
    )
    if policy is not None:
        report.policy = evaluate(policy, report, audit=audit)
    return report
