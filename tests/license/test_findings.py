"""Licence facts that become report findings: disagreeing sources, no licence at all."""

from __future__ import annotations

from pathlib import Path

from tests.license.corpus import require_corpus

from weighbridge.core.findings import Severity
from weighbridge.license import analyse_file
from weighbridge.license.findings import licence_findings


def test_card_and_licence_file_disagree(tmp_path: Path) -> None:
    corpus = require_corpus()
    (tmp_path / "README.md").write_text("---\nlicense: apache-2.0\n---\n# model\n")
    (tmp_path / "LICENSE").write_bytes((corpus / "llama3.1.txt").read_bytes())
    findings = licence_findings(analyse_file(str(tmp_path)))
    assert [(f.rule, f.severity) for f in findings] == [("WB-LIC-001", Severity.MEDIUM)]
    assert "llama3.1" in findings[0].detail


def test_no_licence_anywhere(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"model_type": "llama"}')
    findings = licence_findings(analyse_file(str(tmp_path)))
    assert [f.rule for f in findings] == ["WB-LIC-003"]


def test_consistent_sources_give_no_finding(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("---\nlicense: apache-2.0\n---\n# model\n")
    assert licence_findings(analyse_file(str(tmp_path))) == []
