"""The CLI's lazily registered commands (cli/lazy.py) are exactly what their modules register."""

from __future__ import annotations

from collections import defaultdict

from typer.testing import CliRunner

from weighbridge.cli.lazy import LAZY_COMMANDS, LazyCommands, registered_commands
from weighbridge.cli.main import app


def test_lazy_table_matches_what_each_module_registers() -> None:
    by_module: dict[str, set[str]] = defaultdict(set)
    for name, module in LAZY_COMMANDS.items():
        by_module[module].add(name)
    for module, names in by_module.items():
        assert set(registered_commands(module)) == names, module


def test_every_command_is_listed_in_help_and_runs_its_help() -> None:
    runner = CliRunner()
    listing = runner.invoke(app, ["--help"])
    assert listing.exit_code == 0
    for name in ("scan", "inspect", "rules", *LAZY_COMMANDS):
        assert f" {name} " in listing.output, name
    for name in LAZY_COMMANDS:
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "Usage:" in result.output


def test_lazy_mapping_loads_a_module_once_and_keeps_order() -> None:
    commands = LazyCommands({"scan": "scan-command"}, {"serve": "weighbridge.cli.serve", "nope": "x.y"})
    assert list(commands) == ["scan", "serve", "nope"]
    assert "serve" in commands and len(commands) == 3
    assert commands["serve"].name == "serve"
    assert commands.get("scan") == "scan-command"
    del commands["nope"]
    assert list(commands) == ["scan", "serve"]
