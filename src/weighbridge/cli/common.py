"""What every command module shares: the consoles, one-line failures (exit 2), writing output.

Output meant for people wraps to the terminal's width only on a terminal: in a log or a pipe nothing is
wrapped (a digest split over two lines cannot be searched for or copied), and rich's ``:emoji:`` codes are
never expanded (a message that quotes a file must show its text, not pictures).

Nothing here imports typer or rich up front: a one-file ``scan`` (a pre-commit hook's call) takes the fast
path in ``cli/fast.py`` and pays for rich only when it prints a table. Failures leave with ``SystemExit``,
which typer's commands and the fast path pass through alike.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from ..core.findings import plain_message

if TYPE_CHECKING:
    from rich.console import Console

# Width given to tables when the output is not a terminal: wide enough that no row is folded.
LOG_WIDTH = 4000


def console_for(stream: TextIO | None = None, *, stderr: bool = False) -> Console:
    """A console for ``stream`` (default stdout, or stderr): the terminal's width on a terminal, else no
    wrapping at all."""
    from rich.console import Console

    target = stream if stream is not None else (sys.stderr if stderr else sys.stdout)
    if target.isatty():
        return Console(file=stream, stderr=stderr, highlight=False, emoji=False)
    return Console(file=stream, stderr=stderr, highlight=False, emoji=False, soft_wrap=True, width=LOG_WIDTH)


@cache
def stderr_console() -> Console:
    """The console on standard error (built once; it writes to whatever ``sys.stderr`` is when it prints)."""
    return console_for(stderr=True)


class _Stderr:
    """``err.print(...)``: print on the stderr console, building it (and importing rich) on first use."""

    def print(self, *objects: Any, **options: Any) -> None:
        stderr_console().print(*objects, **options)


err = _Stderr()


def fail(message: str) -> NoReturn:
    """Print ``weighbridge: error: MESSAGE`` on stderr and exit 2."""
    err.print(f"weighbridge: error: {plain_message(message)}", markup=False, soft_wrap=True)
    raise SystemExit(2)


def refuse(message: str) -> NoReturn:
    """A refusal (a model that may not be used, a check that failed): one line on stderr and exit 1."""
    err.print(f"weighbridge: refused: {plain_message(message)}", markup=False, soft_wrap=True)
    raise SystemExit(1)


def internal_error(exc: BaseException, *, logging_on: bool) -> NoReturn:
    """An unexpected error: one line (the traceback goes to the log when diagnostics are on), exit 2."""
    hint = "" if logging_on else " (run with -v for the traceback)"
    err.print(
        f"weighbridge: internal error: {type(exc).__name__}: {plain_message(str(exc))}{hint}",
        markup=False,
        soft_wrap=True,
    )
    if logging_on:
        from .logs import LOGGER

        LOGGER.error("unexpected error", exc_info=exc)
    raise SystemExit(2)


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
