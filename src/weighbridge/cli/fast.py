"""``weighbridge scan …`` without typer: the path a pre-commit hook's or CI job's per-file call takes.

Building the typer application costs more than scanning a small file (typer checks every parameter through
pydantic), and a hook calls the scanner once per changed file. So the entry point first tries ``parse``: a
plain ``scan`` call (targets, ``--format/-f``, ``--output/-o``, ``--fail-on``, ``--download``,
``--workers/-j``, ``--``) is run from here through the same ``cli.scanning`` functions the typer command
calls. Anything else — another command, ``--help``, ``-v``, a value typer would reject, a spelling this
parser does not know — returns ``None`` and goes to typer, which prints help and usage errors as always.
``tests/cli/test_fast_path.py`` holds the two parsers to the same answers.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from .scanning import OutputFormat

#: option spelling → the ``scan`` parameter it sets; each takes a value except ``--download``
VALUE_OPTIONS = {
    "--format": "fmt",
    "-f": "fmt",
    "--output": "output",
    "-o": "output",
    "--fail-on": "fail_on",
    "--workers": "workers",
    "-j": "workers",
}
FLAG_OPTIONS = {"--download": "download"}
WORKERS_RANGE = range(1, 65)  # the typer option's min=1, max=64


@dataclass(frozen=True)
class ScanCall:
    """The arguments of one ``weighbridge scan`` call, as the typer command would receive them."""

    targets: list[str]
    fmt: OutputFormat = OutputFormat.table
    output: Path | None = None
    fail_on: str = "high"
    download: bool = False
    workers: int | None = None


def parse(argv: list[str]) -> ScanCall | None:
    """``argv`` (without the program name) as a plain ``scan`` call, or ``None`` for typer to handle."""
    if not argv or argv[0] != "scan":
        return None
    values: dict[str, str] = {}
    download = False
    targets: list[str] = []
    args = iter(argv[1:])
    for arg in args:
        if arg == "--":
            targets.extend(args)
            break
        if not arg.startswith("-"):
            targets.append(arg)
            continue
        name, equals, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        has_value = bool(equals)  # only long options take "=value"; to click -f=json is the value "=json"
        if name in FLAG_OPTIONS and not has_value:
            download = True
        elif name in VALUE_OPTIONS:
            value = inline if has_value else next(args, None)
            if value is None or value == "" or (not has_value and value.startswith("-")):
                return None
            values[VALUE_OPTIONS[name]] = value  # click keeps the last of a repeated option
        else:
            return None
    if not targets:
        return None
    return _checked(targets, values, download)


def _checked(targets: list[str], values: dict[str, str], download: bool) -> ScanCall | None:
    """The call, or ``None`` when a value is one typer would refuse (it then says why)."""
    try:
        fmt = OutputFormat(values.get("fmt", OutputFormat.table.value))
    except ValueError:
        return None
    workers: int | None = None
    if "workers" in values:
        text = values["workers"]
        if not (text.isascii() and text.isdigit()):
            return None
        workers = int(text)
        if workers not in WORKERS_RANGE:
            return None
    output = Path(values["output"]) if "output" in values else None
    return ScanCall(targets, fmt, output, values.get("fail_on", "high"), download, workers)


def run_scan(call: ScanCall) -> int:
    """Run ``call`` the way the typer command does; the exit code."""
    from . import logs
    from .scanning import scan_exit_code

    logs.configure(0)  # WEIGHBRIDGE_LOG still applies, as under the typer callback
    return scan_exit_code(
        call.targets, call.fmt, call.output, call.fail_on, download=call.download, workers=call.workers
    )


def run() -> None:
    """Console-script entry point: a plain ``scan`` here, everything else through typer (``cli.main``)."""
    call = parse(sys.argv[1:])
    if call is None:
        from .main import run as run_typer

        run_typer()
        return
    try:
        code = run_scan(call)
    except KeyboardInterrupt:
        from .common import err

        err.print("weighbridge: interrupted", markup=False)
        sys.exit(2)
    except Exception as exc:  # anything unexpected: one line, as under typer
        from . import logs
        from .common import internal_error

        internal_error(exc, logging_on=logs.enabled())
    sys.exit(code)
