"""Mirror throughput benchmark (not a test): a multi-GB admitted file downloaded through `weighbridge mirror
serve` by the real huggingface_hub client, against `python -m http.server` serving the same file and against
reading it from disk, with one client and with many concurrent clients, in one run.

What runs (all on 127.0.0.1, each server in its own process so its peak RSS is its own):

* the model folder (a valid safetensors file of --size-gib plus a config) is built once, admitted into a
  fresh registry (inspect, then a person's approval) and published into a fresh blob store;
* `weighbridge mirror serve` and `python -m http.server` are started on free ports;
* disk: `cat FILE > /dev/null` from the page cache (the ceiling for any server);
* mirror: `huggingface_hub.hf_hub_download` (HEAD + GET + cache move: the whole real client path);
* static: the same client library's downloader (`huggingface_hub.file_download.http_get`, the function
  hf_hub_download uses for the GET) against http.server, since a static server cannot answer the Hub API;
* each case with 1 client and with --clients concurrent client processes; every download is checked for
  size (and the first one for its SHA-256) and deleted before the next;
* the servers alone: the same numbers of `curl -o /dev/null` clients (no Python client, no disk writes), which
  shows what each server can push when the client is not the bottleneck;
* peak RSS (VmHWM) of both server processes; for each case the ratios mirror/static and "vs reading it from
  disk" (mirror MB/s / disk-read MB/s) are printed.

Usage: python benchmarks/mirror_throughput.py [--size-gib 2] [--clients 4] [--dir benchmarks/out/mirror]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPO = "bench/big-model"
FILE = "model.safetensors"
CHUNK = 64 * 1024 * 1024

CLIENT = textwrap.dedent("""
    import json, os, sys, time
    from pathlib import Path
    mode, base, out, size = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
    start = time.perf_counter()
    if mode == "mirror":
        from huggingface_hub import hf_hub_download
        path = Path(hf_hub_download("%(repo)s", "%(file)s", endpoint=base, cache_dir=out))
    else:
        from huggingface_hub.file_download import http_get
        path = out / "%(file)s"
        out.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            http_get(base + "/%(file)s", handle, expected_size=size)
    seconds = time.perf_counter() - start
    got = path.stat().st_size
    print(json.dumps({"seconds": seconds, "bytes": got, "path": str(path)}))
""") % {"repo": REPO, "file": FILE}


def write_safetensors(path: Path, nbytes: int) -> None:
    rows = max(1, nbytes // (4 * 4096))
    header = {
        "__metadata__": {"format": "pt"},
        "weight": {"dtype": "F32", "shape": [rows, 4096], "data_offsets": [0, rows * 4096 * 4]},
    }
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    block = os.urandom(CHUNK)
    with path.open("wb") as handle:
        handle.write(struct.pack("<Q", len(raw)) + raw)
        left = rows * 4096 * 4
        while left:
            n = min(left, CHUNK)
            handle.write(block[:n])
            left -= n


def build(folder: Path, size_gib: float) -> None:
    marker = folder / ".complete"
    if marker.exists() and json.loads(marker.read_text()).get("size_gib") == size_gib:
        return
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    write_safetensors(folder / FILE, int(size_gib * 1024**3))
    (folder / "config.json").write_text('{"model_type": "llama"}\n')
    marker.write_text(json.dumps({"size_gib": size_gib}))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port}")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_clients(mode: str, base: str, count: int, size: int, scratch: Path) -> dict[str, float]:
    """``count`` client processes at once; aggregate MB/s over the wall time of the slowest."""
    outs = [scratch / f"{mode}-{count}-{i}" for i in range(count)]
    env = dict(
        os.environ,
        HF_HUB_DISABLE_PROGRESS_BARS="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_ETAG_TIMEOUT="60",
        HF_HUB_DOWNLOAD_TIMEOUT="120",
    )
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLIENT, mode, base, str(out), str(size)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for out in outs
    ]
    results = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=3600)
        if proc.returncode != 0:
            raise SystemExit(f"{mode} client failed: {stderr[-2000:]}")
        results.append(json.loads(stdout.strip().splitlines()[-1]))
    wall = time.perf_counter() - start
    for result in results:
        if result["bytes"] != size:
            raise SystemExit(f"{mode}: downloaded {result['bytes']} bytes, expected {size}")
    first = Path(results[0]["path"])
    digest = sha256(first) if count == 1 else None
    for out in outs:
        shutil.rmtree(out, ignore_errors=True)
    return {
        "clients": count,
        "wall_s": wall,
        "mb_s": count * size / wall / 1e6,
        "per_client_mb_s": sum(size / r["seconds"] for r in results) / count / 1e6,
        "sha256": digest or "",
    }


def run_curl(url: str, count: int, size: int) -> float:
    """``count`` curl processes at once writing to /dev/null; aggregate MB/s."""
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            ["curl", "-sS", "-o", "/dev/null", "-w", "%{size_download}", url],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    for proc in procs:
        out, _ = proc.communicate(timeout=3600)
        if proc.returncode != 0 or int(out or 0) != size:
            raise SystemExit(f"curl {url}: exit {proc.returncode}, {out} bytes")
    return count * size / (time.perf_counter() - start) / 1e6


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def disk_read(path: Path) -> float:
    start = time.perf_counter()
    subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=True)
    return path.stat().st_size / (time.perf_counter() - start) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gib", type=float, default=2.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--dir", type=Path, default=ROOT / "benchmarks" / "out" / "mirror")
    parser.add_argument("--rounds", type=int, default=2, help="Runs per case; the best is kept.")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from weighbridge.core.registry import DecisionAction
    from weighbridge.mirror import BlobStore, publish_folder
    from weighbridge.registry import open_registry

    folder = args.dir / "model"
    build(folder, args.size_gib)
    size = (folder / FILE).stat().st_size
    work = Path(tempfile.mkdtemp(prefix="wb-mirror-bench-", dir=args.dir))
    db, store_root = work / "registry.db", args.dir / "store"
    with open_registry(str(db)) as reg:
        version, decision = reg.admit(str(folder), policy_path=None, actor="bench", name=REPO)
        if decision.decision.value != "admitted":
            reg.decide(REPO, DecisionAction.APPROVE, actor="bench", reason="benchmark file")
        publish_folder(reg, BlobStore(store_root), REPO, folder)
    expected = next(f.sha256 for f in version.files if f.path == FILE)

    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), WEIGHBRIDGE_HOME=str(work / "home"))
    mirror_port, static_port = free_port(), free_port()
    mirror = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "weighbridge",
            "mirror",
            "serve",
            "--port",
            str(mirror_port),
            "--db",
            str(db),
            "--store",
            str(store_root),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    static = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "http.server",
            str(static_port),
            "--bind",
            "127.0.0.1",
            "--directory",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    rows: list[dict[str, object]] = []
    curl_rows: list[dict[str, object]] = []
    try:
        wait_for(mirror_port)
        wait_for(static_port)
        idle = {"mirror": peak_rss_mb(mirror.pid), "static": peak_rss_mb(static.pid)}
        disk = max(disk_read(folder / FILE) for _ in range(2))
        scratch = work / "downloads"
        for count in (1, args.clients):
            best: dict[str, dict[str, float]] = {}
            for _ in range(args.rounds):
                for mode, base in (
                    ("static", f"http://127.0.0.1:{static_port}"),
                    ("mirror", f"http://127.0.0.1:{mirror_port}"),
                ):
                    result = run_clients(mode, base, count, size, scratch)
                    if result["sha256"] and result["sha256"] != expected:
                        raise SystemExit(f"{mode}: the downloaded file does not hash to the admitted digest")
                    if mode not in best or result["mb_s"] > best[mode]["mb_s"]:
                        best[mode] = result
            raw = {"static": 0.0, "mirror": 0.0}
            if shutil.which("curl"):
                for _ in range(args.rounds):
                    raw["static"] = max(
                        raw["static"], run_curl(f"http://127.0.0.1:{static_port}/{FILE}", count, size)
                    )
                    raw["mirror"] = max(
                        raw["mirror"],
                        run_curl(f"http://127.0.0.1:{mirror_port}/{REPO}/resolve/main/{FILE}", count, size),
                    )
            curl_rows.append(
                {
                    "clients": count,
                    "static_mb_s": round(raw["static"], 1),
                    "mirror_mb_s": round(raw["mirror"], 1),
                    "ratio": round(raw["mirror"] / raw["static"], 3) if raw["static"] else None,
                    "vs_disk": round(raw["mirror"] / disk, 3) if raw["mirror"] else None,
                }
            )
            rows.append(
                {
                    "clients": count,
                    "static_mb_s": round(best["static"]["mb_s"], 1),
                    "mirror_mb_s": round(best["mirror"]["mb_s"], 1),
                    "ratio": round(best["mirror"]["mb_s"] / best["static"]["mb_s"], 3),
                    "vs_disk": round(best["mirror"]["mb_s"] / disk, 3),
                }
            )  # vs reading it from disk
        peak = {"mirror": peak_rss_mb(mirror.pid), "static": peak_rss_mb(static.pid)}
    finally:
        for proc in (mirror, static):
            proc.terminate()
            proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    report = {
        "file_bytes": size,
        "disk_read_mb_s": round(disk, 1),
        "cases": rows,
        "curl": curl_rows,
        "peak_rss_mb": {k: round(v, 1) for k, v in peak.items()},
        "idle_rss_mb": {k: round(v, 1) for k, v in idle.items()},
        "cpus": os.cpu_count(),
    }
    print(f"file: {size / 1024**3:.2f} GiB  disk read (page cache, cat): {disk:.0f} MB/s")
    for title, table in (("huggingface_hub client", rows), ("curl -o /dev/null (servers alone)", curl_rows)):
        print(f"{title}:")
        print(f"{'clients':>7} | {'static MB/s':>11} | {'mirror MB/s':>11} | mirror/static | mirror/disk")
        for row in table:
            ratio, vs_disk = row["ratio"], row["vs_disk"]
            print(
                f"{row['clients']:>7} | {row['static_mb_s']:>11} | {row['mirror_mb_s']:>11} | "
                + (f"{ratio:>13.3f}" if isinstance(ratio, float) else f"{'-':>13}")
                + " | "
                + (f"{vs_disk:.3f}" if isinstance(vs_disk, float) else "-")
            )
    print(
        f"peak RSS: mirror {peak['mirror']:.0f} MB (idle {idle['mirror']:.0f}), "
        f"http.server {peak['static']:.0f} MB"
    )
    (args.dir / "result.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
