"""``fleet_summary(registry) -> FleetSummary``: the registry at a glance, for ``weighbridge fleet summary`` and the
dashboard. Counts come from the inventory (the newest version of every model); verdict flips and the newest
findings from the stored reports (``Registry.newest_findings``, ``Registry.report_verdicts``), in two read
queries whatever the fleet's size. No model file is read."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from ..core.findings import Severity
from ..core.registry import FleetSummary, VerdictFlip

if TYPE_CHECKING:
    from ..registry import Registry

NEWEST_FINDINGS = 20
SEVERITY_ORDER = [s.label for s in sorted(Severity, reverse=True)] + ["none"]


def fleet_summary(
    registry: Registry, *, newest: int = NEWEST_FINDINGS, min_severity: Severity = Severity.MEDIUM
) -> FleetSummary:
    """Counts by decision, verdict, licence family, jurisdiction and highest severity over the newest version
    of every model; the ``newest`` most recent findings at or above ``min_severity`` (of each version's latest
    report: a finding recorded again by a later report is listed once); every model whose
    policy verdict changed between its last two reports that had one."""
    latest = registry.list_versions()
    every = registry.list_versions(all_versions=True)
    severities = Counter(str(v.extra.get("max_severity") or "none") for v in latest)
    return FleetSummary(
        models=len({v.model for v in latest}),
        versions=len(every),
        by_decision=_sorted(Counter(v.decision.value for v in latest)),
        by_verdict=_sorted(Counter(str(v.extra.get("verdict") or "none") for v in latest)),
        by_license_family=_sorted(Counter(str(v.extra.get("license_family") or "unknown") for v in latest)),
        by_jurisdiction=_sorted(Counter(str(v.extra.get("jurisdiction") or "unknown") for v in latest)),
        by_max_severity={s: severities[s] for s in SEVERITY_ORDER if severities[s]},
        newest_findings=tuple(registry.newest_findings(newest, min_severity)),
        flips=tuple(_flips(registry)),
    )


def _sorted(counts: Counter[str]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _flips(registry: Registry) -> list[VerdictFlip]:
    """A model flipped when its newest version's last two verdicts differ (a new policy, new rules), or, with
    a single verdict so far, when it differs from the previous version's last one (a new revision)."""
    versions: dict[str, dict[int, list[tuple[str, str, str | None]]]] = {}
    for row in registry.report_verdicts():
        versions.setdefault(row.model, {}).setdefault(row.version_id, []).append(
            (row.verdict, row.version, row.at)
        )
    flips = []
    for name, by_version in sorted(versions.items()):
        ids = sorted(by_version)
        newest = by_version[ids[-1]]
        if len(newest) >= 2:
            before = newest[-2][0]
        elif len(ids) >= 2:
            before = by_version[ids[-2]][-1][0]
        else:
            continue
        after, digest, at = newest[-1]
        if before != after:
            flips.append(VerdictFlip(model=name, version=digest, before=before, after=after, at=at))
    return flips
