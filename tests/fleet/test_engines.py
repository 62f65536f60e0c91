"""The same mirror through the local engine with 1 and 2 workers and through Ray with 2 CPUs gives identical
reports per target; a fleet report equals what `weighbridge inspect` says about the same target; planted
hostile and malformed files are found."""

from __future__ import annotations

import json
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import pytest
from tests.fleet.mirror import Mirror

from weighbridge.core.findings import Severity
from weighbridge.core.registry import VersionRecord
from weighbridge.core.report import Report, TargetKind
from weighbridge.fleet import discover, fleet_scan
from weighbridge.fleet.executors import RayExecutor, make_executor
from weighbridge.fleet.store import RegistryStore
from weighbridge.policy import load_policy
from weighbridge.registry import Registry, open_registry
from weighbridge.scanning.inspection import inspect

POLICY = Path(__file__).resolve().parents[2] / "examples" / "policies" / "research-lab.yaml"


class Recording(RegistryStore):
    """The registry, keeping every report it is asked to record (to compare engines field by field)."""

    def __init__(self, registry: Registry) -> None:
        super().__init__(registry)
        self.reports: dict[str, dict[str, Any]] = {}

    def record_report(self, report: Report, *, source: str, name: str | None) -> VersionRecord:
        assert source not in self.reports, "a target was recorded twice in one run"
        self.reports[source] = report.to_dict()
        return super().record_report(report, source=source, name=name)


def run(mirror: Mirror, executor: Executor, db: Path, engine: str, workers: int) -> dict[str, dict[str, Any]]:
    with open_registry(str(db)) as registry:
        store = Recording(registry)
        result = fleet_scan(
            [str(mirror.root)],
            executor=executor,
            store=store,
            engine=engine,
            workers=workers,
            policy=load_policy(POLICY),
        )
        assert result.counts() == {"recorded": mirror.targets}
        assert result.files_read == result.files_total
        assert len(result.hosts) == workers  # every worker took part
        counts = registry.counts()
    assert counts["versions"] == mirror.targets and counts["reports"] == mirror.targets
    return store.reports


@pytest.fixture(scope="module")
def local_one(mirror: Mirror, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    with make_executor("local", workers=1) as pool:
        return run(mirror, pool, tmp_path_factory.mktemp("db") / "one.db", "local", 1)


def test_two_processes_give_the_reports_of_one(
    mirror: Mirror, local_one: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    with make_executor("local", workers=2) as pool:
        two = run(mirror, pool, tmp_path / "two.db", "local", 2)
    assert json.dumps(two, sort_keys=True) == json.dumps(local_one, sort_keys=True)


@pytest.mark.slow
def test_ray_gives_the_reports_of_the_local_engine(
    mirror: Mirror, local_one: dict[str, dict[str, Any]], ray_cluster: Any, tmp_path: Path
) -> None:
    executor = RayExecutor()
    assert executor.cluster_cpus == 2
    ray_reports = run(mirror, executor, tmp_path / "ray.db", "ray", 2)
    executor.shutdown()
    assert ray_cluster.is_initialized()  # a Ray it did not start is left running
    assert json.dumps(ray_reports, sort_keys=True) == json.dumps(local_one, sort_keys=True)


def test_fleet_reports_equal_inspect(
    mirror: Mirror, local_one: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(mirror.hf_cache))
    monkeypatch.setenv("OLLAMA_MODELS", str(mirror.ollama))
    policy = load_policy(POLICY)
    refs = discover([str(mirror.root)]).targets
    for kind in TargetKind:
        for ref in [r for r in refs if r.kind is kind][:3]:
            expected = inspect(ref.spec, policy=policy).to_dict()
            assert local_one[ref.spec] == expected, ref.spec


def test_planted_files_are_found(mirror: Mirror, local_one: dict[str, dict[str, Any]]) -> None:
    assert len(mirror.malicious) >= 10 and len(mirror.malformed) >= 10
    for spec, report in local_one.items():
        rules = {f["rule"] for f in report["findings"]}
        if spec in mirror.malicious:
            assert report["summary"]["max_severity"] == Severity.CRITICAL.label, spec
            assert "WB-PKL-001" in rules and report["policy"]["verdict"] == "fail", spec
        else:
            assert report["summary"]["max_severity"] != Severity.CRITICAL.label, (spec, rules)
        if spec in mirror.malformed:
            weights = [f for f in report["files"] if f["format"] in ("safetensors", "gguf")]
            assert weights and all(
                any(Severity.parse(g["severity"]) >= Severity.MEDIUM for g in f["findings"]) for f in weights
            ), spec
