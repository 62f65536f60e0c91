"""A fleet scan killed with SIGKILL mid-run loses only what was in flight: the re-run reads no file whose
result had been committed, finishes every target, and the registry holds each version and report once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.fleet.mirror import build_mirror

WB = [sys.executable, "-m", "weighbridge"]


def cached_paths(db: Path) -> set[str]:
    if not db.exists():
        return set()
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            rows = conn.execute("SELECT path, format FROM scan_cache").fetchall()
    except sqlite3.OperationalError:  # the registry is still being created
        return set()
    return {path for path, fmt in rows if fmt != "fleet-target"}


def count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_sigkill_then_rerun_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    mirror = build_mirror(
        tmp_path / "mirror",
        hf_repos=16,
        folders=16,
        ollama_models=6,
        loose=10,
        weight_bytes=1024 * 1024,
        seed=2,
    )
    db = tmp_path / "registry.db"
    env = {**os.environ, "WEIGHBRIDGE_HOME": str(tmp_path / "home")}
    command = [*WB, "fleet", "scan", str(mirror.root), "--db", str(db), "--workers", "1", "--json"]
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    deadline = time.monotonic() + 120
    while len(cached_paths(db)) < 8 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the scan and its worker processes, like a crash or an OOM kill
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the scan finished before it could be killed"
    committed = cached_paths(db)
    assert committed

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    result = json.loads(rerun.stdout)
    # exit 1: the mirror plants malicious files (findings at or above --fail-on high), not errors
    assert rerun.returncode == 1 and any(t["max_severity"] in ("critical", "high") for t in result["targets"])
    assert {t["status"] for t in result["targets"]} <= {"recorded", "unchanged"}
    assert len(result["targets"]) == mirror.targets
    assert result["files"]["read"] + result["files"]["cached"] == result["files"]["total"]
    assert (
        not set(result["files"]["read_paths"]) & committed
    )  # nothing committed before the kill is read again
    assert set(result["files"]["read_paths"]) | committed >= cached_paths(db)

    assert count(db, "versions") == mirror.targets
    assert count(db, "reports") == mirror.targets
    third = json.loads(subprocess.run(command, env=env, capture_output=True, text=True, timeout=300).stdout)
    assert {t["status"] for t in third["targets"]} == {"unchanged"} and third["files"]["read"] == 0
