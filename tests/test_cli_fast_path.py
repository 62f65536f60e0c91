"""The fast ``scan`` path (no typer) and the typer command must read every argument list the same way, and
everything the fast parser does not know must go to typer (issue 11: start-up of a one-file scan)."""

from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path
from typing import Any

import pytest

import weighbridge.cli.main as cli_main
from weighbridge.cli import fast
from weighbridge.cli.main import app
from weighbridge.cli.scanning import OutputFormat

from .cli_run import wb

ACCEPTED = [
    ["scan", "model.pkl"],
    ["scan", "a.pkl", "b.safetensors", "folder"],
    ["scan", "-f", "json", "model.pkl"],
    ["scan", "--format", "sarif", "model.pkl"],
    ["scan", "--format=markdown", "model.pkl"],
    ["scan", "model.pkl", "-f", "json"],  # options after the targets, as click allows
    ["scan", "-o", "out.json", "-f", "json", "model.pkl"],
    ["scan", "--output=report.sarif", "--format", "sarif", "m"],
    ["scan", "--fail-on", "critical", "m"],
    ["scan", "--fail-on=medium", "m"],
    ["scan", "--fail-on", "nonsense", "m"],  # a bad severity is the command's own error, on both paths
    ["scan", "--download", "hf:org/name"],
    ["scan", "-j", "4", "m"],
    ["scan", "--workers", "64", "m"],
    ["scan", "--workers=1", "m"],
    ["scan", "-f", "json", "-f", "sarif", "m"],  # the last of a repeated option wins
    ["scan", "--", "-odd-name.pkl"],
    ["scan", "m", "--", "--format"],
    ["scan", "hf:org/name@main", "ollama:llama3:8b"],
]

REFUSED = [
    [],
    ["inspect", "m"],
    ["-v", "scan", "m"],
    ["scan"],
    ["scan", "--help"],
    ["scan", "-h", "m"],
    ["scan", "--verbose", "m"],
    ["scan", "-f", "xml", "m"],
    ["scan", "-f"],
    ["scan", "m", "-o"],
    ["scan", "--format=", "m"],
    ["scan", "-fjson", "m"],
    ["scan", "-j", "0", "m"],
    ["scan", "-j", "65", "m"],
    ["scan", "-j", "four", "m"],
    ["scan", "--workers", "-1", "m"],
    ["scan", "--download=yes", "m"],
    ["scan", "--unknown", "m"],
    ["scan", "-", "m"],
]


def typer_reading(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> fast.ScanCall:
    """What the typer command receives for ``argv``: its call to ``scan_exit_code``, recorded."""
    seen: list[fast.ScanCall] = []

    def record(targets: list[str], fmt: OutputFormat, output: Path | None, fail_on: str, **kw: Any) -> int:
        seen.append(fast.ScanCall(list(targets), fmt, output, fail_on, kw["download"], kw["workers"]))
        return 0

    monkeypatch.setattr(cli_main, "scan_exit_code", record)
    app(argv, standalone_mode=False)
    assert len(seen) == 1
    return seen[0]


@pytest.mark.parametrize("argv", ACCEPTED, ids=" ".join)
def test_fast_parser_reads_like_typer(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    call = fast.parse(argv)
    assert call is not None
    assert call == typer_reading(argv, monkeypatch)


@pytest.mark.parametrize("argv", REFUSED, ids=lambda a: " ".join(a) or "(none)")
def test_everything_else_goes_to_typer(argv: list[str]) -> None:
    assert fast.parse(argv) is None


def test_fast_parser_knows_only_spellings_the_scan_command_has() -> None:
    import typer.main

    group = typer.main.get_command(app)
    command = group.commands["scan"]  # type: ignore[attr-defined]
    spellings = {opt: param.name for param in command.params for opt in param.opts if opt.startswith("-")}
    for opt, parameter in {**fast.VALUE_OPTIONS, **fast.FLAG_OPTIONS}.items():
        assert spellings.get(opt) == parameter, opt
    assert {p.name for p in command.params} == {"target", *fast.VALUE_OPTIONS.values(), "download"}


def test_entry_point_output_and_exit_codes_match_typer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    clean = tmp_path / "weights.pkl"
    clean.write_bytes(pickle.dumps({"w": [0.5, 1.5]}, protocol=4))
    bad = tmp_path / "evil.pkl"
    bad.write_bytes(
        b"\x80\x04\x95\x1b\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x8c\x06system\x93\x8c\x02id\x85R."
    )
    for args, want in (
        (["scan", "-f", "json", str(clean)], 0),
        (["scan", "-f", "json", str(bad)], 1),
        (["scan", "-f", "json", str(tmp_path / "missing.pkl")], 2),
        (["scan", "-f", "json", "--fail-on", "nonsense", str(clean)], 2),
    ):
        assert fast.parse(args) is not None
        code, out, err = wb(capsys, monkeypatch, *args)
        monkeypatch.setattr(sys, "argv", ["weighbridge", *args])
        with pytest.raises(SystemExit) as typer_exit:
            cli_main.run()
        typer_out, typer_err = capsys.readouterr()
        assert code == typer_exit.value.code == want, (args, err)
        if want != 2:
            fast_doc, typer_doc = json.loads(out), json.loads(typer_out)
            for doc in (fast_doc, typer_doc):
                doc.pop("scanned_at", None)
                doc.pop("duration_s", None)
            assert fast_doc == typer_doc
        assert err == typer_err
