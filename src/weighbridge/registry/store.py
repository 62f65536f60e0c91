"""Writes inside one transaction: models, versions, files, reports with their findings, decisions, policies.

Inserts that can race with another writer use ``INSERT … ON CONFLICT DO NOTHING`` and then read the row, so
two processes recording the same version both end up with the one row."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..core.registry import Decision, DecisionAction, DecisionRecord
from ..core.types import Report
from .models import DecisionRow, File, FindingRow, Model, PolicyRow, ReportRow, Version
from .summary import canonical_json, content_digest, summarize


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 UTC with a ``Z``; SQLite hands back naive datetimes, which are UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def insert_ignore(session: Session, table: Table, values: dict[str, Any] | list[dict[str, Any]],
                  conflict: list[str]) -> int:
    """INSERT … ON CONFLICT (columns) DO NOTHING, in the session's dialect; the number of rows inserted."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table).values(values).on_conflict_do_nothing(index_elements=conflict)
    return len(session.execute(statement.returning(table.c.id)).all())


def upsert_model(session: Session, name: str) -> int:
    insert_ignore(session, Model.__table__, {"name": name, "created_at": now()}, ["name"])  # type: ignore[arg-type]
    return session.execute(select(Model.id).where(Model.name == name)).scalar_one()


def upsert_version(session: Session, model_id: int, digest: str, revision: str | None, source: str) -> int:
    insert_ignore(session, Version.__table__, {  # type: ignore[arg-type]
        "model_id": model_id, "manifest_digest": digest, "revision": revision, "source": source,
        "created_at": now(), "decision": Decision.NEEDS_REVIEW.value, "signature": "unsigned"},
        ["model_id", "manifest_digest"])
    return session.execute(select(Version.id).where(Version.model_id == model_id,
                                                    Version.manifest_digest == digest)).scalar_one()


def insert_files(session: Session, version_id: int, report: Report) -> None:
    rows = [{"version_id": version_id, "path": f.path, "size": f.size, "sha256": f.sha256, "format": f.format}
            for f in report.files]
    for start in range(0, len(rows), 500):
        insert_ignore(session, File.__table__, rows[start:start + 500], ["version_id", "path"])  # type: ignore[arg-type]


def insert_report(session: Session, version_id: int, kind: str, report: Report) -> tuple[int, bool]:
    """The report's row id, and whether it is new. A new report's findings become rows and its summary
    becomes the version's."""
    doc = report.to_dict()
    digest = content_digest(doc)
    summary = summarize(report)
    inserted = insert_ignore(session, ReportRow.__table__, {  # type: ignore[arg-type]
        "version_id": version_id, "kind": kind, "content_sha256": digest, "created_at": now(),
        "tool_version": report.tool_version, "policy_name": summary.policy_name, **summary.columns(),
        "report_json": canonical_json(doc)}, ["version_id", "kind", "content_sha256"])
    report_id = session.execute(select(ReportRow.id).where(
        ReportRow.version_id == version_id, ReportRow.kind == kind,
        ReportRow.content_sha256 == digest)).scalar_one()
    if not inserted:
        return report_id, False
    if report.findings:
        session.execute(insert(FindingRow), [{
            "report_id": report_id, "rule": f.rule, "check": f.check.value, "severity": int(f.severity),
            "path": f.path, "title": f.title, "detail": f.detail, "evidence": f.evidence,
            "location_json": json.dumps(f.location.to_dict()) if f.location else None} for f in report.findings])
    session.execute(update(Version).where(Version.id == version_id).values(
        latest_report_id=report_id, **summary.columns()))
    return report_id, True


def add_decision(session: Session, version: Version, decision: Decision, action: DecisionAction, *, actor: str,
                 reason: str, policy_name: str | None = None, policy_sha256: str | None = None,
                 reasons: list[dict[str, Any]] | None = None) -> DecisionRecord:
    """Append to the version's history and make it the version's current decision. The caller holds the
    version row locked (``with_for_update``), so a version's history is in the order it was written."""
    at = now()
    session.add(DecisionRow(version_id=version.id, decision=decision.value, action=action.value, actor=actor,
                            reason=reason, policy_name=policy_name, policy_sha256=policy_sha256,
                            reasons_json=json.dumps(reasons or []), at=at))
    version.decision = decision.value
    version.decided_at = at
    session.flush()
    return DecisionRecord(decision=decision, action=action, actor=actor, reason=reason, at=iso(at) or "",
                          policy=policy_name, reasons=tuple(reason_lines(reasons or [])),
                          version=version.manifest_digest, policy_sha256=policy_sha256)


def reason_lines(reasons: list[dict[str, Any]]) -> list[str]:
    return [f"{r.get('outcome')}: {r.get('rule')}: {r.get('message')}" for r in reasons]


def decision_record(row: DecisionRow, digest: str) -> DecisionRecord:
    return DecisionRecord(decision=Decision(row.decision), action=DecisionAction(row.action), actor=row.actor,
                          reason=row.reason, at=iso(row.at) or "", policy=row.policy_name,
                          reasons=tuple(reason_lines(json.loads(row.reasons_json))), version=digest,
                          policy_sha256=row.policy_sha256)


def store_policy(session: Session, name: str, sha256: str, text: str) -> None:
    insert_ignore(session, PolicyRow.__table__, {  # type: ignore[arg-type]
        "name": name, "sha256": sha256, "yaml_text": text, "uploaded_at": now()}, ["name", "sha256"])
