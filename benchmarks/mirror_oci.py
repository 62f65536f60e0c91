"""The OCI/Ollama face and air-gap bundles on one large admitted GGUF, in one run, ratios printed.

    .venv/bin/python benchmarks/mirror_oci.py [--size-mb 1024] [--clients 4] [--keep DIR]

Not part of the test suite; loopback only. It makes a GGUF of ``--size-mb`` (the SmolLM2 header when the real
artifact is present, then random bytes), admits it into a fresh registry, publishes it into a fresh mirror store
and measures, best of three where it makes sense:

* reading the file from disk (Python, 1 MiB reads) — the ceiling;
* a plain static server (``python -m http.server``) sending the same file — what any web server would do;
* the mirror's ``/v2/<name>/blobs/<digest>`` (the gate asks the registry, checks the blob, streams it), one
  client, then ``--clients`` concurrent clients;
* ``skopeo copy`` of the whole model through the mirror (when skopeo is installed);
* ``weighbridge bundle export`` and ``bundle import`` of the model (wall time and peak RSS);
* the mirror's peak RSS (``VmHWM``) over the whole run.

Clients are ``curl`` when it is installed, else ``httpx`` in a subprocess. Numbers on a shared machine vary by
tens of percent from run to run; compare ratios taken in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SMOLLM2 = (
    Path(os.environ.get("WEIGHBRIDGE_ARTIFACTS", REPO / ".cache" / "artifacts"))
    / "smollm2"
    / "SmolLM2-135M-Instruct.Q4_1.gguf"
)
LENIENT = "name: lenient\nintended_use:\n  commercial: false\nrules:\n  max_scan_severity: critical\n"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port}")


def _fetch_cmd(url: str) -> list[str]:
    if shutil.which("curl"):
        return ["curl", "-sf", "-o", "/dev/null", url]
    code = (
        "import httpx,sys\nwith httpx.stream('GET', sys.argv[1], timeout=None) as r:\n r.raise_for_status()\n"
        " [None for _ in r.iter_bytes(1 << 20)]"
    )
    return [sys.executable, "-c", code, url]


def _timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def _rss_run(cmd: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (MB) of ``cmd`` run alone in a fresh child."""
    wrapper = (
        "import resource,subprocess,sys,time\nt=time.perf_counter()\n"
        "subprocess.run(sys.argv[1:],check=True,stdout=subprocess.DEVNULL)\n"
        "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", wrapper, *cmd], check=True, capture_output=True, text=True, env=env
    )
    seconds, kb = out.stdout.split()
    return float(seconds), int(kb) // 1024


def _disk(path: Path) -> float:
    start = time.perf_counter()
    with open(path, "rb") as handle:
        while handle.read(1 << 20):
            pass
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="wb-oci-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "WEIGHBRIDGE_HOME": str(work / "home"), "PYTHONPATH": str(REPO / "src")}
    sys.path.insert(0, str(REPO / "src"))
    os.environ.update(WEIGHBRIDGE_HOME=env["WEIGHBRIDGE_HOME"])
    from weighbridge.core.registry import DecisionAction
    from weighbridge.mirror import BlobStore, publish_folder
    from weighbridge.registry import open_registry

    model = work / "models" / "bench-gguf"
    model.mkdir(parents=True, exist_ok=True)
    (model / "README.md").write_text("---\nlicense: apache-2.0\n---\n# bench\n\nA benchmark model.\n")
    gguf = model / "bench.gguf"
    if not gguf.exists():
        header = SMOLLM2.read_bytes()[: 1 << 20] if SMOLLM2.is_file() else b"GGUF\x03\x00\x00\x00"
        with open(gguf, "wb") as out:
            out.write(header)
            block = os.urandom(1 << 20)
            for _ in range(args.size_mb):
                out.write(block)
    size_mb = gguf.stat().st_size / 1e6
    db = f"sqlite:///{work / 'registry.db'}"
    with open_registry(db) as reg:
        version, _ = reg.admit(str(model), policy_path=None, actor="bench")
        reg.decide(version.model, DecisionAction.APPROVE, actor="bench", reason="benchmark")
        publish_folder(reg, BlobStore(work / "store"), version.model, model)
    sha = next(f.sha256 for f in version.files if f.path == gguf.name)

    mirror_port, static_port = _port(), _port()
    serve = (
        f"import uvicorn\nfrom weighbridge.mirror.app import create_mirror_app\n"
        f"uvicorn.run(create_mirror_app({db!r}, store_root={str(work / 'store')!r}), host='127.0.0.1', "
        f"port={mirror_port}, log_level='warning')"
    )
    mirror = subprocess.Popen([sys.executable, "-c", serve], env=env, stderr=subprocess.DEVNULL)
    static = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "http.server",
            str(static_port),
            "--bind",
            "127.0.0.1",
            "--directory",
            str(model),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    rows: list[tuple[str, float, float]] = []
    try:
        _wait(mirror_port)
        _wait(static_port)
        blob_url = f"http://127.0.0.1:{mirror_port}/v2/library/{version.model}/blobs/sha256:{sha}"
        disk = min(_disk(gguf) for _ in range(3))
        plain = min(_timed(_fetch_cmd(f"http://127.0.0.1:{static_port}/{gguf.name}")) for _ in range(3))
        served = min(_timed(_fetch_cmd(blob_url)) for _ in range(3))
        rows += [
            ("disk read (1 MiB reads)", disk, size_mb / disk),
            ("static http.server", plain, size_mb / plain),
            ("mirror /v2 blob", served, size_mb / served),
        ]
        start = time.perf_counter()
        clients = [subprocess.Popen(_fetch_cmd(blob_url)) for _ in range(args.clients)]
        if any(c.wait() for c in clients):
            raise SystemExit("a concurrent client failed")
        together = time.perf_counter() - start
        rows.append((f"mirror, {args.clients} clients at once", together, args.clients * size_mb / together))
        start = time.perf_counter()
        clients = [
            subprocess.Popen(_fetch_cmd(f"http://127.0.0.1:{static_port}/{gguf.name}"))
            for _ in range(args.clients)
        ]
        if any(c.wait() for c in clients):
            raise SystemExit("a concurrent client failed")
        static_together = time.perf_counter() - start
        rows.append(
            (
                f"static, {args.clients} clients at once",
                static_together,
                args.clients * size_mb / static_together,
            )
        )
        skopeo = shutil.which("skopeo")
        if skopeo:
            policy = work / "skopeo-policy.json"
            policy.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
            target = work / "skopeo-copy"
            shutil.rmtree(target, ignore_errors=True)
            seconds = _timed(
                [
                    skopeo,
                    "--policy",
                    str(policy),
                    "copy",
                    "--src-tls-verify=false",
                    f"docker://127.0.0.1:{mirror_port}/library/{version.model}:latest",
                    f"dir:{target}",
                ]
            )
            rows.append(("skopeo copy (to disk)", seconds, size_mb / seconds))
        status = Path(f"/proc/{mirror.pid}/status").read_text().splitlines()
        hwm = next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmHWM"))
    finally:
        mirror.terminate()
        static.terminate()

    wb = [sys.executable, "-m", "weighbridge"]
    bundle = work / "bench.wbundle"
    bundle.unlink(missing_ok=True)
    policy_file = work / "lenient.yaml"
    policy_file.write_text(LENIENT)
    export_s, export_mb = _rss_run(
        [
            *wb,
            "bundle",
            "export",
            version.model,
            "-o",
            str(bundle),
            "--db",
            db,
            "--store",
            str(work / "store"),
        ],
        env,
    )
    target_db = work / "airgapped.db"
    target_db.unlink(missing_ok=True)
    shutil.rmtree(work / "airgapped-store", ignore_errors=True)
    import_s, import_mb = _rss_run(
        [
            *wb,
            "bundle",
            "import",
            str(bundle),
            "--policy",
            str(policy_file),
            "--db",
            f"sqlite:///{target_db}",
            "--store",
            str(work / "airgapped-store"),
        ],
        env,
    )
    rows += [
        ("bundle export", export_s, size_mb / export_s),
        ("bundle import (hash, scan, publish)", import_s, size_mb / import_s),
    ]

    print(f"{size_mb:.0f} MB GGUF, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    for label, seconds, rate in rows:
        print(f"  {label:38} {seconds:7.2f} s  {rate:8.0f} MB/s")
    print(f"  mirror vs static server, one client:  {plain / served:.2f}x")
    print(f"  mirror vs static server, {args.clients} clients:   {static_together / together:.2f}x")
    print(f"  mirror vs disk read:                  {disk / served:.2f}x")
    print(f"  peak RSS: mirror {hwm} MB, bundle export {export_mb} MB, bundle import {import_mb} MB")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
