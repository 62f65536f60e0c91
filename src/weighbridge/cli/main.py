"""The thin command layer: parse arguments, call the library, render. No scanning logic lives here."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .. import __version__
from ..core.findings import WeighbridgeError, plain_message
from . import logs
from .common import console_for, err, fail, internal_error, write_output
from .lazy import LazyGroup
from .scanning import OutputFormat, report_and_exit_code, run_with_progress, scan_exit_code

app = typer.Typer(
    name="weighbridge",
    help="Weigh and inspect open-weight AI models before they cross into your systems.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=LazyGroup,  # audit, registry, fleet, mirror, bundle, serve… load when one of their commands runs
)


TargetArg = Annotated[
    str, typer.Argument(help="A file, a folder, hf:org/name[@revision] or ollama:name[:tag].")
]
TargetsArg = Annotated[
    list[str],
    typer.Argument(
        help="Files, folders, hf:org/name[@revision] or ollama:name[:tag]; several (a pre-commit hook's file list) "
        "are scanned one after the other, with one exit code for all.",
        show_default=False,
    ),
]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write the report to this file.")]
FailOnOpt = Annotated[
    str,
    typer.Option(
        "--fail-on",
        help="Exit 1 when a finding is at or above this severity (critical, high, medium, low, info).",
    ),
]
DownloadOpt = Annotated[
    bool, typer.Option("--download", help="Fetch hf: targets missing from the local cache.")
]
WorkersOpt = Annotated[
    int | None,
    typer.Option("--workers", "-j", min=1, max=64, help="Files scanned in parallel (default: CPU count)."),
]


@app.command()
def scan(
    target: TargetsArg,
    fmt: FormatOpt = OutputFormat.table,
    output: OutputOpt = None,
    fail_on: FailOnOpt = "high",
    download: DownloadOpt = False,
    workers: WorkersOpt = None,
) -> None:
    """Hash and statically scan every file of TARGET; never loads or executes model content. Exit 1 when a
    finding of any target is at or above --fail-on, 2 when a target cannot be scanned."""
    raise typer.Exit(scan_exit_code(target, fmt, output, fail_on, download=download, workers=workers))


@app.command()
def inspect(
    target: TargetArg,
    fmt: FormatOpt = OutputFormat.table,
    output: OutputOpt = None,
    fail_on: FailOnOpt = "high",
    download: DownloadOpt = False,
    workers: WorkersOpt = None,
    publishers: Annotated[
        Path | None, typer.Option(help="Extra organization → country data (YAML/JSON).")
    ] = None,
    screening: Annotated[
        Path | None, typer.Option(help="Entity list to screen publishers against (CSV).")
    ] = None,
    policy: Annotated[
        Path | None, typer.Option(help="Organization policy (YAML) to decide pass/warn/fail.")
    ] = None,
    audit: Annotated[
        Path | None,
        typer.Option(
            help="A behaviour audit of this model (run.json from `weighbridge "
            "audit run`), checked against the policy's audit: rules."
        ),
    ] = None,
) -> None:
    """Inspect TARGET before admitting it: integrity, artifact safety, licence terms with quotes, provenance,
    openness and, with --policy, the organization's verdict. Exit 1 when the policy fails or a finding is at
    or above --fail-on."""
    from ..policy import load_policy
    from ..scanning.inspection import inspect as inspect_target

    loaded = None
    summary = None
    try:
        if policy is not None:
            loaded = load_policy(policy)
        if audit is not None:
            from ..audit.runfile import load_run
            from ..audit.summary import summarise

            summary = summarise(load_run(audit))
    except WeighbridgeError as exc:
        fail(str(exc))
    code = report_and_exit_code(
        target,
        fmt,
        output,
        fail_on,
        True,
        inspect_target,
        download=download,
        workers=workers,
        publishers_file=publishers,
        screening_csv=screening,
        policy=loaded,
        audit=summary,
    )
    raise typer.Exit(code)


@app.command()
def sbom(
    target: TargetArg,
    output: OutputOpt = None,
    download: DownloadOpt = False,
    workers: WorkersOpt = None,
) -> None:
    """Write a CycloneDX 1.6 AI-BOM for TARGET: the model, its files and hashes, licence, lineage, model card."""
    from ..report.cyclonedx import render_cyclonedx
    from ..scanning.inspection import inspect as inspect_target

    try:
        report = run_with_progress(inspect_target, target, download=download, workers=workers)
    except WeighbridgeError as exc:
        fail(str(exc))
        return
    write_output(render_cyclonedx(report), output, "AI-BOM")


class LicenseFormat(StrEnum):
    table = "table"
    json = "json"


@app.command("license")
def license_command(
    target: Annotated[
        str, typer.Argument(help="A licence file, a model folder or GGUF file, hf:… or ollama:….")
    ],
    fmt: Annotated[
        LicenseFormat, typer.Option("--format", "-f", help="Output format.")
    ] = LicenseFormat.table,
    output: OutputOpt = None,
    download: DownloadOpt = False,
) -> None:
    """What a licence (or a model's licence) lets you do: terms with the quoted clause for each."""
    from ..license import analyse_target as analyse_license_target
    from ..license import render_license_json, render_license_table

    try:
        analysis = analyse_license_target(target, download=download)
    except WeighbridgeError as exc:
        fail(str(exc))
        return
    text = render_license_json(analysis) if fmt is LicenseFormat.json else render_license_table(analysis)
    write_output(text, output, "licence report")


@app.command()
def rules() -> None:
    """List every rule the scanner can report, with its id and default severity."""
    from ..catalogue import every_rule

    console = console_for()
    for r in every_rule():
        console.print(f"{r.id:12} {r.severity.label:8} {r.check.value:10} {r.title}", markup=False)


@app.command()
def version() -> None:
    """Print the version (also `weighbridge --version`)."""
    typer.echo(f"weighbridge {__version__}")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"weighbridge {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose",
            "-v",
            count=True,
            help="Diagnostics on stderr: -v info, -vv debug (or WEIGHBRIDGE_LOG=debug); "
            "an unexpected error then also writes its traceback.",
        ),
    ] = 0,
) -> None:
    """Weigh and inspect open-weight AI models before they cross into your systems."""
    logs.configure(verbose)


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
        # typer may vendor its own click, so recognise click's exceptions by what they offer, not by class.
        exit_code = getattr(exc, "exit_code", None)
        if type(exc).__name__ == "Exit" and isinstance(exit_code, int):
            sys.exit(exit_code)
        format_message = getattr(exc, "format_message", None)
        message = format_message() if callable(format_message) else None
        if isinstance(message, str):
            err.print(f"weighbridge: error: {plain_message(message)}", markup=False, soft_wrap=True)
            sys.exit(2)
        internal_error(exc, logging_on=logs.enabled())
    sys.exit(code if isinstance(code, int) else 0)
