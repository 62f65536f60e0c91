"""What every command module shares: the error console, one-line failures (exit 2), writing output."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console

err = Console(stderr=True, highlight=False)


def fail(message: str) -> NoReturn:
    """Print ``weighbridge: error: MESSAGE`` on stderr and exit 2."""
    err.print(f"weighbridge: error: {message}", markup=False, soft_wrap=True)
    raise typer.Exit(2)


def write_output(text: str, output: Path | None, what: str) -> None:
    """Write ``text`` to ``output`` (one line on stderr says where) or to standard output."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    err.print(f"{what} written to {output}", markup=False)
