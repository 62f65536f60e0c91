"""Fleet scaling benchmark (not a test): `weighbridge fleet scan` throughput by engine and worker count.

On one generated mirror (tests/fleet/mirror.py: HF-cache revisions, an Ollama store, model folders, loose
files, hostile pickles and malformed weights), with the page cache warm, in ONE run:

* --engine local with 1 worker, with 2 workers, and --engine ray with 2 workers (a local Ray instance with
  2 CPUs), each from an empty registry (every file read, every target evaluated and recorded);
* the no-change re-run and the incremental re-run after touching 1 % of the weight files (new mtime, same
  bytes), on the 2-worker local registry.

For each run: wall seconds (executor start-up apart), files and bytes read, MB/s, targets/s, speed-up over one
local worker, the coordinator's seconds inside registry calls, the machine's CPU busy share (/proc/stat) and
load average, so a speed-up below 2x can be traced to its cause. Results go to benchmarks/out/.

Usage: .venv/bin/python benchmarks/fleet_scaling.py [--targets 300] [--weight-mib 48] [--skip-ray] [--keep]
The defaults build 315 targets / 11.4 GB (it needs that much free disk and, to measure CPU rather than the
disk, that much free page cache); the mirror is deleted afterwards unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fleet.mirror import build_mirror  # noqa: E402 - the tests' generator, reused

from weighbridge.core.registry import VersionRecord  # noqa: E402
from weighbridge.core.report import Report  # noqa: E402
from weighbridge.fleet.executors import make_executor  # noqa: E402
from weighbridge.fleet.run import FleetScanResult, fleet_scan  # noqa: E402
from weighbridge.fleet.store import CacheRow, RegistryStore  # noqa: E402
from weighbridge.registry import Registry, open_registry  # noqa: E402


class TimedStore(RegistryStore):
    """The registry, timing the coordinator's calls into it (they run on the coordinator's one thread)."""

    def __init__(self, registry: Registry) -> None:
        super().__init__(registry)
        self.seconds = 0.0
        self.calls = 0

    def _timed(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start
            self.calls += 1

    def lookup(self, keys: Sequence[tuple[str, int, int]], rules_version: str) -> dict[str, dict[str, Any]]:
        result: dict[str, dict[str, Any]] = self._timed(super().lookup, keys, rules_version)
        return result

    def store(self, rows: Sequence[CacheRow], rules_version: str) -> None:
        self._timed(super().store, rows, rules_version)

    def record_report(self, report: Report, *, source: str, name: str | None) -> VersionRecord:
        result: VersionRecord = self._timed(super().record_report, report, source=source, name=name)
        return result


def cpu_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def mirror_params(targets: int, weight_mib: float) -> dict[str, Any]:
    unit = max(
        1, targets // 20
    )  # 20 % HF repos (+ their second revisions), 10 % Ollama, 40 % folders, 30 % loose
    return {
        "hf_repos": 4 * unit,
        "ollama_models": 2 * unit,
        "folders": 8 * unit,
        "loose": 6 * unit,
        "weight_bytes": int(weight_mib * 1024 * 1024),
        "seed": 7,
    }


def build(folder: Path, params: dict[str, Any]) -> tuple[Any, int]:
    marker = folder / "params.json"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    mirror = build_mirror(folder / "mirror", **params)
    marker.write_text(json.dumps(params))
    size = sum(p.stat().st_size for p in (folder / "mirror").rglob("*") if p.is_file() and not p.is_symlink())
    return mirror, size


def warm(root: Path) -> None:
    for p in root.rglob("*"):
        if p.is_file() and not p.is_symlink():
            with p.open("rb") as f:
                while f.read(16 * 1024 * 1024):
                    pass


def run_once(
    label: str, mirror_root: Path, db: Path, engine: str, workers: int, registry: Registry | None = None
) -> dict[str, Any]:
    own = registry is None
    reg = registry if registry is not None else open_registry(str(db))
    store = TimedStore(reg)
    t0 = time.perf_counter()
    executor = make_executor(engine, workers=workers)
    if engine == "local":  # start the processes now so their start-up is not counted as scanning
        list(executor.map(abs, range(workers * 4)))
    startup = time.perf_counter() - t0
    busy0, total0 = cpu_jiffies()
    t1 = time.perf_counter()
    result: FleetScanResult = fleet_scan(
        [str(mirror_root)], executor=executor, store=store, engine=engine, workers=workers
    )
    wall = time.perf_counter() - t1
    busy1, total1 = cpu_jiffies()
    executor.shutdown(wait=True)
    if own:
        reg.close()
    evaluated = sum(1 for t in result.targets if t.status == "recorded")
    row = {
        "run": label,
        "engine": engine,
        "workers": workers,
        "startup_s": round(startup, 2),
        "wall_s": round(wall, 2),
        "targets": len(result.targets),
        "evaluated": evaluated,
        "files_read": result.files_read,
        "files_cached": result.files_cached,
        "gb_read": round(result.bytes_read / 1e9, 3),
        "mb_s": round(result.bytes_read / 1e6 / wall, 1) if wall else 0.0,
        "targets_s": round(evaluated / wall, 1) if wall else 0.0,
        "registry_s": round(store.seconds, 2),
        "registry_calls": store.calls,
        "scan_cpu_s": round(result.scan_cpu_seconds, 2),
        "evaluate_cpu_s": round(result.evaluate_cpu_seconds, 2),
        "coordinator_cpu_s": round(result.coordinator_cpu_seconds, 2),
        "machine_busy_pct": round(100 * (busy1 - busy0) / max(1, total1 - total0), 1),
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "worker_processes": len(result.hosts),
        "errors": sum(1 for t in result.targets if t.status == "error"),
    }
    print(
        f"  {label:28} {wall:7.1f} s  ({result.files_read} files, {row['gb_read']} GB, "
        f"registry {store.seconds:.1f} s, machine busy {row['machine_busy_pct']} %)",
        flush=True,
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--targets", type=int, default=300)
    parser.add_argument("--weight-mib", type=float, default=48.0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    parser.add_argument("--skip-ray", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the generated mirror (it is several GB)")
    args = parser.parse_args()
    work = args.out / "fleet-scaling"
    params = mirror_params(args.targets, args.weight_mib)
    print(f"building the mirror {params} …", flush=True)
    t = time.perf_counter()
    mirror, size = build(work / "data", params)
    print(
        f"  {mirror.targets} targets, {size / 1e9:.2f} GB on disk, built in {time.perf_counter() - t:.1f} s",
        flush=True,
    )
    warm(mirror.root)
    dbs = work / "db"
    shutil.rmtree(dbs, ignore_errors=True)
    dbs.mkdir(parents=True)
    os.environ["WEIGHBRIDGE_HOME"] = str(work / "home")
    rows = [run_once("local x1 (cold registry)", mirror.root, dbs / "local1.db", "local", 1)]
    rows.append(run_once("local x2 (cold registry)", mirror.root, dbs / "local2.db", "local", 2))
    if not args.skip_ray:
        rows.append(run_once("ray x2 (cold registry)", mirror.root, dbs / "ray2.db", "ray", 2))
    with open_registry(str(dbs / "local2.db")) as registry:
        rows.append(run_once("local x2 no change", mirror.root, dbs / "local2.db", "local", 2, registry))
        files = sorted(p for p in mirror.root.rglob("*") if p.is_file() and not p.is_symlink())
        touched = files[::100]  # 1 % of the files on disk
        for path in touched:
            st = path.stat()
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        rows.append(
            run_once(
                f"local x2 after touching {len(touched)}",
                mirror.root,
                dbs / "local2.db",
                "local",
                2,
                registry,
            )
        )
    base = rows[0]["wall_s"]
    for row in rows:
        row["speedup_vs_local1"] = round(base / row["wall_s"], 2) if row["wall_s"] else None
    header = [
        "run",
        "wall_s",
        "startup_s",
        "files_read",
        "gb_read",
        "mb_s",
        "targets_s",
        "speedup_vs_local1",
        "scan_cpu_s",
        "evaluate_cpu_s",
        "coordinator_cpu_s",
        "registry_s",
        "machine_busy_pct",
        "loadavg_1m",
    ]
    widths = [max(len(h), *(len(str(r[h])) for r in rows)) for h in header]
    print()
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(str(row[h]).ljust(w) for h, w in zip(header, widths, strict=True)))
    doc = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "mirror": {**params, "targets": mirror.targets, "bytes": size, "files": len(mirror.weight_files)},
        "runs": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "fleet_scaling.json").write_text(json.dumps(doc, indent=2))
    print(f"\nresults written to {args.out / 'fleet_scaling.json'}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
