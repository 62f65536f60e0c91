"""What the registry keeps for the mirror (``Registry.mirror``): which versions a repo id names, the blobs of
the served store (size, stat identity, corruption flags), the pulls it answered and the intake queue.

Decisions stay where they are (``versions`` and ``decisions``): the mirror reads them on every request and
never keeps a copy, so a revocation holds from the next request on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, func, or_, select, update
from sqlalchemy.orm import Session

from ..core.mirror import (
    BlobRecord,
    BlobState,
    IntakeRecord,
    IntakeState,
    PullOutcome,
    PullRecord,
    RefusalKind,
)
from ..core.registry import Decision, DecisionRecord, VersionRecord
from . import store
from .models import DecisionRow, MirrorBlob, MirrorIntake, MirrorPull, Model, Version
from .queries import record, record_by_id

if TYPE_CHECKING:
    from .service import Registry

_BLOBS = cast(Table, MirrorBlob.__table__)
_INTAKE = cast(Table, MirrorIntake.__table__)
ACTIVE_INTAKE = (IntakeState.FETCHING.value, IntakeState.INSPECTING.value)


class MirrorRecords:
    """The mirror's tables, reached through ``Registry.mirror``. Every method is one transaction."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    # --- versions a repo id names ---

    def candidates(self, repo: str) -> list[VersionRecord]:
        """Versions (without files) whose registry name is ``repo`` or whose recorded source is
        ``hf:repo`` / ``hf:repo@rev``, newest first."""

        def work(session: Session) -> list[VersionRecord]:
            by_name = select(Version.id).join(Model, Model.id == Version.model_id).where(Model.name == repo)
            by_source = select(Version.id).where(
                or_(Version.source == f"hf:{repo}", Version.source.startswith(f"hf:{repo}@", autoescape=True))
            )
            ids = sorted(
                set(session.execute(by_name).scalars()) | set(session.execute(by_source).scalars()),
                reverse=True,
            )
            return [
                record(session, row, with_files=False)
                for row in session.execute(
                    select(Version).where(Version.id.in_(ids)).order_by(Version.id.desc())
                ).scalars()
            ]

        return self._registry._read(work)

    def version(self, version_id: int) -> VersionRecord:
        """The version with its files, as it is now."""
        return self._registry._read(lambda s: record_by_id(s, version_id))

    def last_decision(self, version_id: int) -> DecisionRecord | None:
        def work(session: Session) -> DecisionRecord | None:
            row = session.execute(
                select(DecisionRow, Version.manifest_digest)
                .join(Version, Version.id == DecisionRow.version_id)
                .where(DecisionRow.version_id == version_id)
                .order_by(DecisionRow.id.desc())
                .limit(1)
            ).first()
            return store.decision_record(row[0], row[1]) if row is not None else None

        return self._registry._read(work)

    def admitted(self) -> list[VersionRecord]:
        """Every admitted version (with files), newest first: what the mirror may serve."""

        def work(session: Session) -> list[VersionRecord]:
            ids = (
                session.execute(
                    select(Version.id)
                    .where(Version.decision == Decision.ADMITTED.value)
                    .order_by(Version.id.desc())
                )
                .scalars()
                .all()
            )
            return [record_by_id(session, i) for i in ids]

        return self._registry._read(work)

    # --- blobs ---

    def blobs(self, digests: Sequence[str]) -> dict[str, BlobRecord]:
        wanted = sorted({d.lower() for d in digests})
        if not wanted:
            return {}

        def work(session: Session) -> dict[str, BlobRecord]:
            rows = session.execute(select(MirrorBlob).where(MirrorBlob.sha256.in_(wanted))).scalars().all()
            return {row.sha256: _blob(row) for row in rows}

        return self._registry._read(work)

    def all_blobs(self) -> list[BlobRecord]:
        return self._registry._read(
            lambda s: [_blob(r) for r in s.execute(select(MirrorBlob).order_by(MirrorBlob.sha256)).scalars()]
        )

    def record_blob(self, blob: BlobRecord) -> None:
        """The blob's bytes were just checked against its digest: store its size and stat identity and clear
        any corruption flag."""
        values = {
            "size": blob.size,
            "inode": blob.inode,
            "mtime_ns": blob.mtime_ns,
            "verified_at": store.now(),
            "flagged_at": None,
            "flag_reason": None,
        }

        def work(session: Session) -> None:
            inserted = store.insert_ignore(
                session, _BLOBS, {"sha256": blob.sha256, "ingested_at": store.now(), **values}, ["sha256"]
            )
            if not inserted:
                session.execute(update(MirrorBlob).where(MirrorBlob.sha256 == blob.sha256).values(**values))

        self._registry._write(work)

    def flag_blob(self, sha256: str, reason: str, *, size: int = 0) -> None:
        """Mark a blob corrupt: every version holding it is withheld until it is ingested again."""

        def work(session: Session) -> None:
            row = session.execute(
                select(MirrorBlob).where(MirrorBlob.sha256 == sha256).with_for_update()
            ).scalar_one_or_none()
            if row is None:
                session.add(
                    MirrorBlob(
                        sha256=sha256,
                        size=size,
                        inode=0,
                        mtime_ns=0,
                        ingested_at=store.now(),
                        flagged_at=store.now(),
                        flag_reason=reason,
                    )
                )
            elif row.flagged_at is None:
                row.flagged_at, row.flag_reason = store.now(), reason

        self._registry._write(work)

    def flagged(self, digests: Sequence[str]) -> dict[str, str]:
        """Of these digests, the flagged ones with their reasons."""
        wanted = sorted({d.lower() for d in digests})
        if not wanted:
            return {}

        def work(session: Session) -> dict[str, str]:
            rows = session.execute(
                select(MirrorBlob.sha256, MirrorBlob.flag_reason).where(
                    MirrorBlob.sha256.in_(wanted), MirrorBlob.flagged_at.is_not(None)
                )
            ).all()
            return {sha: reason or "corrupt" for sha, reason in rows}

        return self._registry._read(work)

    # --- pulls ---

    def record_pull(self, pull: PullRecord) -> None:
        def work(session: Session) -> None:
            session.add(
                MirrorPull(
                    at=store.now(),
                    protocol=pull.protocol[:10],
                    repo=pull.repo[:300],
                    revision=(pull.revision or None) and pull.revision[:200],
                    path=pull.path,
                    outcome=pull.outcome.value,
                    client=pull.client and pull.client[:200],
                    user=pull.user and pull.user[:200],
                    model=pull.model,
                    version=pull.version,
                    refusal=pull.refusal.value if pull.refusal else None,
                    reason=pull.reason,
                )
            )

        self._registry._write(work)

    def pulls(
        self, *, outcome: PullOutcome | None = None, model: str | None = None, limit: int = 200
    ) -> list[PullRecord]:
        """The newest pulls first."""

        def work(session: Session) -> list[PullRecord]:
            query = select(MirrorPull).order_by(MirrorPull.id.desc()).limit(max(1, min(limit, 10_000)))
            if outcome is not None:
                query = query.where(MirrorPull.outcome == outcome.value)
            if model is not None:
                query = query.where(MirrorPull.model == model)
            return [_pull(row) for row in session.execute(query).scalars()]

        return self._registry._read(work)

    def pull_counts(self) -> dict[tuple[str, str], int]:
        """Served pulls per (model, manifest digest)."""

        def work(session: Session) -> dict[tuple[str, str], int]:
            rows = session.execute(
                select(MirrorPull.model, MirrorPull.version, func.count())
                .where(MirrorPull.outcome == PullOutcome.SERVED.value, MirrorPull.model.is_not(None))
                .group_by(MirrorPull.model, MirrorPull.version)
            ).all()
            return {(m or "", v or ""): n for m, v, n in rows}

        return self._registry._read(work)

    # --- intake ---

    def claim_intake(
        self, key: str, source: str, *, actor: str, owner: str, stale_after: float = 120.0
    ) -> tuple[IntakeRecord, bool]:
        """Start (or join) the intake of ``key``. Returns the row and whether this caller owns the fetch: it
        does when the row is new, finished as failed, or its owner has not sent a heartbeat for
        ``stale_after`` seconds (the process died). Otherwise another process is fetching: wait for it."""

        def work(session: Session) -> tuple[IntakeRecord, bool]:
            now = store.now()
            store.insert_ignore(
                session,
                _INTAKE,
                {
                    "key": key,
                    "source": source,
                    "state": IntakeState.FETCHING.value,
                    "requested_by": actor,
                    "requested_at": now,
                    "updated_at": now,
                    "owner": owner,
                    "heartbeat_at": now,
                },
                ["key"],
            )
            row = session.execute(
                select(MirrorIntake).where(MirrorIntake.key == key).with_for_update()
            ).scalar_one()
            mine = row.owner == owner and row.state in ACTIVE_INTAKE
            beat = row.heartbeat_at
            if beat is not None and beat.tzinfo is None:
                beat = beat.replace(tzinfo=now.tzinfo)
            stale = beat is None or now - beat > timedelta(seconds=stale_after)
            if not mine and (row.state == IntakeState.FAILED.value or (row.state in ACTIVE_INTAKE and stale)):
                row.state, row.owner, row.heartbeat_at, row.updated_at = (
                    IntakeState.FETCHING.value,
                    owner,
                    now,
                    now,
                )
                row.requested_by, row.detail = actor, None
                mine = True
            session.flush()
            return _intake(row), mine

        return self._registry._write(work)

    def heartbeat_intake(
        self, intake_id: int, owner: str, *, state: IntakeState | None = None, detail: str | None = None
    ) -> bool:
        """Keep the claim alive; False when another process took it over."""

        def work(session: Session) -> bool:
            values: dict[str, Any] = {"heartbeat_at": store.now(), "updated_at": store.now()}
            if state is not None:
                values["state"] = state.value
            if detail is not None:
                values["detail"] = detail
            result = session.execute(
                update(MirrorIntake)
                .where(MirrorIntake.id == intake_id, MirrorIntake.owner == owner)
                .values(**values)
            )
            return bool(getattr(result, "rowcount", 0))

        return self._registry._write(work)

    def finish_intake(
        self,
        intake_id: int,
        owner: str,
        state: IntakeState,
        *,
        model: str | None = None,
        manifest_digest: str | None = None,
        detail: str | None = None,
    ) -> IntakeRecord:
        def work(session: Session) -> IntakeRecord:
            row = session.execute(
                select(MirrorIntake).where(MirrorIntake.id == intake_id).with_for_update()
            ).scalar_one()
            if row.owner == owner:
                row.state, row.updated_at, row.heartbeat_at = state.value, store.now(), store.now()
                row.model = model or row.model
                row.manifest_digest = manifest_digest or row.manifest_digest
                row.detail = detail
            session.flush()
            return _intake(row)

        return self._registry._write(work)

    def mark_intake(self, key: str, state: IntakeState, *, detail: str | None = None) -> None:
        """Set an intake's state whoever owns it (a person's approval published it)."""
        self._registry._write(
            lambda s: s.execute(
                update(MirrorIntake)
                .where(MirrorIntake.key == key)
                .values(state=state.value, updated_at=store.now(), detail=detail)
            )
        )

    def active_intake(self, repo: str) -> IntakeRecord | None:
        """The newest intake of ``hf:repo@…`` still fetching or inspecting, if any."""

        def work(session: Session) -> IntakeRecord | None:
            row = session.execute(
                select(MirrorIntake)
                .where(
                    MirrorIntake.key.startswith(f"hf:{repo}@", autoescape=True),
                    MirrorIntake.state.in_(ACTIVE_INTAKE),
                )
                .order_by(MirrorIntake.id.desc())
                .limit(1)
            ).scalar_one_or_none()
            return _intake(row) if row is not None else None

        return self._registry._read(work)

    def intake(self, key_or_id: str | int) -> IntakeRecord | None:
        def work(session: Session) -> IntakeRecord | None:
            column = MirrorIntake.id if isinstance(key_or_id, int) else MirrorIntake.key
            row = session.execute(select(MirrorIntake).where(column == key_or_id)).scalar_one_or_none()
            return _intake(row) if row is not None else None

        return self._registry._read(work)

    def intake_queue(
        self, *, states: Sequence[IntakeState] | None = None, limit: int = 200
    ) -> list[IntakeRecord]:
        def work(session: Session) -> list[IntakeRecord]:
            query = select(MirrorIntake).order_by(MirrorIntake.id.desc()).limit(max(1, min(limit, 10_000)))
            if states:
                query = query.where(MirrorIntake.state.in_([s.value for s in states]))
            return [_intake(row) for row in session.execute(query).scalars()]

        return self._registry._read(work)


def refusal_kind(decision: Decision) -> RefusalKind | None:
    """The refusal a version's decision means; ``None`` for admitted."""
    return {
        Decision.ADMITTED: None,
        Decision.REJECTED: RefusalKind.REJECTED,
        Decision.REVOKED: RefusalKind.REVOKED,
        Decision.QUARANTINED: RefusalKind.QUARANTINED,
        Decision.NEEDS_REVIEW: RefusalKind.AWAITING_REVIEW,
    }[decision]


def _blob(row: MirrorBlob) -> BlobRecord:
    return BlobRecord(
        sha256=row.sha256,
        size=row.size,
        inode=row.inode,
        mtime_ns=row.mtime_ns,
        state=BlobState.CORRUPT if row.flagged_at is not None else BlobState.OK,
        reason=row.flag_reason,
        verified_at=store.iso(row.verified_at),
        flagged_at=store.iso(row.flagged_at),
    )


def _pull(row: MirrorPull) -> PullRecord:
    return PullRecord(
        protocol=row.protocol,
        repo=row.repo,
        revision=row.revision,
        path=row.path,
        outcome=PullOutcome(row.outcome),
        client=row.client,
        user=row.user,
        model=row.model,
        version=row.version,
        refusal=RefusalKind(row.refusal) if row.refusal else None,
        reason=row.reason,
        at=store.iso(row.at),
        id=row.id,
    )


def _intake(row: MirrorIntake) -> IntakeRecord:
    return IntakeRecord(
        id=row.id,
        key=row.key,
        source=row.source,
        state=IntakeState(row.state),
        requested_by=row.requested_by,
        requested_at=store.iso(row.requested_at),
        updated_at=store.iso(row.updated_at),
        owner=row.owner,
        model=row.model,
        manifest_digest=row.manifest_digest,
        detail=row.detail,
        extra={"heartbeat_at": store.iso(row.heartbeat_at)},
    )
