"""Run the real console-script entry point in process, the way a user's shell would, and capture what it says."""

from __future__ import annotations

import sys

import pytest

from weighbridge.cli.fast import run


def wb(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str, str]:
    """``weighbridge ARGS…`` → (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["weighbridge", *args])
    with pytest.raises(SystemExit) as exit_info:
        run()
    out, err = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 0), out, err
