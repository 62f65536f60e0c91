"""What a fleet scan keeps in the registry, in as few transactions as the work allows.

* scan-cache rows (``registry.cache``): one per file (real path, size, mtime_ns, SHA-256, format, the fleet's
  payload as the findings JSON, rules version), and one per target (its path + ``MARKER_SUFFIX``) whose
  SHA-256 column holds the target's fingerprint and whose payload is the outcome to repeat when it holds;
* reports (``Registry.record_scan``, kind ``inspect``), one per evaluated target whose findings or verdict
  are new; bytes already decided keep their model name, policy and decision.

It goes through the registry's public bulk API (``Registry.cached_files``, ``Registry.store_cached_files``),
never its tables: look-ups are one read query per 500 paths; the file results of one finished batch are written
in one transaction (they finished together), as one upsert executed for all of them. Per-row calls would cost
the coordinator a transaction per file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..core.registry import CachedFile, VersionRecord
from ..core.report import Report

if TYPE_CHECKING:
    from ..registry import Registry


@dataclass(frozen=True, slots=True)
class CacheRow:
    path: str
    size: int
    mtime_ns: int
    sha256: str
    format: str
    payload: dict[str, Any]


class FleetStore(Protocol):
    """What a fleet scan needs from the registry."""

    def lookup(self, keys: Sequence[tuple[str, int, int]], rules_version: str) -> dict[str, dict[str, Any]]:
        """Cache rows by path for the ``(path, size, mtime_ns)`` keys that match, under ``rules_version``."""
        ...

    def store(self, rows: Sequence[CacheRow], rules_version: str) -> None:
        """Commit ``rows`` (replacing what those paths held) in one transaction."""
        ...

    def record_report(self, report: Report, *, source: str, name: str | None) -> VersionRecord:
        """Record a target's report; may set ``report.policy`` to the verdict it was recorded with."""
        ...


class RegistryStore:
    """``FleetStore`` over a ``weighbridge.registry.Registry`` (SQLite or PostgreSQL)."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def lookup(self, keys: Sequence[tuple[str, int, int]], rules_version: str) -> dict[str, dict[str, Any]]:
        found = self.registry.cached_files(keys, rules_version)
        return {
            path: {"sha256": row.sha256, "format": row.format, "findings": list(row.findings)}
            for path, row in found.items()
        }

    def store(self, rows: Sequence[CacheRow], rules_version: str) -> None:
        self.registry.store_cached_files(
            [
                CachedFile(
                    path=r.path,
                    size=r.size,
                    mtime_ns=r.mtime_ns,
                    sha256=r.sha256,
                    format=r.format,
                    findings=(r.payload,),
                )
                for r in rows
            ],
            rules_version,
        )

    def record_report(self, report: Report, *, source: str, name: str | None) -> VersionRecord:
        """``Registry.record_scan``: bytes the registry already decided about keep their name, policy and
        decision, and findings it already holds are not recorded again."""
        return self.registry.record_scan(report, source=source, name=name)
