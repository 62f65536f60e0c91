"""``fleet_summary(registry) -> FleetSummary``: the registry at a glance, for ``weighbridge fleet summary`` and the
dashboard. Counts come from the inventory (the newest version of every model); verdict flips and the newest
findings from the stored reports, in two read queries whatever the fleet's size. No model file is read."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from ..core.findings import Severity
from ..core.registry import FleetFinding, FleetSummary, VerdictFlip

if TYPE_CHECKING:
    from ..registry import Registry

NEWEST_FINDINGS = 20
SEVERITY_ORDER = [s.label for s in sorted(Severity, reverse=True)] + ["none"]


def fleet_summary(registry: Registry, *, newest: int = NEWEST_FINDINGS,
                  min_severity: Severity = Severity.MEDIUM) -> FleetSummary:
    """Counts by decision, verdict, licence family, jurisdiction and highest severity over the newest version
    of every model; the ``newest`` most recent findings at or above ``min_severity`` (of each version's latest
    report: a finding recorded again by a later report is listed once); every model whose
    policy verdict changed between its last two reports that had one."""
    latest = registry.list_versions()
    every = registry.list_versions(all_versions=True)
    severities = Counter(str(v.get("max_severity") or "none") for v in latest)
    return FleetSummary(
        models=len({v["model"] for v in latest}),
        versions=len(every),
        by_decision=_sorted(Counter(str(v["decision"]) for v in latest)),
        by_verdict=_sorted(Counter(str(v.get("verdict") or "none") for v in latest)),
        by_license_family=_sorted(Counter(str(v.get("license_family") or "unknown") for v in latest)),
        by_jurisdiction=_sorted(Counter(str(v.get("jurisdiction") or "unknown") for v in latest)),
        by_max_severity={s: severities[s] for s in SEVERITY_ORDER if severities[s]},
        newest_findings=tuple(_newest_findings(registry, newest, min_severity)),
        flips=tuple(_flips(registry)),
    )


def _sorted(counts: Counter[str]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _newest_findings(registry: Registry, limit: int, min_severity: Severity) -> list[FleetFinding]:
    from ..registry.db import read_session
    from ..registry.models import FindingRow, Model, ReportRow, Version
    from ..registry.store import iso

    if limit <= 0:
        return []
    stmt = (select(Model.name, Version.manifest_digest, FindingRow.rule, FindingRow.severity, FindingRow.title,
                   FindingRow.path, ReportRow.created_at)
            .join(ReportRow, ReportRow.id == FindingRow.report_id)
            .join(Version, Version.latest_report_id == ReportRow.id)  # a version's current findings, once
            .join(Model, Model.id == Version.model_id)
            .where(FindingRow.severity >= int(min_severity))
            .order_by(ReportRow.id.desc(), FindingRow.severity.desc(), FindingRow.path, FindingRow.rule)
            .limit(limit))
    with read_session(registry.engine) as session:
        rows = session.execute(stmt).all()
    return [FleetFinding(model=name, version=digest, rule=rule, severity=Severity(sev).label, title=title,
                         path=path, at=iso(at)) for name, digest, rule, sev, title, path, at in rows]


def _flips(registry: Registry) -> list[VerdictFlip]:
    """A model flipped when its newest version's last two verdicts differ (a new policy, new rules), or, with
    a single verdict so far, when it differs from the previous version's last one (a new revision)."""
    from ..registry.db import read_session
    from ..registry.models import Model, ReportRow, Version
    from ..registry.store import iso

    stmt = (select(Model.name, Version.id, Version.manifest_digest, ReportRow.verdict, ReportRow.created_at)
            .join(Version, Version.id == ReportRow.version_id)
            .join(Model, Model.id == Version.model_id)
            .where(ReportRow.verdict.is_not(None))
            .order_by(ReportRow.id))
    with read_session(registry.engine) as session:
        rows = session.execute(stmt).all()
    versions: dict[str, dict[int, list[tuple[str, str, Any]]]] = {}
    for name, version_id, digest, verdict, at in rows:
        verdicts = versions.setdefault(name, {}).setdefault(version_id, [])
        verdicts.append((verdict or "", digest, at))
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
            flips.append(VerdictFlip(model=name, version=digest, before=before, after=after, at=iso(at)))
    return flips
