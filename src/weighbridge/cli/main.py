"""The thin command layer: parse arguments, call the library, render. No scanning logic lives here."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

from .. import __version__
from ..core.rules import all_rules
from ..core.types import Report, Severity, WeighbridgeError
from ..report import RENDERERS
from ..report.table import render_to
from ..scan.api import scan as scan_target

app = typer.Typer(
    name="weighbridge",
    help="Weigh and inspect open-weight AI models before they cross into your systems.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    sarif = "sarif"
    markdown = "markdown"


TargetArg = Annotated[str, typer.Argument(help="A file, a folder, hf:org/name[@revision] or ollama:name[:tag].")]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write the report to this file.")]
FailOnOpt = Annotated[str, typer.Option("--fail-on", help="Exit 1 when a finding is at or above this severity "
                                        "(critical, high, medium, low, info).")]
DownloadOpt = Annotated[bool, typer.Option("--download", help="Fetch hf: targets missing from the local cache.")]
WorkersOpt = Annotated[int | None, typer.Option("--workers", "-j", min=1, max=64,
                                                help="Files scanned in parallel (default: CPU count).")]


def _fail(message: str) -> None:
    err.print(f"weighbridge: error: {message}", markup=False, soft_wrap=True)
    raise typer.Exit(2)


def _run_scan(target: str, download: bool, workers: int | None) -> Report:
    if sys.stderr.isatty():
        with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                      TransferSpeedColumn(), TimeRemainingColumn(), console=err, transient=True) as bar:
            task = bar.add_task("scanning", total=None)
            return scan_target(target, download=download, workers=workers,
                               progress=lambda done, total: bar.update(task, completed=done, total=total))
    return scan_target(target, download=download, workers=workers)


def _emit(report: Report, fmt: OutputFormat, output: Path | None) -> None:
    if output is not None:
        try:
            output.write_text(RENDERERS[fmt.value](report), encoding="utf-8")
        except OSError as exc:
            _fail(f"cannot write {output}: {exc.strerror or exc}")
        err.print(f"report written to {output}", markup=False)
    elif fmt is OutputFormat.table:
        render_to(Console(highlight=False), report)
    else:
        sys.stdout.write(RENDERERS[fmt.value](report))


def _threshold(fail_on: str) -> Severity:
    try:
        return Severity.parse(fail_on)
    except ValueError as exc:
        _fail(str(exc))
        raise  # unreachable: _fail exits


def _scan_command(target: str, fmt: OutputFormat, output: Path | None, fail_on: str, download: bool,
                  workers: int | None, verdict: bool) -> None:
    threshold = _threshold(fail_on)
    try:
        report = _run_scan(target, download, workers)
    except WeighbridgeError as exc:
        _fail(str(exc))
        return
    _emit(report, fmt, output)
    blocking = report.at_or_above(threshold)
    if verdict:
        word = "FAIL" if blocking else "PASS"
        err.print(f"verdict: {word} — {len(blocking)} finding(s) at or above {threshold.label}",
                  style="bold red" if blocking else "bold green", markup=False)
    raise typer.Exit(1 if blocking else 0)


@app.command()
def scan(target: TargetArg, fmt: FormatOpt = OutputFormat.table, output: OutputOpt = None,
         fail_on: FailOnOpt = "high", download: DownloadOpt = False, workers: WorkersOpt = None) -> None:
    """Hash and statically scan every file of TARGET; never loads or executes model content."""
    _scan_command(target, fmt, output, fail_on, download, workers, verdict=False)


@app.command()
def inspect(target: TargetArg, fmt: FormatOpt = OutputFormat.table, output: OutputOpt = None,
            fail_on: FailOnOpt = "high", download: DownloadOpt = False, workers: WorkersOpt = None) -> None:
    """Inspect TARGET before admitting it: integrity, artifact safety and a pass/fail verdict."""
    _scan_command(target, fmt, output, fail_on, download, workers, verdict=True)


@app.command()
def rules() -> None:
    """List every rule the scanner can report, with its id and default severity."""
    import weighbridge.formats.registry  # noqa: F401 - defines the format rules
    import weighbridge.scan.engine  # noqa: F401 - defines the integrity rules

    console = Console(highlight=False)
    for r in all_rules():
        console.print(f"{r.id:12} {r.severity.label:8} {r.check.value:10} {r.title}", markup=False)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(f"weighbridge {__version__}")


def run() -> None:
    """Console-script entry point: one-line errors, exit 2, never a traceback."""
    try:
        # Without standalone mode click returns a command's exit code instead of raising it.
        code = app(standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err.print("weighbridge: interrupted", markup=False)
        sys.exit(2)
    except Exception as exc:  # click usage errors and anything unexpected
        import click

        if isinstance(exc, click.exceptions.ClickException):
            err.print(f"weighbridge: error: {exc.format_message()}", markup=False)
            sys.exit(2)
        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        err.print(f"weighbridge: internal error: {type(exc).__name__}: {exc}", markup=False)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
