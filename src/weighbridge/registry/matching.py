"""The guard's and verify's questions: which recorded version holds these bytes (no model file is read)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from ..core.registry import Decision, FileDigest, VersionRecord
from .models import File, Version
from .queries import record


def admitted_for_manifest(session: Session, manifest_digest: str) -> VersionRecord | None:
    digest = manifest_digest.strip().lower().removeprefix("sha256:")
    row = session.execute(
        select(Version)
        .where(Version.manifest_digest == digest, Version.decision == Decision.ADMITTED.value)
        .order_by(Version.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return record(session, row) if row is not None else None


def admitted_for_files(session: Session, files: Sequence[FileDigest]) -> VersionRecord | None:
    """An admitted version holding every given file (same SHA-256 and size; paths may be relative to
    another root). A version whose files are exactly these wins over one that holds more; then the newest."""
    wanted = {(f.sha256.lower(), f.size) for f in files}
    if not wanted:
        return None
    first_sha, first_size = next(iter(wanted))
    candidates = (
        session.execute(
            select(Version)
            .join(File, File.version_id == Version.id)
            .where(
                File.sha256 == first_sha, File.size == first_size, Version.decision == Decision.ADMITTED.value
            )
            .order_by(Version.id.desc())
            .distinct()
        )
        .scalars()
        .all()
    )
    best: Version | None = None
    for version in candidates:
        have = {
            (h, s)
            for h, s in session.execute(
                select(File.sha256, File.size).where(File.version_id == version.id)
            ).all()
            if h is not None
        }
        if wanted <= have:
            if have == wanted:
                return record(session, version)
            best = best or version
    return record(session, best) if best is not None else None


def closest_for_files(session: Session, files: Sequence[FileDigest]) -> VersionRecord | None:
    """The version (any decision) sharing the most files with ``files`` by SHA-256 and size, newest first
    on ties; ``None`` when none shares a file."""
    wanted = {(f.sha256.lower(), f.size) for f in files}
    if not wanted:
        return None
    shared = func.count(File.id).label("shared")
    row = session.execute(
        select(File.version_id, shared)
        .where(tuple_(File.sha256, File.size).in_(sorted(wanted)))
        .group_by(File.version_id)
        .order_by(shared.desc(), File.version_id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    version = session.execute(select(Version).where(Version.id == row[0])).scalar_one()
    return record(session, version)
