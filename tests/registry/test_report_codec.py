"""Stored report JSON reads back into a Report that every policy judges exactly as it judged the original:
what ``registry reevaluate`` relies on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.registry.reports import LENIENT, STRICT, apache_folder, llama_folder
from tests.registry.tiny import tiny_report

from weighbridge.core.codec import report_from_dict
from weighbridge.core.findings import Severity, WeighbridgeError
from weighbridge.policy import evaluate, load_policy
from weighbridge.scanning.inspection import inspect

POLICIES = sorted((Path(__file__).resolve().parents[2] / "examples" / "policies").glob("*.yaml"))


@pytest.mark.parametrize("build", [apache_folder, llama_folder])
def test_inspected_reports_round_trip(build: object, tmp_path: Path) -> None:
    assert callable(build)
    report = inspect(str(build(tmp_path / "model")))
    doc = report.to_dict()
    again = report_from_dict(doc)
    assert again.to_dict() == doc
    for text in (LENIENT, STRICT):
        (tmp_path / "p.yaml").write_text(text, encoding="utf-8")
        policy = load_policy(tmp_path / "p.yaml")
        assert evaluate(policy, again).to_dict() == evaluate(policy, report).to_dict()
    assert POLICIES
    for path in POLICIES:
        policy = load_policy(path)
        assert evaluate(policy, again).to_dict() == evaluate(policy, report).to_dict()


def test_scan_only_report_round_trips() -> None:
    report = tiny_report("x", {"a": b"1"}, severities=(Severity.CRITICAL, Severity.INFO))
    doc = report.to_dict()
    again = report_from_dict(doc)
    assert again.to_dict() == doc and again.max_severity is Severity.CRITICAL


@pytest.mark.parametrize("doc", [{}, {"schema": "other"}, {"schema": "weighbridge.report/1", "target": {}}])
def test_not_a_report(doc: dict[str, object]) -> None:
    with pytest.raises(WeighbridgeError, match="stored report"):
        report_from_dict(doc)


def test_example_reports_round_trip_byte_for_byte(tmp_path: Path) -> None:
    """Every demo model, inspected under a policy (so the policy and inherited sections are present too),
    survives JSON text → Report → JSON text unchanged: the codec's two directions agree on every field."""
    from examples.make_examples import main as make_examples

    make_examples(str(tmp_path))
    policy = load_policy(Path(__file__).resolve().parents[2] / "examples" / "policies" / "research-lab.yaml")
    folders = sorted(p for p in tmp_path.iterdir() if p.is_dir())
    assert len(folders) >= 4
    sections: set[str] = set()
    for folder in folders:
        text = json.dumps(inspect(str(folder), policy=policy).to_dict(), indent=2, sort_keys=True)
        doc = json.loads(text)
        sections.update(doc)
        assert json.dumps(report_from_dict(doc).to_dict(), indent=2, sort_keys=True) == text, folder.name
    assert {"license", "provenance", "openness", "policy", "inherited"} <= sections
