"""What the inventory, a model page and a diff show, read from the database (no file is read)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.findings import Severity
from ..core.registry import Decision, DecisionRecord, VersionRecord
from .errors import NotFound
from .models import AuditRow, DecisionRow, File, FindingRow, LineageEdge, Model, ReportRow, Version
from .queries import find_version, latest_report, latest_version_ids, model_row, parents, record, report_doc
from .store import decision_record, iso


def version_dict(rec: VersionRecord) -> dict[str, Any]:
    return {
        "id": rec.id,
        "model": rec.model,
        "source": rec.source,
        "revision": rec.revision,
        "manifest_digest": rec.manifest_digest,
        "decision": rec.decision.value,
        "signature": rec.signature.value,
        "derived_from": rec.derived_from,
        **rec.extra,
    }


def inventory(
    session: Session,
    *,
    query: str | None,
    decision: Decision | None,
    license_family: str | None,
    jurisdiction: str | None,
    min_severity: Severity | None,
    all_versions: bool,
) -> list[VersionRecord]:
    stmt = select(Version).join(Model, Model.id == Version.model_id)
    if not all_versions:
        latest = latest_version_ids(session)
        stmt = stmt.join(latest, latest.c.id == Version.id)
    if query:
        digest = query.lower().removeprefix("sha256:")
        stmt = stmt.where(
            Model.name.icontains(query, autoescape=True)
            | Version.source.icontains(query, autoescape=True)
            | Version.manifest_digest.startswith(digest, autoescape=True)
        )
    if decision is not None:
        stmt = stmt.where(Version.decision == decision.value)
    if license_family is not None:
        stmt = stmt.where(Version.license_family == license_family.lower())
    if jurisdiction is not None:
        stmt = stmt.where(Version.jurisdiction == jurisdiction.upper())
    if min_severity is not None:
        stmt = stmt.where(Version.max_severity >= int(min_severity))
    rows = session.execute(stmt.order_by(Model.name, Version.id)).scalars().all()
    return [record(session, v, with_files=False) for v in rows]


def history(session: Session, model_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(DecisionRow, Version.manifest_digest)
        .join(Version, Version.id == DecisionRow.version_id)
        .where(Version.model_id == model_id)
        .order_by(DecisionRow.id)
    ).all()
    return [decision_record(row, digest).to_dict() for row, digest in rows]


def detail(session: Session, version: Version) -> dict[str, Any]:
    rec = record(session, version)
    report_row = latest_report(session, version.id)
    doc = report_doc(report_row) or {}
    files = (
        session.execute(select(File).where(File.version_id == version.id).order_by(File.path)).scalars().all()
    )
    findings: list[FindingRow] = []
    if report_row is not None:
        findings = list(
            session.execute(
                select(FindingRow)
                .where(FindingRow.report_id == report_row.id)
                .order_by(FindingRow.severity.desc(), FindingRow.path, FindingRow.rule)
            )
            .scalars()
            .all()
        )
    ups = parents(session, version.id)
    children = session.execute(
        select(Model.name, Version.manifest_digest, LineageEdge.relation)
        .join(Version, Version.id == LineageEdge.child_version_id)
        .join(Model, Model.id == Version.model_id)
        .where(LineageEdge.parent_model_id == version.model_id)
        .order_by(LineageEdge.id)
    ).all()
    audits = (
        session.execute(select(AuditRow).where(AuditRow.version_id == version.id).order_by(AuditRow.id))
        .scalars()
        .all()
    )
    reports = session.execute(
        select(ReportRow.id, ReportRow.kind, ReportRow.created_at, ReportRow.verdict, ReportRow.max_severity)
        .where(ReportRow.version_id == version.id)
        .order_by(ReportRow.id)
    ).all()
    decisions = (
        session.execute(
            select(DecisionRow).where(DecisionRow.version_id == version.id).order_by(DecisionRow.id)
        )
        .scalars()
        .all()
    )
    return {
        "model": rec.model,
        "version": version_dict(rec),
        "files": [{"path": f.path, "size": f.size, "sha256": f.sha256, "format": f.format} for f in files],
        "findings": [
            {
                "rule": f.rule,
                "check": f.check,
                "severity": Severity(f.severity).label,
                "path": f.path,
                "title": f.title,
                "detail": f.detail,
                "evidence": f.evidence,
                "location": json.loads(f.location_json) if f.location_json else None,
            }
            for f in findings
        ],
        "license": doc.get("license"),
        "provenance": doc.get("provenance"),
        "openness": doc.get("openness"),
        "policy": doc.get("policy"),
        "inherited": doc.get("inherited", []),
        "lineage": {
            "parents": [
                {
                    "model": name,
                    "version": digest,
                    "relation": edge.relation,
                    "recorded_at": iso(edge.created_at),
                }
                for edge, name, digest in ups
            ],
            "children": [
                {"model": name, "version": digest, "relation": rel} for name, digest, rel in children
            ],
        },
        "obligations": [ob for edge, _, _ in ups for ob in json.loads(edge.obligations_json)],
        "audits": [
            {"id": a.id, "recorded_at": iso(a.created_at), "summary": json.loads(a.summary_json)}
            for a in audits
        ],
        "history": [decision_record(d, version.manifest_digest).to_dict() for d in decisions],
        "reports": [
            {
                "id": i,
                "kind": k,
                "recorded_at": iso(at),
                "verdict": verdict,
                "max_severity": Severity(top).label if top is not None else "none",
            }
            for i, k, at, verdict, top in reports
        ],
    }


def diff(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """What changed from version page ``a`` to ``b``: files, findings, licence, summary, decision."""
    fa = {f["path"]: f for f in a["files"]}
    fb = {f["path"]: f for f in b["files"]}
    changed = [
        {"path": p, "a": fa[p], "b": fb[p]}
        for p in sorted(fa.keys() & fb.keys())
        if (fa[p]["sha256"], fa[p]["size"]) != (fb[p]["sha256"], fb[p]["size"])
    ]

    def key(f: dict[str, Any]) -> tuple[str, str, str, str]:
        return (f["rule"], f["path"], f["severity"], f["detail"])

    ka = {key(f): f for f in a["findings"]}
    kb = {key(f): f for f in b["findings"]}
    la, lb = a.get("license") or {}, b.get("license") or {}
    terms_a, terms_b = la.get("terms") or {}, lb.get("terms") or {}
    fields = (
        "decision",
        "max_severity",
        "verdict",
        "license_id",
        "license_family",
        "jurisdiction",
        "openness_class",
        "derived_from",
    )
    return {
        "a": {"model": a["model"], "version": a["version"]["manifest_digest"]},
        "b": {"model": b["model"], "version": b["version"]["manifest_digest"]},
        "same_manifest": a["version"]["manifest_digest"] == b["version"]["manifest_digest"],
        "files": {
            "added": sorted(fb.keys() - fa.keys()),
            "removed": sorted(fa.keys() - fb.keys()),
            "changed": changed,
            "unchanged": len(fa.keys() & fb.keys()) - len(changed),
        },
        "findings": {
            "added": [kb[k] for k in sorted(kb.keys() - ka.keys())],
            "removed": [ka[k] for k in sorted(ka.keys() - kb.keys())],
        },
        "license": {
            "a": la.get("id"),
            "b": lb.get("id"),
            "changed": la.get("id") != lb.get("id"),
            "terms_changed": {
                k: {"a": terms_a.get(k), "b": terms_b.get(k)}
                for k in sorted(terms_a.keys() | terms_b.keys())
                if terms_a.get(k) != terms_b.get(k)
            },
        },
        "summary": {
            f: {"a": a["version"].get(f), "b": b["version"].get(f)}
            for f in fields
            if a["version"].get(f) != b["version"].get(f)
        },
    }


def diff_pair(session: Session, model_a: str, model_b_or_version: str) -> tuple[Version, Version]:
    """The two versions ``Registry.diff`` compares, older first: the newest of ``model_a`` and another model's
    newest, or one of ``model_a``'s own versions (the same one: against the version before it)."""
    a = find_version(session, model_a)
    try:
        b = find_version(session, model_a, model_b_or_version)
        if b.id == a.id:  # one version against the one before it
            older = session.execute(
                select(Version)
                .where(Version.model_id == a.model_id, Version.id < a.id)
                .order_by(Version.id.desc())
                .limit(1)
            ).scalar()
            a, b = (older, a) if older is not None else (a, b)
        else:
            a, b = (b, a) if b.id < a.id else (a, b)
    except NotFound:
        try:
            b = find_version(session, model_b_or_version)
        except NotFound:
            raise NotFound(
                f"{model_b_or_version!r} is neither a version of {model_a} nor a model in the registry"
            ) from None
    return a, b


def model_history(session: Session, model: str) -> list[DecisionRecord]:
    rows = session.execute(
        select(DecisionRow, Version.manifest_digest)
        .join(Version, Version.id == DecisionRow.version_id)
        .where(Version.model_id == model_row(session, model).id)
        .order_by(DecisionRow.id)
    ).all()
    return [decision_record(row, digest) for row, digest in rows]
