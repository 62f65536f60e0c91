"""The scan cache: what a file held when it was last read, so a re-scan can skip files whose size and
modification time have not changed."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import RegistryError
from .models import ScanCacheRow
from .store import insert_ignore, iso, now


def lookup(session: Session, path: str, size: int, mtime_ns: int, rules_version: str | None) -> dict[str, Any] | None:
    row = session.execute(select(ScanCacheRow).where(ScanCacheRow.path == path)).scalar_one_or_none()
    if row is None or row.size != size or row.mtime_ns != mtime_ns:
        return None
    if rules_version is not None and row.rules_version != rules_version:
        return None
    return {"path": row.path, "size": row.size, "mtime_ns": row.mtime_ns, "sha256": row.sha256,
            "format": row.format, "findings": json.loads(row.findings_json), "rules_version": row.rules_version,
            "scanned_at": iso(row.scanned_at)}


def store(session: Session, path: str, size: int, mtime_ns: int, sha256: str, fmt: str,
          findings: Sequence[Mapping[str, Any]], rules_version: str) -> None:
    if not path.startswith("/") and not (len(path) > 2 and path[1] == ":"):
        raise RegistryError(f"the scan cache needs absolute paths, got {path!r}")
    values = {"size": size, "mtime_ns": mtime_ns, "sha256": sha256, "format": fmt,
              "findings_json": json.dumps([dict(f) for f in findings], sort_keys=True),
              "rules_version": rules_version, "scanned_at": now()}
    if not insert_ignore(session, ScanCacheRow.__table__, {"path": path, **values}, ["path"]):  # type: ignore[arg-type]
        row = session.execute(select(ScanCacheRow).where(ScanCacheRow.path == path).with_for_update()).scalar_one()
        for key, value in values.items():
            setattr(row, key, value)
