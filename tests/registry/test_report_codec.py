"""Stored report JSON reads back into a Report that every policy judges exactly as it judged the original:
what ``registry reevaluate`` relies on."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.registry.reports import LENIENT, STRICT, apache_folder, llama_folder
from tests.registry.tiny import tiny_report

from weighbridge.core.codec import report_from_dict
from weighbridge.core.findings import Severity, WeighbridgeError
from weighbridge.policy import evaluate, load_policy
from weighbridge.scan.inspection import inspect

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
