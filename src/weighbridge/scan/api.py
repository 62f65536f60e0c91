"""The library entry point: ``weighbridge.scan(target) -> Report``."""

from __future__ import annotations

from ..core.types import Report
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
    snapshot = resolve(target, download=download)
    return scan_snapshot(snapshot, workers=workers, limits=limits, progress=progress)
