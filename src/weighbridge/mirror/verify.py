"""``mirror verify``: re-hash every blob the registry knows for the store (the certain, expensive check that
complements the serve-time stat check), flag the ones that no longer match, re-record the ones that do."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from ..registry import Registry
from .store import BlobStore


@dataclass(frozen=True)
class VerifyOutcome:
    checked: int
    corrupt: tuple[tuple[str, str], ...]  # (sha256, problem)
    missing: tuple[str, ...]


def verify_store(
    registry: Registry, store: BlobStore, *, log: Callable[[str], None] | None = None
) -> VerifyOutcome:
    corrupt: list[tuple[str, str]] = []
    missing: list[str] = []
    records = registry.mirror.all_blobs()
    for record in records:
        result = store.verify(record.sha256)
        if result.missing:
            missing.append(record.sha256)
        elif not result.ok:
            problem = result.problem or "corrupt"
            registry.mirror.flag_blob(record.sha256, problem, size=record.size)
            corrupt.append((record.sha256, problem))
            if log:
                log(f"sha256:{record.sha256}: {problem}")
        elif result.record is not None and (
            record.reason is not None
            or (record.inode, record.mtime_ns) != (result.record.inode, result.record.mtime_ns)
        ):
            registry.mirror.record_blob(result.record)
    return VerifyOutcome(checked=len(records), corrupt=tuple(corrupt), missing=tuple(missing))


def start_verifier(registry: Registry, store: BlobStore, every: float) -> threading.Event:
    """Run ``verify_store`` every ``every`` seconds in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(every):
            try:
                verify_store(registry, store)
            except Exception:  # a database hiccup: the next round tries again
                continue

    threading.Thread(target=run, name="mirror-verifier", daemon=True).start()
    return stop
