"""The library entry point: ``weighbridge.scan(target) -> Report``."""

from __future__ import annotations

import os

from ..core.findings import WeighbridgeError
from ..core.report import Report, Snapshot, TargetKind
from ..formats.base import Limits
from ..sources import resolve
from .engine import Progress, scan_snapshot


def scan(
    target: str,
    *,
    download: bool = False,
    workers: int | None = None,
    limits: Limits | None = None,
    progress: Progress | None = None,
) -> Report:
    """Resolve ``target`` (file, folder, ``hf:org/name[@rev]``, ``ollama:name[:tag]``) and scan it.

    Raises ``WeighbridgeError`` for input errors (missing path, model not in the cache); everything found
    in the content is a finding in the report, never an exception.
    """
    snapshot = resolve_target(target, download=download)
    return scan_snapshot(snapshot, workers=workers, limits=limits, progress=progress)


def resolve_target(target: str, *, download: bool = False) -> Snapshot:
    """Resolve ``target`` and refuse what cannot be scanned (nothing in it, an unreadable single file)."""
    snapshot = resolve(target, download=download)
    if not snapshot.files and not snapshot.notes:
        raise WeighbridgeError(f"nothing to scan: {snapshot.target.path} contains no files")
    if snapshot.target.kind is TargetKind.FILE and len(snapshot.files) == 1:
        only = snapshot.files[0].abspath
        try:
            os.close(os.open(only, os.O_RDONLY))
        except OSError as exc:
            raise WeighbridgeError(f"cannot read {only}: {exc.strerror or exc}") from None
    return snapshot
