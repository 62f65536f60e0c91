"""What every command module shares: the consoles, one-line failures (exit 2), writing output.

Output meant for people wraps to the terminal's width only on a terminal: in a log or a pipe nothing is
wrapped (a digest split over two lines cannot be searched for or copied), and rich's ``:emoji:`` codes are
never expanded (a message that quotes a file must show its text, not pictures).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn, TextIO

import typer
from rich.console import Console

from ..core.findings import plain_message

# Width given to tables when the output is not a terminal: wide enough that no row is folded.
LOG_WIDTH = 4000


def console_for(stream: TextIO | None = None, *, stderr: bool = False) -> Console:
    """A console for ``stream`` (default stdout, or stderr): the terminal's width on a terminal, else no
    wrapping at all."""
    target = stream if stream is not None else (sys.stderr if stderr else sys.stdout)
    if target.isatty():
        return Console(file=stream, stderr=stderr, highlight=False, emoji=False)
    return Console(file=stream, stderr=stderr, highlight=False, emoji=False, soft_wrap=True, width=LOG_WIDTH)


err = console_for(stderr=True)  # writes to whatever sys.stderr is when it prints


def fail(message: str) -> NoReturn:
    """Print ``weighbridge: error: MESSAGE`` on stderr and exit 2."""
    err.print(f"weighbridge: error: {plain_message(message)}", markup=False, soft_wrap=True)
    raise typer.Exit(2)


def refuse(message: str) -> NoReturn:
    """A refusal (a model that may not be used, a check that failed): one line on stderr and exit 1."""
    err.print(f"weighbridge: refused: {plain_message(message)}", markup=False, soft_wrap=True)
    raise typer.Exit(1)


def write_output(text: str, output: Path | None, what: str) -> None:
    """Write ``text`` to ``output`` (one line on stderr says where) or to standard output."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    err.print(f"{what} written to {output}", markup=False, soft_wrap=True)
