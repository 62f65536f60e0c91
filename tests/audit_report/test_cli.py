"""`weighbridge audit report` and `compare`: round trip through run files, one-line errors, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.audit_stats.synthetic import synthetic_run
from typer.testing import CliRunner

from weighbridge.audit.runfile import dump_run
from weighbridge.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("runs")
    a, b = root / "a.json", root / "b.json"
    dump_run(synthetic_run(model="censored"), a)
    dump_run(synthetic_run(model="open", refuse_china=False), b)
    return a, b


def test_report_formats_round_trip(runs: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["audit", "report", str(runs[0]), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    md = runner.invoke(app, ["audit", "report", str(runs[0]), "--format", "markdown"])
    assert md.exit_code == 0 and md.stdout.startswith("# Audit report: censored")
    js = runner.invoke(app, ["audit", "report", str(runs[0]), "-f", "json", "--controls", "us"])
    doc = json.loads(js.stdout)
    assert {tuple(a["controls"]) for a in doc["asymmetries"]} == {("US",)}


def test_compare_formats(runs: tuple[Path, Path]) -> None:
    table = runner.invoke(app, ["audit", "compare", str(runs[0]), str(runs[1])])
    assert table.exit_code == 0 and "McNemar exact" in table.stdout
    doc = json.loads(
        runner.invoke(app, ["audit", "compare", *map(str, runs), str(runs[0]), "-f", "json"]).stdout
    )
    assert len(doc["runs"]) == 3 and doc["tests"][0]["cochran_q"]["df"] == 2
    md = runner.invoke(app, ["audit", "compare", *map(str, runs), "-f", "markdown"])
    assert md.stdout.startswith("# Audit comparison")


def test_report_with_policy(runs: tuple[Path, Path], tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "audit:\n  require_audit: true\n  max_asymmetry: [{country: CN, language: en, points: 20}]\n",
        encoding="utf-8",
    )
    censored = runner.invoke(
        app, ["audit", "report", str(runs[0]), "-f", "markdown", "--policy", str(policy)]
    )
    assert censored.exit_code == 1 and "— FAIL" in censored.stdout
    # no asymmetry measured, but eight prompts per country cannot rule out 20 points: a warning, exit 0
    fine = runner.invoke(app, ["audit", "report", str(runs[1]), "-f", "json", "--policy", str(policy)])
    assert fine.exit_code == 0 and json.loads(fine.stdout)["policy"]["verdict"] == "warn"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "missing.json"], "missing.json: no such file"),
        (["compare", "only-one.json"], "compare needs at least two run files"),
        (["report", "RUN", "--controls", " , "], "--controls needs at least one country code"),
        (["report", "BAD"], "not an audit run"),
        (["report", "RUN", "--policy", "POLICY"], "audit.max_over_refusal: must be between 0 and 100"),
    ],
)
def test_errors_are_one_line_exit_2(
    runs: tuple[Path, Path], tmp_path: Path, args: list[str], message: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "something-else"}', encoding="utf-8")
    policy = tmp_path / "policy.yaml"
    policy.write_text("audit: {max_over_refusal: 150}\n", encoding="utf-8")
    args = [{"RUN": str(runs[0]), "BAD": str(bad), "POLICY": str(policy)}.get(a, a) for a in args]
    result = runner.invoke(app, ["audit", *args])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("weighbridge: error: ") and message in lines[0]


def test_real_entry_point_prints_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "run.json"
    bad.write_text("{not json", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "weighbridge", "audit", "report", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert (
        proc.stderr.strip().startswith("weighbridge: error: ") and len(proc.stderr.strip().splitlines()) == 1
    )
