"""Reads: find a model's version, build its ``VersionRecord``, load its stored report; what admission
asks before it decides (known bytes, a decision's policy, lineage); the fleet overview's bulk reads."""

from __future__ import annotations

import json
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.orm import Session

from ..core.findings import Severity
from ..core.registry import (
    Decision,
    DecisionAction,
    FileDigest,
    FleetFinding,
    ReportVerdict,
    SignatureStatus,
    VersionRecord,
)
from .errors import NotFound
from .models import DecisionRow, File, FindingRow, LineageEdge, Model, PolicyRow, ReportRow, Version
from .store import iso


def model_row(session: Session, name: str) -> Model:
    model = session.execute(select(Model).where(Model.name == name)).scalar_one_or_none()
    if model is None:
        raise NotFound(f"no model named {name!r} in the registry")
    return model


def find_version(session: Session, name: str, version: str | None = None, *, lock: bool = False) -> Version:
    """The model's newest version, or the one whose revision, manifest digest or digest prefix (7+ hex
    characters) is ``version``."""
    model = model_row(session, name)
    query = select(Version).where(Version.model_id == model.id)
    if version is None:
        query = query.order_by(Version.id.desc()).limit(1)
    else:
        wanted = version.strip().lower().removeprefix("sha256:")
        exact = session.execute(
            select(Version.id)
            .where(
                Version.model_id == model.id,
                (Version.revision == version) | (Version.manifest_digest == wanted),
            )
            .order_by(Version.id.desc())
        ).first()
        if exact is not None:
            query = query.where(Version.id == exact[0])
        elif len(wanted) >= 7 and all(c in "0123456789abcdef" for c in wanted):
            ids = (
                session.execute(
                    select(Version.id).where(
                        Version.model_id == model.id, Version.manifest_digest.startswith(wanted)
                    )
                )
                .scalars()
                .all()
            )
            if len(ids) > 1:
                raise NotFound(f"{name}: version prefix {version!r} is ambiguous ({len(ids)} versions)")
            query = query.where(Version.id == (ids[0] if ids else -1))
        else:
            query = query.where(Version.id == -1)
    if lock:
        query = query.with_for_update()
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        raise NotFound(f"{name}: no version {version!r}" if version else f"{name}: no versions recorded")
    return row


def parents(session: Session, version_id: int) -> list[tuple[LineageEdge, str, str | None]]:
    """(edge, parent model name, parent version digest) for a version, oldest edge first."""
    rows = session.execute(
        select(LineageEdge, Model.name, Version.manifest_digest)
        .join(Model, Model.id == LineageEdge.parent_model_id)
        .outerjoin(Version, Version.id == LineageEdge.parent_version_id)
        .where(LineageEdge.child_version_id == version_id)
        .order_by(LineageEdge.id)
    ).all()
    return [(edge, name, digest) for edge, name, digest in rows]


def record(session: Session, version: Version, *, with_files: bool = True) -> VersionRecord:
    files = _files(session, version.id) if with_files else ()
    up = parents(session, version.id)
    return _record(version, version.model.name, files, (up[0][0].relation, up[0][1]) if up else None)


_VERSIONS = cast(Table, Version.__table__)
_MODELS = cast(Table, Model.__table__)
_FILES = cast(Table, File.__table__)
_LINEAGE = cast(Table, LineageEdge.__table__)
_VERSION_ROW = (
    select(_VERSIONS, _MODELS.c.name.label("model_name"))
    .join(_MODELS, _MODELS.c.id == _VERSIONS.c.model_id)
    .where(_VERSIONS.c.id == bindparam("id"))
)
_FILE_ROWS = (
    select(_FILES.c.path, _FILES.c.size, _FILES.c.sha256)
    .where(_FILES.c.version_id == bindparam("id"))
    .order_by(_FILES.c.path)
)
_FIRST_PARENT = (
    select(_LINEAGE.c.relation, _MODELS.c.name)
    .join(_MODELS, _MODELS.c.id == _LINEAGE.c.parent_model_id)
    .where(_LINEAGE.c.child_version_id == bindparam("id"))
    .order_by(_LINEAGE.c.id)
    .limit(1)
)


def record_by_id(session: Session, version_id: int) -> VersionRecord:
    """``record`` of the version with this id, read with three prepared Core queries (no ORM objects): what
    ``record_report`` hands back after every write."""
    conn = session.connection()
    row = conn.execute(_VERSION_ROW, {"id": version_id}).one()
    files = tuple(
        FileDigest(path=p, size=s, sha256=h)
        for p, s, h in conn.execute(_FILE_ROWS, {"id": version_id})
        if h is not None
    )
    parent = conn.execute(_FIRST_PARENT, {"id": version_id}).first()
    return _record(row, row.model_name, files, (parent[0], parent[1]) if parent is not None else None)


def _files(session: Session, version_id: int) -> tuple[FileDigest, ...]:
    rows = session.execute(
        select(File.path, File.size, File.sha256).where(File.version_id == version_id).order_by(File.path)
    ).all()
    return tuple(FileDigest(path=p, size=s, sha256=h) for p, s, h in rows if h is not None)


def _record(
    version: Any, model_name: str, files: tuple[FileDigest, ...], parent: tuple[str, str] | None
) -> VersionRecord:
    """A ``VersionRecord`` from a version (ORM object or row with the same attribute names), its model's
    name, its files and its first parent edge (relation, parent model name)."""
    top = version.max_severity
    extra: dict[str, Any] = {
        "recorded_at": iso(version.created_at),
        "decided_at": iso(version.decided_at),
        "max_severity": Severity(top).label if top is not None else "none",
        "verdict": version.verdict,
        "license_id": version.license_id,
        "license_family": version.license_family,
        "jurisdiction": version.jurisdiction,
        "openness_class": version.openness_class,
        "relation": parent[0] if parent else None,
    }
    return VersionRecord(
        id=version.id,
        model=model_name,
        source=version.source,
        revision=version.revision,
        manifest_digest=version.manifest_digest,
        decision=Decision(version.decision),
        files=files,
        signature=SignatureStatus(version.signature),
        derived_from=parent[1] if parent else None,
        extra=extra,
    )


def latest_report(session: Session, version_id: int, prefer: str = "inspect") -> ReportRow | None:
    """The newest report of ``prefer`` kind, else the newest of any kind."""
    for kinds in ((prefer,), None):
        query = select(ReportRow).where(ReportRow.version_id == version_id)
        if kinds is not None:
            query = query.where(ReportRow.kind.in_(kinds))
        row = session.execute(query.order_by(ReportRow.id.desc()).limit(1)).scalar_one_or_none()
        if row is not None:
            return row
    return None


def report_doc(row: ReportRow | None) -> dict[str, Any] | None:
    return json.loads(row.report_json) if row is not None else None


def latest_version_ids(session: Session) -> Any:
    """A subquery: the newest version id of every model."""
    return select(func.max(Version.id).label("id")).group_by(Version.model_id).subquery()


def version_by_id(session: Session, version_id: int, *, lock: bool = False) -> Version:
    query = select(Version).where(Version.id == version_id)
    return session.execute(query.with_for_update() if lock else query).scalar_one()


def last_action(session: Session, version_id: int) -> DecisionAction | None:
    """What produced the version's latest decision, if any."""
    last = session.execute(
        select(DecisionRow.action)
        .where(DecisionRow.version_id == version_id)
        .order_by(DecisionRow.id.desc())
        .limit(1)
    ).scalar()
    return DecisionAction(last) if last else None


def known_version(session: Session, digest: str) -> Version | None:
    """The version holding these bytes that the registry decided about last (under any name); bytes only
    recorded by scans so far have none."""
    return session.execute(
        select(Version)
        .join(DecisionRow, DecisionRow.version_id == Version.id)
        .where(Version.manifest_digest == digest)
        .order_by(DecisionRow.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def decision_policy(session: Session, version_id: int) -> PolicyRow | None:
    """The stored policy of the version's latest decision made under one."""
    sha = session.execute(
        select(DecisionRow.policy_sha256)
        .where(DecisionRow.version_id == version_id, DecisionRow.policy_sha256.is_not(None))
        .order_by(DecisionRow.id.desc())
        .limit(1)
    ).scalar()
    if sha is None:
        return None
    return session.execute(
        select(PolicyRow).where(PolicyRow.sha256 == sha).order_by(PolicyRow.id).limit(1)
    ).scalar_one_or_none()


def same_files_elsewhere(session: Session, digest: str, model: str) -> list[tuple[str, str]]:
    """(model name, decision) of every version with this manifest digest recorded under another name."""
    rows = session.execute(
        select(Model.name, Version.decision)
        .join(Model, Model.id == Version.model_id)
        .where(Version.manifest_digest == digest, Model.name != model)
        .order_by(Model.name)
    ).all()
    return [(name, decision) for name, decision in rows]


def carried_obligations(session: Session, version_id: int) -> list[dict[str, Any]]:
    """The licence obligations a version's parents carried down to it."""
    return [ob for edge, _, _ in parents(session, version_id) for ob in json.loads(edge.obligations_json)]


def parent_docs(session: Session, version_id: int) -> list[tuple[str, str, dict[str, Any] | None]]:
    """(parent model name, relation, the parent version's latest report) for each recorded parent."""
    out = []
    for edge, parent_name, _ in parents(session, version_id):
        parent_version = session.get(Version, edge.parent_version_id) if edge.parent_version_id else None
        doc = report_doc(latest_report(session, parent_version.id)) if parent_version else None
        out.append((parent_name, edge.relation, doc))
    return out


def latest_version_id_list(session: Session) -> list[int]:
    """The newest version id of every model, in id order."""
    latest = select(Version.id).where(Version.id.in_(select(latest_version_ids(session).c.id)))
    return list(session.execute(latest.order_by(Version.id)).scalars().all())


def newest_findings(session: Session, limit: int, min_severity: Severity) -> list[FleetFinding]:
    """The ``limit`` most recent findings at or above ``min_severity`` of each version's latest report."""
    if limit <= 0:
        return []
    stmt = (
        select(
            Model.name,
            Version.manifest_digest,
            FindingRow.rule,
            FindingRow.severity,
            FindingRow.title,
            FindingRow.path,
            ReportRow.created_at,
        )
        .join(ReportRow, ReportRow.id == FindingRow.report_id)
        .join(Version, Version.latest_report_id == ReportRow.id)  # a version's current findings, once
        .join(Model, Model.id == Version.model_id)
        .where(FindingRow.severity >= int(min_severity))
        .order_by(ReportRow.id.desc(), FindingRow.severity.desc(), FindingRow.path, FindingRow.rule)
        .limit(limit)
    )
    return [
        FleetFinding(
            model=name,
            version=digest,
            rule=rule,
            severity=Severity(sev).label,
            title=title,
            path=path,
            at=iso(at),
        )
        for name, digest, rule, sev, title, path, at in session.execute(stmt).all()
    ]


def report_verdicts(session: Session) -> list[ReportVerdict]:
    """Every stored report's policy verdict (reports without one left out), in the order they were recorded."""
    stmt = (
        select(Model.name, Version.id, Version.manifest_digest, ReportRow.verdict, ReportRow.created_at)
        .join(Version, Version.id == ReportRow.version_id)
        .join(Model, Model.id == Version.model_id)
        .where(ReportRow.verdict.is_not(None))
        .order_by(ReportRow.id)
    )
    return [
        ReportVerdict(model=name, version_id=version_id, version=digest, verdict=verdict or "", at=iso(at))
        for name, version_id, digest, verdict, at in session.execute(stmt).all()
    ]
