"""What fleet workers run: module-level functions over paths (never file contents), so a process pool and Ray
tasks call exactly the same code, on the machine where the data lives.

* ``scan_batch``: hash and parse files with the scanner's one-pass ``scan_file_with_references``;
* ``evaluate_target``: a target's report from its per-file records (repository checks, licence, provenance,
  openness, policy) — the small metadata files those read are read by the worker, beside the data.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..core.policy import Policy
from ..core.report import FileRecord, Report, Snapshot, SnapshotFile
from ..formats.base import Limits

BATCH_BYTES = 64 * 1024 * 1024  # small files travel together: one task per ~64 MiB or ...
BATCH_FILES = 32  # ... per 32 files, whichever comes first; a big file is a task of its own


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One file to read: ``key`` (its real path) is the scan-cache key; size and mtime as listed."""

    key: str
    file: SnapshotFile
    root: str
    size: int
    mtime_ns: int


@dataclass(slots=True)
class FileResult:
    item: WorkItem
    record: FileRecord
    references: list[str]
    stable: bool  # the file kept its size and mtime while it was read: the result may be cached
    host: str  # where it was read (pid@host), for the run's statistics
    cpu_seconds: float = 0.0  # the worker's CPU time for this file (hashing and parsing)


def scan_batch(items: list[WorkItem], limits: Limits) -> list[FileResult]:
    """Scan each file in one read pass. Never raises for bad content (that is a finding)."""
    from ..scanning.engine import scan_file_with_references

    host = f"{os.getpid()}@{os.uname().nodename}"
    out: list[FileResult] = []
    for item in items:
        cpu = time.process_time()
        record, refs = scan_file_with_references(item.file, item.root, limits)
        cpu = time.process_time() - cpu
        try:
            st = os.stat(item.file.abspath)
            stable = (st.st_size, st.st_mtime_ns) == (item.size, item.mtime_ns)
        except OSError:
            stable = False
        out.append(FileResult(item, record, refs, stable and record.sha256 is not None, host, cpu))
    return out


def evaluate_target(
    snapshot: Snapshot, records: list[FileRecord], references: list[str], policy: Policy | None
) -> tuple[Report, float]:
    """The inspect report of ``snapshot`` from its file records, exactly as ``weighbridge inspect`` builds it,
    and the worker's CPU seconds for it."""
    from ..scanning.engine import assemble_report
    from ..scanning.inspection import add_analyses

    started, cpu = time.perf_counter(), time.process_time()
    report = assemble_report(snapshot, list(records), set(references), started)
    report = add_analyses(report, snapshot, policy=policy)
    report.elapsed_seconds = time.perf_counter() - started
    return report, time.process_time() - cpu


def batches(
    items: Iterable[WorkItem], *, max_bytes: int = BATCH_BYTES, max_files: int = BATCH_FILES
) -> Iterator[list[WorkItem]]:
    """Consecutive files grouped (in the order given) to amortise task costs; a big file travels alone."""
    batch: list[WorkItem] = []
    size = 0
    for item in items:
        if batch and (size + item.size > max_bytes or len(batch) >= max_files):
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += item.size
    if batch:
        yield batch
