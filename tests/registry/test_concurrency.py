"""8 processes x 50 operations against one database per backend: nothing lost, nothing duplicated, every
version's history complete and in order, the current decision equal to the last one in the history."""

from __future__ import annotations

import multiprocessing
import queue
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from tests.registry.backends import database
from tests.registry.concurrency_worker import SHARED, plan, shared_report, work

from weighbridge.core.registry import Decision
from weighbridge.registry import open_registry

PROCESSES, OPS = 8, 50


def _run_workers(url: str) -> tuple[list[dict[str, Any]], float]:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [ctx.Process(target=work, args=(url, p, OPS, barrier, results)) for p in range(PROCESSES)]
    for p in procs:
        p.start()
    out: list[dict[str, Any]] = []
    try:
        for _ in procs:
            out.append(results.get(timeout=240))
    except queue.Empty:
        pytest.fail(f"only {len(out)} of {PROCESSES} workers reported within the time limit")
    finally:
        for p in procs:
            p.join(30)
            if p.is_alive():
                p.kill()
    return out, max(r.get("seconds", 0.0) for r in out)


@pytest.mark.slow  # about 40 s per backend on two busy shared cores, mostly spawning and importing
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_eight_writers(backend: str, tmp_path: Path) -> None:
    with database(backend, tmp_path) as url:
        started = time.perf_counter()
        results, slowest = _run_workers(url)
        wall = time.perf_counter() - started
        failures = [r for r in results if not r["ok"]]
        assert not failures, failures
        plans = {p: plan(p, OPS) for p in range(PROCESSES)}
        distinct = sum(1 for steps in plans.values() for kind, _ in steps if kind == "distinct-record")
        decisions = [d for r in results for d in r["done"] if "decision" in d]
        policies = {(d["policy"], d["text"]) for r in results for d in r["done"] if "policy" in d}
        assert len(decisions) == sum(1 for s in plans.values() for k, _ in s if k in ("approve", "revoke"))

        with open_registry(url) as reg:
            counts = reg.counts()
            assert counts["models"] == 1 + distinct
            assert counts["versions"] == SHARED + distinct
            assert counts["reports"] == SHARED + distinct and counts["files"] == SHARED + distinct
            assert counts["decisions"] == len(decisions)
            assert counts["policies"] == len(policies)
            history = reg.history("shared")
            # nothing lost, nothing duplicated
            assert sorted((h.version, h.actor, h.reason) for h in history) == sorted(
                (d["version"], d["actor"], d["reason"]) for d in decisions
            )
            by_version: dict[str | None, list[Any]] = defaultdict(list)
            for h in history:
                by_version[h.version].append(h)
            for k in range(SHARED):
                digest = shared_report(k).manifest_digest
                entries = by_version[digest]
                assert [e.at for e in entries] == sorted(e.at for e in entries)  # ordered as written
                for actor in {e.actor for e in entries}:  # each writer's own decisions stay in its order
                    mine = [e.reason for e in entries if e.actor == actor]
                    assert mine == sorted(mine)
                current = reg.get_version("shared", digest).decision
                assert current is (entries[-1].decision if entries else Decision.NEEDS_REVIEW)
            if backend == "sqlite":
                with reg.engine.connect() as conn:
                    assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
                    assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
            with reg.engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
        print(
            f"\n{backend}: {PROCESSES} processes x {OPS} operations = {PROCESSES * OPS}; "
            f"{len(decisions)} decisions, {distinct} distinct versions, {SHARED} shared; "
            f"slowest worker {slowest:.2f} s, wall {wall:.2f} s (with process start-up)"
        )
