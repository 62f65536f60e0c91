"""Scan a resolved snapshot: every file hashed and parsed in one read pass, files in parallel → Report."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import PurePosixPath

from .. import __version__
from ..core.findings import Check, Finding, Location, Severity
from ..core.report import FileRecord, Report, Snapshot, SnapshotFile
from ..core.rules import define, make_finding
from ..formats.base import Limits, ScanContext
from ..formats.repository import check_repository
from ..formats.unknown import UNKNOWN_FORMAT
from ..integrity.manifest import manifest_digest
from ..integrity.reader import HashingReader
from .dispatch import scan_stream
from .schedule import plan
from .weights import check_weight_file
from .worker import scan_in_worker

DIGEST_MISMATCH = define(
    "WB-INT-001",
    Check.INTEGRITY,
    Severity.CRITICAL,
    "Content does not match the recorded digest",
    "The source records a SHA-256 for this file (Hugging Face cache blob name, Ollama blob digest, lockfile) "
    "and the bytes on disk hash to something else: the file was altered or corrupted after download.",
)
UNREADABLE = define(
    "WB-INT-002",
    Check.INTEGRITY,
    Severity.HIGH,
    "File could not be read",
    "The file could not be opened or read to the end, so it was neither hashed nor inspected.",
)
NAME_CONTENT_MISMATCH = define(
    "WB-INT-003",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "File content does not match its name",
    "The file name promises one format and the content is another. Loaders that trust the name may take a "
    "different code path than the scanner expects; the content decides here.",
)

# Extensions that promise a content format but no weights (a weight file that is not what its name says is
# ``weights.BROKEN_WEIGHTS``, high).
_PROMISES = {".json": {"text"}}

Progress = Callable[[int, int], None]
LOG = logging.getLogger(__name__)


def default_workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


def scan_file(sfile: SnapshotFile, root: str, limits: Limits) -> FileRecord:
    """Hash and parse one file in a single pass. Never raises for bad content."""
    return scan_file_with_references(sfile, root, limits)[0]


def scan_file_with_references(sfile: SnapshotFile, root: str, limits: Limits) -> tuple[FileRecord, list[str]]:
    """``scan_file`` plus the real paths of other files this one makes a loader read as data (ONNX
    external data), which ``assemble_report`` needs. Fleet scans call it in worker processes."""
    return _scan_file(sfile, root, limits)


def _scan_file(sfile: SnapshotFile, root: str, limits: Limits) -> tuple[FileRecord, list[str]]:
    ctx = ScanContext(path=sfile.rel, limits=limits, nested=scan_stream, root=root, fs_path=sfile.abspath)
    size = 0
    digest: str | None = None
    fmt = "unread"
    try:
        with HashingReader(sfile.abspath) as reader:
            size = reader.size
            fmt = scan_stream(ctx, reader, sfile.rel, size)  # type: ignore[arg-type]
            digest = reader.finish()
    except OSError as exc:
        ctx.report(UNREADABLE, f"{type(exc).__name__}: {exc.strerror or exc}")
    if digest and sfile.expected_sha256 and digest != sfile.expected_sha256.lower():
        ctx.findings.append(
            make_finding(
                DIGEST_MISMATCH,
                sfile.rel,
                f"{sfile.digest_source or 'the source'} says sha256 {sfile.expected_sha256}, content is {digest}",
                evidence=f"expected {sfile.expected_sha256}, actual {digest}",
            )
        )
    if digest is not None:
        broken = check_weight_file(sfile.rel, sfile.abspath, size, fmt, ctx.findings)
        if broken is not None:
            ctx.findings.append(broken)
    suffix = PurePosixPath(sfile.rel.lower()).suffix
    promised = _PROMISES.get(suffix)
    if promised and digest is not None and fmt not in promised:
        ctx.findings.append(
            make_finding(
                NAME_CONTENT_MISMATCH,
                sfile.rel,
                f"named {suffix} but the content is {fmt}",
                location=Location(offset=0),
            )
        )
    formats = list(dict.fromkeys(ctx.formats))
    LOG.debug("%s: %d bytes, %s, %d finding(s)", sfile.rel, size, fmt, len(ctx.findings))
    record = FileRecord(
        path=sfile.rel, size=size, sha256=digest, format=fmt, findings=ctx.findings, formats=formats
    )
    return record, ctx.references


def scan_snapshot(
    snapshot: Snapshot,
    *,
    workers: int | None = None,
    limits: Limits | None = None,
    progress: Progress | None = None,
) -> Report:
    started = time.perf_counter()
    limits = limits or Limits()
    workers = workers or default_workers()
    planned = plan(snapshot.files)  # the largest expected work first: no core idles at the end
    total = sum(p.size for p in planned)
    done = 0
    if progress is not None:
        progress(0, total)
    records: list[FileRecord] = []
    referenced: set[str] = set()
    aside = workers > 1 and any(p.offload for p in planned)
    with ThreadPoolExecutor(max_workers=workers) as threads, ThreadPoolExecutor(max_workers=1) as waiter:
        futures = [
            waiter.submit(_scan_aside, p.file, snapshot.root, limits)
            if aside and p.offload
            else threads.submit(_scan_file, p.file, snapshot.root, limits)
            for p in planned
        ]
        for future in as_completed(futures):
            record, refs = future.result()
            records.append(record)
            referenced.update(refs)
            done += record.size
            if progress is not None:
                progress(done, total)
    return assemble_report(snapshot, records, referenced, started)


def _scan_aside(sfile: SnapshotFile, root: str, limits: Limits) -> tuple[FileRecord, list[str]]:
    """A parse-bound file scanned by a worker process (its analysis then holds that process's GIL, not the
    one the hashing threads need); when the worker cannot run, scanned here. The content decides nothing."""
    LOG.debug("%s: parse-bound, scanned in a worker process", sfile.rel)
    try:
        return scan_in_worker(sfile, root, limits)
    except (OSError, RuntimeError) as exc:
        LOG.warning("%s: worker process failed (%s); scanned in this process", sfile.rel, exc)
        return _scan_file(sfile, root, limits)


def assemble_report(
    snapshot: Snapshot, records: list[FileRecord], referenced: set[str], started: float
) -> Report:
    """The Report of ``snapshot`` from its per-file records (in any order) and the references they made:
    repository-level checks, findings in report order, the manifest digest. ``started`` is a
    ``time.perf_counter()`` reading."""
    files = list(snapshot.files)
    _mark_external_data(records, files, referenced)
    records.sort(key=lambda r: r.path)
    findings: list[Finding] = list(snapshot.notes)
    for record in records:
        findings.extend(record.findings)
    findings.extend(check_repository(snapshot, records))
    findings.sort(key=lambda f: (-f.severity, f.path, f.rule))
    digest = manifest_digest((r.path, r.sha256) for r in records if r.sha256)
    return Report(
        target=snapshot.target,
        tool_version=__version__,
        files=records,
        findings=findings,
        manifest_digest=digest,
        elapsed_seconds=time.perf_counter() - started,
    )


def _mark_external_data(records: list[FileRecord], files: list[SnapshotFile], referenced: set[str]) -> None:
    """Raw tensor files an ONNX model in the snapshot points to are data, not an unknown format."""
    if not referenced:
        return
    real = {f.rel: os.path.realpath(f.abspath) for f in files}
    for record in records:
        if record.format == "unknown" and real.get(record.path) in referenced:
            record.format = "onnx-external-data"
            record.formats = ["onnx-external-data"]
            record.findings[:] = [f for f in record.findings if f.rule != UNKNOWN_FORMAT.id]
