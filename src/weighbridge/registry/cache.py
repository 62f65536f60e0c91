"""The scan cache: what a file held when it was last read, so a re-scan can skip files whose size and
modification time have not changed."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from ..core.registry import CachedFile
from .errors import RegistryError
from .models import ScanCacheRow
from .store import iso, now, statement

_TABLE = cast(Table, ScanCacheRow.__table__)


def lookup(
    session: Session, path: str, size: int, mtime_ns: int, rules_version: str | None
) -> CachedFile | None:
    row = session.execute(select(ScanCacheRow).where(ScanCacheRow.path == path)).scalar_one_or_none()
    if row is None or row.size != size or row.mtime_ns != mtime_ns:
        return None
    if rules_version is not None and row.rules_version != rules_version:
        return None
    return CachedFile(
        path=row.path,
        size=row.size,
        mtime_ns=row.mtime_ns,
        sha256=row.sha256,
        format=row.format,
        findings=tuple(json.loads(row.findings_json)),
        rules_version=row.rules_version,
        scanned_at=iso(row.scanned_at),
    )


LOOKUP_CHUNK = 500
_LOOKUP = select(
    _TABLE.c.path,
    _TABLE.c.size,
    _TABLE.c.mtime_ns,
    _TABLE.c.sha256,
    _TABLE.c.format,
    _TABLE.c.findings_json,
    _TABLE.c.rules_version,
    _TABLE.c.scanned_at,
).where(_TABLE.c.path.in_(bindparam("paths", expanding=True)))


def lookup_many(
    session: Session, keys: Sequence[tuple[str, int, int]], rules_version: str
) -> dict[str, CachedFile]:
    """The rows, by path, of the ``(path, size, mtime_ns)`` keys that still match, read under
    ``rules_version``: one read query per ``LOOKUP_CHUNK`` paths."""
    wanted = {path: (size, mtime) for path, size, mtime in keys}
    paths = sorted(wanted)
    found: dict[str, CachedFile] = {}
    conn = session.connection()
    for start in range(0, len(paths), LOOKUP_CHUNK):
        for path, size, mtime, sha256, fmt, findings, rules, at in conn.execute(
            _LOOKUP, {"paths": paths[start : start + LOOKUP_CHUNK]}
        ):
            if (size, mtime) == wanted[path] and rules == rules_version:
                found[path] = CachedFile(
                    path=path,
                    size=size,
                    mtime_ns=mtime,
                    sha256=sha256,
                    format=fmt,
                    findings=tuple(json.loads(findings)),
                    rules_version=rules,
                    scanned_at=iso(at),
                )
    return found


def store(
    session: Session,
    path: str,
    size: int,
    mtime_ns: int,
    sha256: str,
    fmt: str,
    findings: Sequence[Mapping[str, Any]],
    rules_version: str,
) -> None:
    store_many(session, [(path, size, mtime_ns, sha256, fmt, findings)], rules_version)


CacheEntry = tuple[
    str, int, int, str, str, Sequence[Mapping[str, Any]]
]  # path, size, mtime_ns, sha256, format, findings
_VALUES = ("size", "mtime_ns", "sha256", "format", "findings_json", "rules_version", "scanned_at")


def store_many(session: Session, entries: Sequence[CacheEntry], rules_version: str) -> None:
    """Insert or replace the rows of these paths (a path given twice: the last one), in one statement
    executed for all of them: ``INSERT … ON CONFLICT (path) DO UPDATE``."""
    rows: dict[str, dict[str, Any]] = {}
    for path, size, mtime_ns, sha256, fmt, findings in entries:
        if not path.startswith("/") and not (len(path) > 2 and path[1] == ":"):
            raise RegistryError(f"the scan cache needs absolute paths, got {path!r}")
        rows.pop(path, None)
        rows[path] = {
            "path": path,
            "size": size,
            "mtime_ns": mtime_ns,
            "sha256": sha256,
            "format": fmt,
            "findings_json": json.dumps([dict(f) for f in findings], sort_keys=True),
            "rules_version": rules_version,
            "scanned_at": now(),
        }
    if not rows:
        return

    def build(module: Any) -> Any:
        upsert = module.insert(_TABLE)
        return upsert.on_conflict_do_update(
            index_elements=["path"], set_={c: getattr(upsert.excluded, c) for c in _VALUES}
        )

    session.connection().execute(statement(session, "scan-cache-upsert", build), list(rows.values()))
