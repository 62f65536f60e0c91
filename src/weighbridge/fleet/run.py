"""``fleet_scan``: discover → plan (stat only) → read what changed → evaluate targets → record. One code path
for every engine: only the ``concurrent.futures.Executor`` it is handed differs.

The coordinator (this process) lists and stats files, keeps the registry, and ships work items — paths,
sizes, mtimes — to the executor. Every file result is committed to the scan cache the moment it arrives,
and a target's report is recorded (``record_report``) the moment it is evaluated, followed by the target's
fingerprint. A run killed at any point therefore loses only what was in flight: the next run finds the
finished files in the cache and the finished targets' fingerprints unchanged. Recording the same report
twice stores it once (the registry keys reports by content), so nothing is duplicated.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, wait
from dataclasses import dataclass, field
from typing import Any

from ..core.findings import WeighbridgeError
from ..core.policy import Policy
from ..core.report import FileRecord, Report, Snapshot, SnapshotFile, TargetKind
from ..formats.base import Limits
from ..registry import Registry
from .cache import CachedFile, matches, rules_version, to_payload, to_record
from .discover import Discovery, Skipped, TargetRef, discover
from .store import CacheRow, FleetStore, RegistryStore
from .targets import StatEntry, fingerprint, resolve_ref, snapshot_entries, stat_entry, walk_entries
from .work import FileResult, WorkItem, batches, evaluate_target, scan_batch

MARKER_SUFFIX = "#weighbridge-fleet-target"  # scan-cache rows that hold a target's last fingerprint
MARKER_FORMAT = "fleet-target"
MARKER_BATCH = 16  # fingerprints of recorded targets wait for the next file batch's commit, or for this many


@dataclass(slots=True)
class TargetOutcome:
    """What happened to one target in this run."""

    spec: str
    kind: str
    status: str  # "recorded" (evaluated and recorded), "unchanged" (fingerprint held), "error"
    model: str | None = None
    version_id: int | None = None
    manifest_digest: str | None = None
    max_severity: str | None = None
    verdict: str | None = None
    decision: str | None = None
    files: int = 0
    findings: int = 0
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass(slots=True)
class FleetScanResult:
    engine: str
    workers: int
    targets: list[TargetOutcome]
    skipped: list[Skipped]
    files_total: int = 0  # distinct files of the targets that were (re-)evaluated
    files_read: int = 0  # of those, read this run
    files_cached: int = 0  # of those, taken from the scan cache
    bytes_read: int = 0
    read_paths: list[str] = field(default_factory=list)  # real paths read, sorted (for tests and audits)
    hosts: dict[str, int] = field(default_factory=dict)  # files read per worker (pid@node)
    rules_version: str = ""
    elapsed_seconds: float = 0.0
    scan_cpu_seconds: float = 0.0  # workers' CPU hashing and parsing the files read
    evaluate_cpu_seconds: float = (
        0.0  # workers' CPU assembling reports (repository, licence, provenance, policy)
    )
    coordinator_cpu_seconds: float = 0.0  # this process: discovery, planning, registry

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for t in self.targets:
            out[t.status] = out.get(t.status, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "weighbridge.fleet-scan/1",
            "engine": self.engine,
            "workers": self.workers,
            "rules_version": self.rules_version,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "counts": self.counts(),
            "files": {
                "total": self.files_total,
                "read": self.files_read,
                "cached": self.files_cached,
                "bytes_read": self.bytes_read,
                "read_paths": self.read_paths,
            },
            "workers_used": len(self.hosts),
            "cpu_seconds": {
                "scan": round(self.scan_cpu_seconds, 3),
                "evaluate": round(self.evaluate_cpu_seconds, 3),
                "coordinator": round(self.coordinator_cpu_seconds, 3),
            },
            "targets": [t.to_dict() for t in self.targets],
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
        }


def policy_digest(policy: Policy | None) -> str | None:
    if policy is None:
        return None
    text = json.dumps(policy.to_dict(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


Progress = Callable[[int, int], None]  # (bytes done, bytes to read)


@dataclass(slots=True)
class _Pending:
    """A target being evaluated: its snapshot, the records gathered so far, what it still waits for."""

    ref: TargetRef
    snapshot: Snapshot
    fingerprint: str
    records: dict[str, tuple[FileRecord, list[str]]] = field(default_factory=dict)
    waiting: set[tuple[str, str, str | None]] = field(default_factory=set)
    error: str | None = None


def fleet_scan(
    roots: list[str],
    *,
    executor: Executor,
    store: FleetStore | Registry,
    engine: str = "local",
    workers: int = 1,
    policy: Policy | None = None,
    full: bool = False,
    limits: Limits | None = None,
    progress: Progress | None = None,
) -> FleetScanResult:
    """Scan every target under ``roots`` with ``executor`` and record the reports in ``store`` (a
    ``Registry`` or any ``FleetStore``).

    ``full`` ignores the scan cache and the targets' fingerprints (everything is read and re-evaluated).
    Raises ``WeighbridgeError`` only for unusable roots; a target that cannot be resolved or evaluated is an
    ``error`` outcome and the run goes on.
    """
    started, cpu = time.perf_counter(), time.process_time()
    found = discover(roots)
    if isinstance(store, Registry):
        store = RegistryStore(store)
    run = _Run(found, executor, store, policy, full, limits or Limits(), progress, workers)
    run.plan()
    run.execute()
    return FleetScanResult(
        engine=engine,
        workers=workers,
        targets=sorted(run.outcomes.values(), key=lambda t: t.spec),
        skipped=found.skipped,
        files_total=len(run.files),
        files_read=len(run.read),
        files_cached=len(run.cached - run.read),
        bytes_read=run.bytes_read,
        read_paths=sorted(run.read),
        hosts=run.hosts,
        rules_version=run.rules,
        elapsed_seconds=time.perf_counter() - started,
        scan_cpu_seconds=run.scan_cpu,
        evaluate_cpu_seconds=run.evaluate_cpu,
        coordinator_cpu_seconds=time.process_time() - cpu,
    )


class _Run:
    def __init__(
        self,
        found: Discovery,
        executor: Executor,
        store: FleetStore,
        policy: Policy | None,
        full: bool,
        limits: Limits,
        progress: Progress | None,
        workers: int,
    ) -> None:
        self.found = found
        self.executor = executor
        self.store = store
        self.policy = policy
        self.policy_digest = policy_digest(policy)
        self.full = full
        self.limits = limits
        self.progress = progress
        self.workers = workers
        self.rules = rules_version()
        self.outcomes: dict[str, TargetOutcome] = {}
        self.pending: dict[str, _Pending] = {}
        self.items: dict[tuple[str, str, str | None], WorkItem] = {}
        self.waiters: dict[tuple[str, str, str | None], list[str]] = {}
        self.files: set[str] = set()
        self.cached: set[str] = set()
        self.bytes_read = 0
        self.read: set[str] = set()
        self.hosts: dict[str, int] = {}
        self.scan_cpu = 0.0
        self.evaluate_cpu = 0.0
        self.to_read = 0
        self.markers: list[CacheRow] = []  # fingerprints of recorded targets, not yet committed

    # -- planning: stat only ------------------------------------------------------------------------------
    def plan(self) -> None:
        listed: list[tuple[TargetRef, Snapshot | None, str]] = []
        for ref in self.found.targets:
            try:
                snapshot: Snapshot | None = None
                if ref.kind is TargetKind.HF:
                    entries: list[StatEntry] = walk_entries(
                        ref.path
                    )  # resolving would re-hash small git files
                else:
                    snapshot = resolve_ref(ref.kind, ref.spec, ref.store)
                    entries = snapshot_entries(snapshot)
                listed.append((ref, snapshot, fingerprint(ref.spec, entries, self.rules, self.policy_digest)))
            except WeighbridgeError as exc:
                self._error(ref, str(exc))
        markers = (
            {} if self.full else self.store.lookup([(_marker(r), 0, 0) for r, _, _ in listed], self.rules)
        )
        changed: list[tuple[TargetRef, Snapshot, str]] = []
        for ref, snapshot, fp in listed:
            marker = markers.get(_marker(ref))
            if marker is not None and marker.get("sha256") == fp and marker.get("findings"):
                self.outcomes[ref.spec] = TargetOutcome(**marker["findings"][0])
                continue
            try:
                snapshot = snapshot or resolve_ref(ref.kind, ref.spec, ref.store)
                if not snapshot.files and not snapshot.notes:
                    raise WeighbridgeError(f"nothing to scan: {ref.path} contains no files")
            except WeighbridgeError as exc:
                self._error(ref, str(exc))
                continue
            changed.append((ref, snapshot, fp))
        planned = [
            (ref, snapshot, fp, [self._item(snapshot, f) for f in snapshot.files])
            for ref, snapshot, fp in changed
        ]
        keys = [(i.key, i.size, i.mtime_ns) for *_, items in planned for i in items if i.size >= 0]
        rows = {} if self.full else self.store.lookup(keys, self.rules)
        for ref, snapshot, fp, items in planned:
            self._plan_target(ref, snapshot, fp, items, rows)

    def _error(self, ref: TargetRef, message: str) -> None:
        self.outcomes[ref.spec] = TargetOutcome(ref.spec, ref.kind.value, "error", error=message)

    @staticmethod
    def _item(snapshot: Snapshot, sfile: SnapshotFile) -> WorkItem:
        st = stat_entry(sfile.rel, sfile.abspath)
        return WorkItem(st.real or sfile.abspath, sfile, snapshot.root, st.size, st.mtime_ns)

    def _plan_target(
        self,
        ref: TargetRef,
        snapshot: Snapshot,
        fp: str,
        items: list[WorkItem],
        rows: dict[str, dict[str, Any]],
    ) -> None:
        pending = _Pending(ref, snapshot, fp)
        for item in items:
            self.files.add(item.key)
            cached = self._cached(rows.get(item.key), item)
            if cached is not None:
                pending.records[item.file.rel] = to_record(cached, item)
                self.cached.add(item.key)
                continue
            ident = (item.key, item.file.rel, item.file.expected_sha256)
            pending.waiting.add(ident)
            if ident not in self.items:
                self.items[ident] = item
                self.to_read += max(item.size, 0)
            self.waiters.setdefault(ident, []).append(ref.spec)
        self.pending[ref.spec] = pending

    @staticmethod
    def _cached(row: dict[str, Any] | None, item: WorkItem) -> CachedFile | None:
        if row is None:
            return None
        findings = row.get("findings")
        payload = findings[0] if isinstance(findings, list) and len(findings) == 1 else None
        if not isinstance(payload, dict) or not matches(payload, item):
            return None
        return CachedFile(str(row["sha256"]), str(row["format"]), payload)

    # -- execution ------------------------------------------------------------------------------------------
    def execute(self) -> None:
        """Keep at most two scan batches per worker queued, so a target's evaluation (submitted the moment its
        last file is in) runs next and the coordinator records reports while the workers read on, instead of
        every evaluation and every registry write waiting for the last file of the fleet."""
        queue = iter(batches(self._ordered_items()))
        window = 2 * max(1, self.workers)
        futures: dict[Future[Any], tuple[str, Any]] = {}
        scans = 0
        if self.progress is not None:
            self.progress(0, self.to_read)
        for spec, pending in list(self.pending.items()):
            if not pending.waiting:
                futures[self._evaluate(pending)] = ("evaluate", spec)
        done_bytes = 0
        try:
            while True:
                while scans < window and (batch := next(queue, None)) is not None:
                    futures[self._submit(scan_batch, batch, self.limits)] = ("scan", batch)
                    scans += 1
                if not futures:
                    return
                finished, _ = wait(list(futures), return_when=FIRST_COMPLETED)
                for future in finished:
                    what, payload = futures.pop(future)
                    if what == "scan":
                        scans -= 1
                        done_bytes += sum(max(i.size, 0) for i in payload)
                        for spec in self._scanned(future, payload):
                            futures[self._evaluate(self.pending[spec])] = ("evaluate", spec)
                        if self.progress is not None:
                            self.progress(done_bytes, self.to_read)
                    else:
                        self._evaluated(future, payload)
        finally:  # what was recorded keeps its fingerprint, however the loop ends
            self._commit_markers()

    def _ordered_items(self) -> list[WorkItem]:
        """Files target by target, the targets with the most to read first (the long ones start early, the
        short ones fill the end), each target's own files largest first; a file shared by targets once."""

        def weight(pending: _Pending) -> int:
            return sum(max(self.items[i].size, 0) for i in pending.waiting)

        order: list[WorkItem] = []
        seen: set[tuple[str, str, str | None]] = set()
        for pending in sorted(self.pending.values(), key=lambda p: (-weight(p), p.ref.spec)):
            for ident in sorted(pending.waiting, key=lambda i: (-self.items[i].size, i)):
                if ident not in seen:
                    seen.add(ident)
                    order.append(self.items[ident])
        return order

    def _evaluate(self, pending: _Pending) -> Future[tuple[Report, float]]:
        records = [r for r, _ in pending.records.values()]
        refs = [ref for _, rs in pending.records.values() for ref in rs]
        return self._submit(evaluate_target, pending.snapshot, records, refs, self.policy)

    def _submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Submit, or hand back a failed future when the executor is broken (a worker was killed by the OS):
        the targets waiting on it become errors and the run finishes instead of stopping half way."""
        try:
            return self.executor.submit(fn, *args)
        except (BrokenExecutor, RuntimeError) as exc:
            failed: Future[Any] = Future()
            failed.set_exception(exc)
            return failed

    def _scanned(self, future: Future[Any], batch: list[WorkItem]) -> list[str]:
        """Commit a batch's file results; the targets that now have every file."""
        try:
            results: list[FileResult] = future.result()
        except Exception as exc:  # a worker died (out of memory, killed, lost node): its targets fail
            message = f"worker failed while reading {len(batch)} file(s): {type(exc).__name__}: {exc}"[:300]
            for item in batch:
                for spec in self.waiters.get((item.key, item.file.rel, item.file.expected_sha256), []):
                    self.pending[spec].error = message
            return self._ready([(i.key, i.file.rel, i.file.expected_sha256) for i in batch])
        idents = []
        rows: list[CacheRow] = []
        for result in results:
            item = result.item
            ident = (item.key, item.file.rel, item.file.expected_sha256)
            idents.append(ident)
            self.read.add(item.key)
            self.bytes_read += result.record.size
            self.hosts[result.host] = self.hosts.get(result.host, 0) + 1
            self.scan_cpu += result.cpu_seconds
            if result.stable and result.record.sha256 is not None:
                rows.append(
                    CacheRow(
                        item.key,
                        item.size,
                        item.mtime_ns,
                        result.record.sha256,
                        result.record.format,
                        to_payload(result),
                    )
                )
            for spec in self.waiters.get(ident, []):
                self.pending[spec].records[item.file.rel] = (result.record, result.references)
        # the batch's files, committed together as they completed together (with the fingerprints of the
        # targets recorded meanwhile: one transaction instead of one more per target)
        self.store.store(rows + self.markers, self.rules)
        self.markers = []
        return self._ready(idents)

    def _commit_markers(self) -> None:
        if self.markers:
            self.store.store(self.markers, self.rules)
            self.markers = []

    def _ready(self, idents: list[tuple[str, str, str | None]]) -> list[str]:
        ready = []
        for ident in idents:
            for spec in self.waiters.get(ident, []):
                pending = self.pending[spec]
                pending.waiting.discard(ident)
                if not pending.waiting:
                    if pending.error is None:
                        ready.append(spec)
                    else:
                        self.outcomes[spec] = TargetOutcome(
                            spec, pending.ref.kind.value, "error", error=pending.error
                        )
        return ready

    def _evaluated(self, future: Future[Any], spec: str) -> None:
        pending = self.pending[spec]
        kind = pending.ref.kind.value
        try:
            report, cpu = future.result()
        except Exception as exc:  # noqa: BLE001 - one target's failure must not stop the fleet
            self.outcomes[spec] = TargetOutcome(
                spec, kind, "error", error=f"evaluation failed: {type(exc).__name__}: {exc}"[:300]
            )
            return
        self.evaluate_cpu += cpu
        try:
            version = self.store.record_report(report, source=spec, name=pending.ref.name)
        except WeighbridgeError as exc:
            self.outcomes[spec] = TargetOutcome(spec, kind, "error", error=f"cannot record: {exc}")
            return
        top = report.max_severity
        outcome = TargetOutcome(
            spec,
            kind,
            "recorded",
            model=version.model,
            version_id=version.id,
            manifest_digest=report.manifest_digest,
            max_severity=top.label if top is not None else "none",
            verdict=report.policy.verdict.value if report.policy is not None else None,
            decision=version.decision.value,
            files=len(report.files),
            findings=len(report.findings),
        )
        self.outcomes[spec] = outcome
        unchanged = outcome.to_dict() | {"status": "unchanged"}
        self.markers.append(
            CacheRow(_marker(pending.ref), 0, 0, pending.fingerprint, MARKER_FORMAT, unchanged)
        )
        if len(self.markers) >= MARKER_BATCH:
            self._commit_markers()
        del self.pending[spec]


def _marker(ref: TargetRef) -> str:
    return ref.path + MARKER_SUFFIX
