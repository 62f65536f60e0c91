"""Writes inside one transaction: models, versions, files, reports with their findings, decisions, policies.

Inserts that can race with another writer use ``INSERT … ON CONFLICT DO NOTHING`` and then read the row, so
two processes recording the same version both end up with the one row."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..core.registry import Decision, DecisionAction, DecisionRecord
from ..core.report import Report
from .models import DecisionRow, File, FindingRow, Model, PolicyRow, ReportRow, Version
from .summary import canonical_json, summarize


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 UTC with a ``Z``; SQLite hands back naive datetimes, which are UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def insert_ignore(
    session: Session, table: Table, values: dict[str, Any] | list[dict[str, Any]], conflict: list[str]
) -> int:
    """INSERT … ON CONFLICT (columns) DO NOTHING, in the session's dialect; the number of rows inserted."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table).values(values).on_conflict_do_nothing(index_elements=conflict)
    return len(session.execute(statement.returning(table.c.id)).all())


# The statements ``record_report`` runs for every report, built once per dialect and executed with bound
# parameters through the session's connection (Core): SQLAlchemy then reuses their compiled form instead of
# building, keying and compiling a new statement per row. A fleet scan records hundreds of reports per minute
# from one coordinator thread, and that per-statement overhead was most of its CPU.
_MODELS = cast(Table, Model.__table__)
_VERSIONS = cast(Table, Version.__table__)
_FILES = cast(Table, File.__table__)
_REPORTS = cast(Table, ReportRow.__table__)
_FINDINGS = cast(Table, FindingRow.__table__)
_STATEMENTS: dict[tuple[str, str], Any] = {}


def statement(session: Session, name: str, build: Callable[[Any], Any]) -> Any:
    """The statement ``name`` for the session's dialect, built once by ``build(dialect module)``."""
    dialect = session.get_bind().dialect.name
    found = _STATEMENTS.get((dialect, name))
    if found is None:
        found = _STATEMENTS[(dialect, name)] = build(postgresql if dialect == "postgresql" else sqlite)
    return found


def _insert_returning_id(
    session: Session, name: str, table: Table, conflict: list[str], values: dict[str, Any]
) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: the new row's id, or None when the row existed."""
    stmt = statement(
        session,
        name,
        lambda m: m.insert(table).on_conflict_do_nothing(index_elements=conflict).returning(table.c.id),
    )
    return session.connection().execute(stmt, values).scalar()


def upsert_model(session: Session, name: str) -> int:
    new = _insert_returning_id(session, "model", _MODELS, ["name"], {"name": name, "created_at": now()})
    if new is not None:
        return new
    stmt = statement(
        session, "model-id", lambda _: select(_MODELS.c.id).where(_MODELS.c.name == bindparam("name"))
    )
    return int(session.connection().execute(stmt, {"name": name}).scalar_one())


def upsert_version(session: Session, model_id: int, digest: str, revision: str | None, source: str) -> int:
    """The version's id, created when new, and locked (``SELECT … FOR UPDATE``) for the rest of the
    transaction so that its report, summary and decisions are written in one order."""
    new = _insert_returning_id(
        session,
        "version",
        _VERSIONS,
        ["model_id", "manifest_digest"],
        {
            "model_id": model_id,
            "manifest_digest": digest,
            "revision": revision,
            "source": source,
            "created_at": now(),
            "decision": Decision.NEEDS_REVIEW.value,
            "signature": "unsigned",
        },
    )
    if new is not None:  # a row this transaction inserted is locked by it until commit
        return new
    stmt = statement(
        session,
        "version-lock",
        lambda _: (
            select(_VERSIONS.c.id)
            .where(
                _VERSIONS.c.model_id == bindparam("model_id"),
                _VERSIONS.c.manifest_digest == bindparam("digest"),
            )
            .with_for_update()
        ),
    )
    return int(session.connection().execute(stmt, {"model_id": model_id, "digest": digest}).scalar_one())


def insert_files(session: Session, version_id: int, report: Report) -> None:
    rows = [
        {"version_id": version_id, "path": f.path, "size": f.size, "sha256": f.sha256, "format": f.format}
        for f in report.files
    ]
    if rows:
        stmt = statement(
            session,
            "files",
            lambda m: m.insert(_FILES).on_conflict_do_nothing(index_elements=["version_id", "path"]),
        )
        session.connection().execute(stmt, rows)


def encode_report(report: Report) -> tuple[str, str]:
    """The report's canonical JSON and its SHA-256 (``content_digest``), encoded once."""
    text = canonical_json(report.to_dict())
    return text, hashlib.sha256(text.encode("utf-8")).hexdigest()


def insert_report(session: Session, version_id: int, kind: str, report: Report) -> tuple[int, bool]:
    """The report's row id, and whether it is new. A new report's findings become rows and its summary
    becomes the version's."""
    conn = session.connection()
    text, digest = encode_report(report)
    summary = summarize(report)
    columns = summary.columns()
    report_id = _insert_returning_id(
        session,
        "report",
        _REPORTS,
        ["version_id", "kind", "content_sha256"],
        {
            "version_id": version_id,
            "kind": kind,
            "content_sha256": digest,
            "created_at": now(),
            "tool_version": report.tool_version,
            "policy_name": summary.policy_name,
            **columns,
            "report_json": text,
        },
    )
    if report_id is None:
        stmt = statement(
            session,
            "report-id",
            lambda _: select(_REPORTS.c.id).where(
                _REPORTS.c.version_id == bindparam("version_id"),
                _REPORTS.c.kind == bindparam("kind"),
                _REPORTS.c.content_sha256 == bindparam("digest"),
            ),
        )
        existing = conn.execute(stmt, {"version_id": version_id, "kind": kind, "digest": digest}).scalar_one()
        return int(existing), False
    if report.findings:
        conn.execute(
            statement(session, "findings", lambda _: insert(_FINDINGS)),
            [
                {
                    "report_id": report_id,
                    "rule": f.rule,
                    "check": f.check.value,
                    "severity": int(f.severity),
                    "path": f.path,
                    "title": f.title,
                    "detail": f.detail,
                    "evidence": f.evidence,
                    "location_json": json.dumps(f.location.to_dict()) if f.location else None,
                }
                for f in report.findings
            ],
        )
    stmt = statement(
        session,
        "version-summary",
        lambda _: update(_VERSIONS).where(_VERSIONS.c.id == bindparam("b_version_id")),
    )
    conn.execute(stmt, {"b_version_id": version_id, "latest_report_id": report_id, **columns})
    return report_id, True


def add_decision(
    session: Session,
    version: Version,
    decision: Decision,
    action: DecisionAction,
    *,
    actor: str,
    reason: str,
    policy_name: str | None = None,
    policy_sha256: str | None = None,
    reasons: list[dict[str, Any]] | None = None,
) -> DecisionRecord:
    """Append to the version's history and make it the version's current decision. The caller holds the
    version row locked (``with_for_update``), so a version's history is in the order it was written."""
    at = now()
    session.add(
        DecisionRow(
            version_id=version.id,
            decision=decision.value,
            action=action.value,
            actor=actor,
            reason=reason,
            policy_name=policy_name,
            policy_sha256=policy_sha256,
            reasons_json=json.dumps(reasons or []),
            at=at,
        )
    )
    version.decision = decision.value
    version.decided_at = at
    session.flush()
    return DecisionRecord(
        decision=decision,
        action=action,
        actor=actor,
        reason=reason,
        at=iso(at) or "",
        policy=policy_name,
        reasons=tuple(reason_lines(reasons or [])),
        version=version.manifest_digest,
        policy_sha256=policy_sha256,
    )


def reason_lines(reasons: list[dict[str, Any]]) -> list[str]:
    return [f"{r.get('outcome')}: {r.get('rule')}: {r.get('message')}" for r in reasons]


def decision_record(row: DecisionRow, digest: str) -> DecisionRecord:
    return DecisionRecord(
        decision=Decision(row.decision),
        action=DecisionAction(row.action),
        actor=row.actor,
        reason=row.reason,
        at=iso(row.at) or "",
        policy=row.policy_name,
        reasons=tuple(reason_lines(json.loads(row.reasons_json))),
        version=digest,
        policy_sha256=row.policy_sha256,
    )


def store_policy(session: Session, name: str, sha256: str, text: str) -> None:
    insert_ignore(
        session,
        PolicyRow.__table__,  # type: ignore[arg-type]
        {
            "name": name,
            "sha256": sha256,
            "yaml_text": text,
            "uploaded_at": now(),
        },
        ["name", "sha256"],
    )


def store_report(
    session: Session, report: Report, *, kind: str, source: str | None, model: str, digest: str
) -> int:
    """Store the report's model, version (locked), files and report; the version's id."""
    model_id = upsert_model(session, model)
    version_id = upsert_version(
        session, model_id, digest, report.target.revision, source or report.target.input
    )
    insert_files(session, version_id, report)
    insert_report(session, version_id, kind, report)
    return version_id


def link(
    session: Session, child: Version, parent: Version, relation: str, carried: list[dict[str, Any]]
) -> None:
    """Record the lineage edge child → parent with the obligations it carries."""
    from .models import LineageEdge

    insert_ignore(
        session,
        LineageEdge.__table__,  # type: ignore[arg-type]
        {
            "child_version_id": child.id,
            "parent_model_id": parent.model_id,
            "parent_version_id": parent.id,
            "relation": relation,
            "obligations_json": json.dumps(carried),
            "created_at": now(),
        },
        ["child_version_id", "parent_model_id"],
    )
