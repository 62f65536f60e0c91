"""fleet summary (counts, newest findings, verdict flips after a policy change), the fleet scan CLI's output
and its one-line errors, and discovery of every mirror layout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.fleet.mirror import Mirror, build_mirror

from weighbridge.core.findings import WeighbridgeError
from weighbridge.core.report import TargetKind
from weighbridge.fleet import TargetOutcome, discover, fleet_scan
from weighbridge.fleet.executors import make_executor
from weighbridge.fleet.summary import fleet_summary
from weighbridge.policy import load_policy
from weighbridge.registry import open_registry

RESEARCH = Path(__file__).resolve().parents[2] / "examples" / "policies" / "research-lab.yaml"
STRICT = """name: no-mit
intended_use:
  commercial: true
rules:
  denied_license_families: [mit]
"""


def wb(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "weighbridge", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ.copy(),
    )


@pytest.fixture()
def small(tmp_path: Path) -> Mirror:
    return build_mirror(tmp_path / "mirror", hf_repos=6, folders=6, ollama_models=3, loose=4, seed=4)


def test_discovery_of_every_layout(mirror: Mirror) -> None:
    found = discover([str(mirror.root)])
    kinds = {k: sum(1 for t in found.targets if t.kind is k) for k in TargetKind}
    assert kinds == {TargetKind.HF: 75, TargetKind.OLLAMA: 20, TargetKind.FOLDER: 60, TargetKind.FILE: 30}
    assert len(found.targets) == mirror.targets and not found.skipped
    # a root below the mirror, one HF repo, one Ollama store, one file: each found as itself
    repo = next(mirror.hf_cache.iterdir())
    assert {t.kind for t in discover([str(repo)]).targets} == {TargetKind.HF}
    assert len(discover([str(mirror.ollama)]).targets) == 20
    loose = next(p for p in mirror.models.iterdir() if p.is_file())
    assert [t.spec for t in discover([str(loose)]).targets] == [str(loose)]
    folder = mirror.models / "org0" / "folder-0"
    assert [(t.kind, t.name) for t in discover([str(folder)]).targets] == [(TargetKind.FOLDER, "folder-0")]
    assert [t.name for t in discover([str(mirror.models)]).targets if t.spec == str(folder)] == [
        "org0/folder-0"
    ]
    with pytest.raises(WeighbridgeError, match="cannot use fleet root"):
        discover([str(mirror.root / "missing")])


def test_summary_counts_findings_and_flips(small: Mirror) -> None:
    strict = small.root.parent / "strict.yaml"
    strict.write_text(STRICT)
    with open_registry() as registry, make_executor("local", workers=1) as pool:
        first = fleet_scan([str(small.root)], executor=pool, store=registry, policy=load_policy(RESEARCH))
        before = fleet_summary(registry)
        assert (
            before.models == small.targets - 2
        )  # HF repos 0 and 4 have two revisions: one model, two versions
        assert before.versions == small.targets and not before.flips
        assert sum(before.by_verdict.values()) == before.models and "none" not in before.by_verdict
        assert before.by_max_severity.get("critical") == len({s for s in small.malicious})
        assert before.by_license_family["mit"] >= 2
        assert all(f.severity in ("critical", "high", "medium") for f in before.newest_findings)
        assert {f.rule for f in before.newest_findings} & {"WB-PKL-001", "WB-ST-001", "WB-LIC-003"}

        second = fleet_scan([str(small.root)], executor=pool, store=registry, policy=load_policy(strict))
        after = fleet_summary(registry)
    newest: dict[str | None, TargetOutcome] = {}  # each model's newest version (highest id)
    verdicts = {}
    for one, two in zip(first.targets, second.targets, strict=True):
        assert one.spec == two.spec and one.version_id == two.version_id
        if one.model not in newest or one.version_id >= (newest[one.model].version_id or 0):
            newest[one.model] = one
            verdicts[one.model] = (one.verdict, two.verdict)
    expected = {model: pair for model, pair in verdicts.items() if pair[0] != pair[1]}
    assert expected and {f.model: (f.before, f.after) for f in after.flips} == expected
    assert any(new == "fail" and old != "fail" for old, new in expected.values())  # MIT is now denied
    assert after.to_dict()["flips"] == [f.to_dict() for f in after.flips]
    assert after.to_dict()["schema"] == "weighbridge.fleet-summary/1"


def test_cli_scan_and_summary(small: Mirror) -> None:
    done = wb("fleet", "scan", str(small.root), "--workers", "2", "--json")
    doc = json.loads(done.stdout)
    # the mirror plants critical findings: exit 1 at the default --fail-on high, and on every re-run
    assert done.returncode == 1, done.stderr
    assert any(t["max_severity"] == "critical" for t in doc["targets"])
    assert doc["counts"] == {"recorded": small.targets} and doc["files"]["read"] == doc["files"]["total"]
    again = wb("fleet", "scan", str(small.root))
    assert again.returncode == 1 and f"{small.targets} unchanged" in again.stdout
    summary = wb("fleet", "summary", "--json")
    assert summary.returncode == 0 and json.loads(summary.stdout)["versions"] == small.targets
    table = wb("fleet", "summary")
    assert table.returncode == 0 and "by max severity: critical" in table.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fleet", "scan", "/no/such/mirror"], "cannot use fleet root /no/such/mirror"),
        (["fleet", "scan", ".", "--engine", "spark"], "unknown engine 'spark'"),
        (["fleet", "scan", ".", "--address", "127.0.0.1:1"], "--address is for --engine ray"),
        (["fleet", "scan", ".", "--policy", "/no/policy.yaml"], "policy"),
        (["fleet", "scan", ".", "--db", "mysql://x/y"], "unsupported database 'mysql'"),
        (["fleet", "summary", "--db", "/no/such/dir/registry.db"], "does not exist"),
        (
            ["fleet", "scan", ".", "--engine", "ray", "--address", "127.0.0.1:1"],
            "cannot reach the Ray cluster",
        ),
    ],
)
def test_cli_errors_are_one_line(args: list[str], message: str) -> None:
    done = wb(*args)
    assert done.returncode == 2
    assert done.stderr.startswith("weighbridge: error: ") and message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
