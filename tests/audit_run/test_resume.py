"""Kill an audit with SIGKILL mid-run, run it again: nothing lost, nothing asked twice but the one in flight."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.audit_run import resume_entry as entry

from weighbridge.audit.runfile import load_run
from weighbridge.audit.runner import plan_requests, run_audit

ENTRY = Path(entry.__file__)
REPO = Path(__file__).resolve().parents[2]


def committed_keys(cache: Path) -> set[str]:
    if not cache.exists():
        return set()
    try:
        with sqlite3.connect(f"file:{cache}?mode=ro", uri=True) as db:
            return {row[0] for row in db.execute("SELECT key FROM completions")}
    except sqlite3.OperationalError:  # the writer has not created the table yet
        return set()


def logged(log: Path) -> list[tuple[str, float, int]]:
    if not log.exists():
        return []
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    return [(c["prompt_id"], c["temperature"], c["seed"]) for c in lines]


def start(cache: Path, log: Path, out: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "src")])}
    return subprocess.Popen(
        [sys.executable, str(ENTRY), str(cache), str(log), str(out)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_then_resume_asks_only_for_what_is_missing(tmp_path: Path) -> None:
    cache, log, out = tmp_path / "cache.sqlite", tmp_path / "calls.jsonl", tmp_path / "run.json"
    proc = start(cache, log, out)
    deadline = time.monotonic() + 30
    while len(committed_keys(cache)) < 5:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, "the audit never committed 5 completions"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert not out.exists()  # killed before the run file: only the cache holds the work

    model = entry.runtime().describe()
    plan = plan_requests(model, entry.PROMPTS, entry.SETTINGS, entry.SAMPLES, True)
    identity = {r.key: (r.prompt.id, r.settings.temperature, r.settings.seed) for r in plan}
    cached_at_kill = {identity[k] for k in committed_keys(cache)}
    before = logged(log)
    assert 5 <= len(cached_at_kill) < len(plan)
    assert cached_at_kill <= set(before) and len(before) == len(set(before))
    in_flight = set(before) - cached_at_kill
    assert len(in_flight) <= 1  # asked, not yet committed when killed (the runtime is serialised)

    rerun = subprocess.run(
        [sys.executable, str(ENTRY), str(cache), str(log), str(out)],
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "src")])},
        capture_output=True,
        text=True,
    )
    assert rerun.returncode == 0, rerun.stderr
    after = logged(log)[len(before) :]
    assert len(after) == len(set(after))  # nothing asked twice in the second run
    assert set(after) == set(identity.values()) - cached_at_kill  # exactly what was missing, no more
    assert set(after) & set(before) == in_flight  # the only repeat is the request that was in flight

    run = load_run(out)
    assert [(s.prompt_id, s.greedy, s.index) for s in run.samples] == [
        (p.id, g, i) for p in entry.PROMPTS for g, i in ((True, 0), (False, 0), (False, 1))
    ]
    assert len(committed_keys(cache)) == len(plan)
    uninterrupted = run_audit(entry.runtime(), [entry.SUITE], entry.SETTINGS, samples=entry.SAMPLES)
    assert [s.completion.text for s in run.samples] == [s.completion.text for s in uninterrupted.samples]
    assert [s.cache_key for s in run.samples] == [s.cache_key for s in uninterrupted.samples]
