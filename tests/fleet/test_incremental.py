"""Incremental fleet runs: nothing read when nothing changed; exactly the touched files read again; a new rule
set or policy re-evaluates targets without reading files; nothing duplicated in the registry."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest
from tests.fleet.mirror import Mirror, build_mirror

from weighbridge.fleet import fleet_scan
from weighbridge.fleet import run as fleet_run
from weighbridge.fleet.executors import make_executor
from weighbridge.fleet.run import FleetScanResult
from weighbridge.policy import load_policy
from weighbridge.registry import Registry, open_registry

POLICY = Path(__file__).resolve().parents[2] / "examples" / "policies" / "research-lab.yaml"


@pytest.fixture()
def small(tmp_path: Path) -> Mirror:
    return build_mirror(tmp_path / "mirror", hf_repos=8, folders=8, ollama_models=4, loose=6, seed=1)


@pytest.fixture(scope="module")
def pool() -> Iterator[Executor]:
    with make_executor("local", workers=2) as executor:
        yield executor


def scan(pool: Executor, mirror: Mirror, registry: Registry, **options: object) -> FleetScanResult:
    return fleet_scan([str(mirror.root)], executor=pool, store=registry, workers=2, **options)  # type: ignore[arg-type]


def touch(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def test_only_what_changed_is_read(pool: Executor, small: Mirror) -> None:
    with open_registry() as registry:
        first = scan(pool, small, registry)
        assert first.counts() == {"recorded": small.targets}
        assert first.files_read == first.files_total > small.targets
        assert first.files_cached == 0
        after_first = registry.counts()

        again = scan(pool, small, registry)
        assert again.counts() == {"unchanged": small.targets}
        assert again.files_read == 0 and again.read_paths == [] and again.bytes_read == 0
        assert registry.counts() == after_first

        hf_blob, loose = small.weight_files[0], small.weight_files[-1]  # repo 0 has two revisions sharing it
        touch(hf_blob)
        touch(loose)
        third = scan(pool, small, registry)
        assert third.read_paths == sorted(os.path.realpath(p) for p in (hf_blob, loose))
        recorded = sorted(t.spec for t in third.targets if t.status == "recorded")
        assert len(recorded) == 3 and str(loose) in recorded
        assert all(s.startswith("hf:org0/model-0@") for s in recorded if s != str(loose))
        assert third.files_cached == third.files_total - 2  # the other files of those targets came from cache
        assert registry.counts() == after_first  # same content: no new version, no new report

        folder_weights = next(
            p for p in small.weight_files if p.name == "model.safetensors" and "models" in p.parts
        )
        data = bytearray(folder_weights.read_bytes())
        data[-1] ^= 0xFF
        folder_weights.write_bytes(bytes(data))
        fourth = scan(pool, small, registry)
        assert fourth.read_paths == [str(folder_weights)]
        counts = registry.counts()
        assert counts["versions"] == after_first["versions"] + 1  # new content, new version of the same model
        assert counts["models"] == after_first["models"]


def test_policy_and_rules_changes_re_evaluate_without_reading(
    pool: Executor, small: Mirror, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_registry() as registry:
        scan(pool, small, registry)
        with_policy = scan(pool, small, registry, policy=load_policy(POLICY))
        assert with_policy.counts() == {"recorded": small.targets}
        assert with_policy.files_read == 0 and with_policy.files_cached == with_policy.files_total
        assert all(t.verdict in ("pass", "warn", "fail") for t in with_policy.targets)
        reports = registry.counts()["reports"]
        assert reports == 2 * small.targets  # the policy verdict makes a new report per version
        assert scan(pool, small, registry, policy=load_policy(POLICY)).counts() == {
            "unchanged": small.targets
        }

        monkeypatch.setattr(fleet_run, "rules_version", lambda: "9.9.9+new-rules")
        new_rules = scan(pool, small, registry, policy=load_policy(POLICY))
        assert new_rules.counts() == {"recorded": small.targets}
        assert new_rules.files_read == new_rules.files_total  # results under other rules are not reused
        assert registry.counts()["reports"] == reports  # same content again: stored once


def test_full_reads_everything(pool: Executor, small: Mirror) -> None:
    with open_registry() as registry:
        first = scan(pool, small, registry)
        full = scan(pool, small, registry, full=True)
        assert full.counts() == {"recorded": small.targets}
        assert full.read_paths == first.read_paths and full.files_read == first.files_total


class BreaksAfter(ThreadPoolExecutor):
    """An executor whose workers "die" after ``n`` tasks, like a pool whose process the OOM killer took."""

    def __init__(self, n: int) -> None:
        super().__init__(max_workers=2)
        self.left = n

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.left -= 1
        if self.left < 0:
            raise BrokenProcessPool("A child process terminated abruptly")
        return super().submit(fn, *args, **kwargs)


def test_a_broken_executor_fails_targets_not_the_run(small: Mirror) -> None:
    with open_registry() as registry, BreaksAfter(6) as broken:
        result = fleet_scan([str(small.root)], executor=broken, store=registry)
    statuses = {t.status for t in result.targets}
    assert statuses == {"recorded", "error"} and len(result.targets) == small.targets
    assert all("terminated abruptly" in (t.error or "") for t in result.targets if t.status == "error")
    with open_registry() as registry, make_executor("local", workers=1) as pool:
        again = fleet_scan([str(small.root)], executor=pool, store=registry)
    assert again.counts() == {
        "recorded": sum(t.status == "error" for t in result.targets),
        "unchanged": sum(t.status == "recorded" for t in result.targets),
    }
