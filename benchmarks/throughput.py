"""Throughput benchmark (not a test): `weighbridge scan` vs `openssl dgst -sha256` on a multi-GB folder.

Builds (once, cached) a folder of safetensors shards and PyTorch checkpoints (zip and legacy), warms the page
cache, then times in one run:

* `openssl dgst -sha256 FILES…` — the fastest SHA-256 on these machines, one process, file after file;
* `weighbridge scan FOLDER --format json` — hashing *and* parsing every file, files in parallel;
* peak RSS of the weighbridge process (from wait4);
* an opcode-dense 50 MB pickle (lists of floats and ints, like optimizer/tokenizer dumps) analysed by the
  pickle analyser, and, for the record, a dict-heavy pickle of the same size.

Usage: python benchmarks/throughput.py [--size-gib 2.5] [--dir benchmarks/out/throughput]
"""

from __future__ import annotations

import argparse
import compileall
import io
import json
import os
import pickle
import random
import shutil
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WB = Path(sys.executable).parent / "weighbridge"  # the console script of the running environment
CHUNK = 64 * 1024 * 1024


def write_safetensors(path: Path, nbytes: int, seed: int) -> None:
    rows = nbytes // (4 * 4096)
    header = {
        "__metadata__": {"format": "pt"},
        "weight": {"dtype": "F32", "shape": [rows, 4096], "data_offsets": [0, rows * 4096 * 4]},
    }
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    rnd = random.Random(seed)
    block = rnd.randbytes(CHUNK)
    with path.open("wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw)
        left = rows * 4096 * 4
        while left:
            n = min(left, CHUNK)
            f.write(block[:n])
            left -= n


def build(folder: Path, size_gib: float) -> list[Path]:
    marker = folder / ".complete"
    if marker.exists() and json.loads(marker.read_text()).get("size_gib") == size_gib:
        return sorted(p for p in folder.iterdir() if p.is_file() and p.name != ".complete")
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    import torch  # only the benchmark's generator uses torch; the scanner never imports it

    total = int(size_gib * 1024**3)
    st_bytes = int(total * 0.7)
    shards = 4
    for i in range(shards):
        write_safetensors(folder / f"model-{i + 1:05d}-of-{shards:05d}.safetensors", st_bytes // shards, i)
    torch.manual_seed(0)
    zip_elems = int(total * 0.2) // 4
    torch.save(
        {"layer.weight": torch.randn(zip_elems // 1024, 1024), "step": 10}, folder / "pytorch_model.bin"
    )
    legacy_elems = int(total * 0.1) // 4
    torch.save(
        {"embed.weight": torch.randn(legacy_elems // 1024, 1024)},
        folder / "legacy_checkpoint.pt",
        _use_new_zipfile_serialization=False,
    )
    (folder / "config.json").write_text(json.dumps({"model_type": "llama", "hidden_size": 4096}))
    marker.write_text(json.dumps({"size_gib": size_gib}))
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name != ".complete")


def warm(files: list[Path]) -> None:
    buf = bytearray(CHUNK)
    for p in files:
        with p.open("rb", buffering=0) as f:
            while f.readinto(buf):
                pass


def timed(cmd: list[str]) -> tuple[float, int, int, float]:
    """Wall seconds, exit code, peak RSS (KiB) and CPU seconds (user + system) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    return elapsed, os.waitstatus_to_exitcode(status), usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def dense_pickle(target_mb: int) -> bytes:
    rnd = random.Random(1)
    n = target_mb * 1000 * 1000 // 7
    floats = [rnd.random() for _ in range(n // 2)]
    ints = [rnd.randrange(1 << 30) for _ in range(n // 2)]
    return pickle.dumps({"exp_avg": floats, "token_ids": ints, "step": 1000}, protocol=4)


def dict_pickle(target_mb: int) -> bytes:
    n = target_mb * 1000 * 1000 // 36
    return pickle.dumps([{"id": i, "token": f"tok{i}", "score": i * 0.5} for i in range(n)], protocol=4)


def analyse_rate(data: bytes) -> tuple[float, float, int]:
    sys.path.insert(0, str(ROOT / "src"))
    from weighbridge.formats.base import Limits, ScanContext
    from weighbridge.formats.pickle.analyser import analyse_pickles

    ctx = ScanContext(path="bench.pkl", limits=Limits(), nested=lambda c, s, n, z: "skipped")
    start, cpu = time.perf_counter(), time.process_time()
    analyse_pickles(ctx, io.BytesIO(data))
    return time.perf_counter() - start, time.process_time() - cpu, len(ctx.findings)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-gib", type=float, default=2.5)
    ap.add_argument("--dir", type=Path, default=ROOT / "benchmarks" / "out" / "throughput")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--build-only", action="store_true", help="only generate the folder")
    args = ap.parse_args()
    openssl = shutil.which("openssl")
    if openssl is None:
        print("openssl not found", file=sys.stderr)
        return 2
    files = build(args.dir, args.size_gib)
    if args.build_only:
        return 0
    compileall.compile_dir(str(ROOT / "src"), quiet=1)  # run as an installed package does, from bytecode
    size = sum(p.stat().st_size for p in files)
    warm(files)
    rows = []
    best_ssl = best_wb = float("inf")
    rss = 0
    for _ in range(args.repeat):
        t_ssl, rc, _, c_ssl = timed([openssl, "dgst", "-sha256", *map(str, files)])
        assert rc == 0
        t_wb, rc_wb, rss_kib, c_wb = timed(
            [str(WB), "scan", str(args.dir), "--format", "json", "-o", os.devnull]
        )
        best_ssl, best_wb, rss = min(best_ssl, t_ssl), min(best_wb, t_wb), max(rss, rss_kib)
        rows.append((t_ssl, t_wb, rc_wb, rss_kib, c_ssl, c_wb))
    print(
        f"folder: {len(files)} files, {size / 1024**3:.2f} GiB ({args.dir}), page cache warm, "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"{'run':>4} {'openssl s':>10} {'weighbridge s':>14} {'ratio':>6} {'wb exit':>8} {'wb peak RSS MB':>15}"
        f" {'openssl cpu s':>14} {'wb cpu s':>9}"
    )
    for i, (a, b, rc, r, ca, cb) in enumerate(rows, 1):
        print(f"{i:>4} {a:>10.2f} {b:>14.2f} {b / a:>6.2f} {rc:>8} {r / 1024:>15.1f} {ca:>14.2f} {cb:>9.2f}")
    # the machine is shared: the median of paired ratios, and CPU seconds (what the work costs, not the wait)
    print(
        f"median ratio {statistics.median(b / a for a, b, *_ in rows):.2f} (wall), "
        f"{statistics.median(r[5] / r[4] for r in rows):.2f} (CPU seconds, weighbridge over openssl)"
    )
    print(
        f"best: openssl {best_ssl:.2f} s ({size / best_ssl / 1e9:.2f} GB/s), weighbridge {best_wb:.2f} s "
        f"({size / best_wb / 1e9:.2f} GB/s), ratio {best_wb / best_ssl:.2f}, peak RSS {rss / 1024:.0f} MB"
    )

    for label, data in (
        ("opcode-dense (floats+ints)", dense_pickle(50)),
        ("dict-heavy (str keys)", dict_pickle(50)),
    ):
        t, cpu, nfind = analyse_rate(data)
        print(
            f"pickle {label}: {len(data) / 1e6:.1f} MB in {t:.2f} s = {len(data) / t / 1e6:.1f} MB/s wall, "
            f"{len(data) / cpu / 1e6:.1f} MB/s CPU ({nfind} findings)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
