"""Diagnostics: quiet by default, -v/-vv or WEIGHBRIDGE_LOG turn them on, an unexpected error keeps its one-line
message for users and writes its traceback to the log only when asked."""

from __future__ import annotations

import logging
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import weighbridge.cli.main as cli_main
from weighbridge.cli import logs


@pytest.fixture(autouse=True)
def _reset_logger() -> Iterator[None]:
    yield
    for handler in [h for h in logs.LOGGER.handlers if getattr(h, "_weighbridge", False)]:
        logs.LOGGER.removeHandler(handler)
    logs.LOGGER.setLevel(logging.NOTSET)


def _run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["weighbridge", *args])
    with pytest.raises(SystemExit) as exit_info:
        cli_main.run()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 0), capsys.readouterr().err


def _pickle(tmp_path: Path) -> Path:
    path = tmp_path / "state.pkl"
    path.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    return path


def test_quiet_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WEIGHBRIDGE_LOG", raising=False)
    code, err = _run(capsys, monkeypatch, "scan", str(_pickle(tmp_path)))
    assert code == 0 and err == ""


@pytest.mark.parametrize(
    ("args", "env", "seen", "unseen"),
    [
        (["-v"], None, "INFO weighbridge.sources: resolving", "DEBUG"),
        (["-vv"], None, "DEBUG weighbridge.scanning.dispatch: state.pkl: parsed as pickle", None),
        ([], "debug", "DEBUG weighbridge.scanning.engine: state.pkl:", None),
    ],
)
def test_verbosity_levels(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: str | None,
    seen: str,
    unseen: str | None,
) -> None:
    if env is None:
        monkeypatch.delenv("WEIGHBRIDGE_LOG", raising=False)
    else:
        monkeypatch.setenv("WEIGHBRIDGE_LOG", env)
    code, err = _run(capsys, monkeypatch, *args, "scan", str(_pickle(tmp_path)))
    assert code == 0
    assert seen in err
    if unseen is not None:
        assert unseen not in err


def test_unexpected_error_is_one_line_and_its_traceback_goes_to_the_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WEIGHBRIDGE_LOG", raising=False)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug in the scanner")

    monkeypatch.setattr("weighbridge.scanning.api.scan", broken)  # the command imports it when it runs
    code, err = _run(capsys, monkeypatch, "scan", str(_pickle(tmp_path)))
    assert code == 2
    assert err.strip().splitlines() == [
        "weighbridge: internal error: RuntimeError: a bug in the scanner (run with -v for the traceback)"
    ]

    code, err = _run(capsys, monkeypatch, "-v", "scan", str(_pickle(tmp_path)))
    assert code == 2
    assert err.splitlines()[0] == "weighbridge: internal error: RuntimeError: a bug in the scanner"
    assert "Traceback (most recent call last)" in err and "RuntimeError: a bug in the scanner" in err


def test_level_names() -> None:
    assert logs.level_for(0, None) is None
    assert logs.level_for(1, None) == logging.INFO
    assert logs.level_for(3, "error") == logging.DEBUG
    assert logs.level_for(0, "WARNING") == logging.WARNING
    assert logs.level_for(0, "nonsense") == logging.INFO
