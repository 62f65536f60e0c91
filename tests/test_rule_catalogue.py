"""The rule catalogue is complete: every defining module is listed, every rule id used is listed."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from weighbridge.catalogue import RULE_MODULES, every_rule
from weighbridge.cli.main import app
from weighbridge.core.findings import Severity

SRC = Path(__file__).resolve().parents[1] / "src"
DEFINES = re.compile(r"\bdefine\(\s*\n?\s*[\"']")
RULE_ID = re.compile(r"[\"'](WB-[A-Z0-9]+-\d{3})[\"']")


def _sources() -> list[Path]:
    return sorted((SRC / "weighbridge").rglob("*.py"))


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(SRC).with_suffix("").parts)


def test_every_module_that_defines_rules_is_in_the_catalogue() -> None:
    defining = {
        _module_name(p)
        for p in _sources()
        if p.name != "rules.py" and DEFINES.search(p.read_text(encoding="utf-8"))
    }
    assert defining, "the pattern found no rule definitions at all"
    assert sorted(defining - set(RULE_MODULES)) == []
    assert sorted(set(RULE_MODULES) - defining) == []


def test_every_rule_id_used_in_the_source_is_listed_with_severity_and_title() -> None:
    listed = {r.id: r for r in every_rule()}
    used = {m for p in _sources() for m in RULE_ID.findall(p.read_text(encoding="utf-8"))}
    assert used, "the pattern found no rule ids at all"
    assert sorted(used - set(listed)) == []
    for rule in listed.values():
        assert isinstance(rule.severity, Severity)
        assert rule.title.strip() and rule.description.strip()


def test_rules_command_lists_the_whole_catalogue_including_licence_rules() -> None:
    result = CliRunner().invoke(app, ["rules"])
    assert result.exit_code == 0
    ids = {line.split()[0] for line in result.output.splitlines() if line.startswith("WB-")}
    assert ids == {r.id for r in every_rule()}
    assert any(i.startswith("WB-LIC") for i in ids)
