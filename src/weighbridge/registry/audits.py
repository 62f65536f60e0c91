"""Behaviour audits stored with a version: insert, read the newest, check an audit names these weights."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.audit import AuditRun
from .errors import RegistryError
from .models import AuditRow, Version
from .store import now


def summary_doc(run: AuditRun) -> dict[str, Any]:
    labels = Counter(s.score.label.value for s in run.samples)
    outcomes = Counter(s.completion.outcome.value for s in run.samples)
    return {
        "suites": dict(run.suites),
        "prompts": len(run.prompts),
        "samples": len(run.samples),
        "labels": dict(sorted(labels.items())),
        "outcomes": dict(sorted(outcomes.items())),
        "runtime": run.model.runtime,
        "target": run.model.target,
        "digest": run.model.digest,
        "started": run.started,
        "finished": run.finished,
        "judge": run.judge,
    }


def insert(session: Session, version_id: int, run: AuditRun) -> int:
    row = AuditRow(
        version_id=version_id,
        run_json=json.dumps(run.to_dict()),
        summary_json=json.dumps(summary_doc(run)),
        created_at=now(),
    )
    session.add(row)
    session.flush()
    return row.id


def check_digest(run: AuditRun, manifest_digest: str, what: str) -> None:
    """An audit made on local weights records their manifest digest: it must be these weights."""
    recorded = (run.model.digest or "").lower().removeprefix("sha256:")
    if recorded and recorded != manifest_digest.lower().removeprefix("sha256:"):
        raise RegistryError(
            f"the audit run was made on other weights (digest {recorded[:12]}…) than {what} "
            f"({manifest_digest.lower().removeprefix('sha256:')[:12]}…)"
        )


def latest(session: Session, *, version_id: int | None = None, digest: str | None = None) -> AuditRun | None:
    """The newest stored audit of a version, or of any version with these weights."""
    from ..audit.runfile import run_from_dict

    query = select(AuditRow.run_json).order_by(AuditRow.id.desc()).limit(1)
    if version_id is not None:
        query = query.where(AuditRow.version_id == version_id)
    else:
        query = query.join(Version, Version.id == AuditRow.version_id).where(
            Version.manifest_digest == digest
        )
    text = session.execute(query).scalar()
    return run_from_dict(json.loads(text)) if text is not None else None


def stored_json(session: Session, audit_id: int) -> str | None:
    row = session.get(AuditRow, audit_id)
    return row.run_json if row is not None else None
