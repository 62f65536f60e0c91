"""The thin command layer: parse arguments, call the library, render. No scanning logic lives here."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from .. import __version__
from ..core.findings import Severity, WeighbridgeError, plain_message
from ..core.report import Report
from . import logs
from .common import console_for, err, fail, write_output
from .lazy import LazyGroup

app = typer.Typer(
    name="weighbridge",
    help="Weigh and inspect open-weight AI models before they cross into your systems.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=LazyGroup,  # audit, registry, fleet, mirror, bundle, serve… load when one of their commands runs
)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    sarif = "sarif"
    markdown = "markdown"


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


_fail = fail


def _run(run: Callable[..., Report], target: str, **options: Any) -> Report:
    """Run a scan-like library call, with a progress bar on stderr when it is a terminal."""
    if sys.stderr.isatty():
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task("scanning", total=None)
            return run(
                target, progress=lambda done, total: bar.update(task, completed=done, total=total), **options
            )
    return run(target, **options)


_write = write_output


def _emit(report: Report, fmt: OutputFormat, output: Path | None) -> None:
    if output is None and fmt is OutputFormat.table:
        from ..report.table import render_to  # rich's tables load only when one is printed

        render_to(console_for(), report)  # colours and wrapping on a terminal only
    else:
        _write(_render(fmt, [report], several=False), output, "report")


def _render(fmt: OutputFormat, reports: list[Report], *, several: bool) -> str:
    """The text of ``reports`` in ``fmt``: one report as always; the reports of ``several`` targets as one JSON
    array (json), one SARIF log with a run per report (sarif), or the documents one after the other."""
    from ..report import RENDERERS

    texts = [RENDERERS[fmt.value](report) for report in reports]
    if not several:
        return texts[0]
    if fmt is OutputFormat.json:
        return json.dumps([json.loads(text) for text in texts], indent=2, ensure_ascii=False) + "\n"
    if fmt is OutputFormat.sarif:
        logs_ = [json.loads(text) for text in texts]
        combined = logs_[0]
        combined["runs"] = [run for log in logs_ for run in log["runs"]]
        return json.dumps(combined, indent=2, ensure_ascii=False) + "\n"
    return "\n".join(text.rstrip("\n") + "\n" for text in texts)


def _threshold(fail_on: str) -> Severity:
    try:
        return Severity.parse(fail_on)
    except ValueError as exc:
        _fail(str(exc))
        raise  # unreachable: _fail exits


def _scan_command(
    target: str,
    fmt: OutputFormat,
    output: Path | None,
    fail_on: str,
    verdict: bool,
    run: Callable[..., Report],
    **options: Any,
) -> None:
    threshold = _threshold(fail_on)
    try:
        report = _run(run, target, **options)
    except WeighbridgeError as exc:
        _fail(str(exc))
        return
    _emit(report, fmt, output)
    blocking = report.at_or_above(threshold)
    policy_failed = report.policy is not None and report.policy.verdict.value == "fail"
    if verdict:
        word = "FAIL" if blocking or policy_failed else "PASS"
        if word == "PASS" and report.policy is not None and report.policy.verdict.value == "warn":
            word = "WARN"
        why = f"{len(blocking)} finding(s) at or above {threshold.label}"
        if report.policy is not None:
            why += f"; policy {report.policy.policy}: {report.policy.verdict.value}"
        err.print(
            f"verdict: {word} — {why}", style="bold red" if word == "FAIL" else "bold green", markup=False
        )
    raise typer.Exit(1 if blocking or policy_failed else 0)


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
    from ..scanning.api import scan as scan_target

    if len(target) == 1:
        _scan_command(target[0], fmt, output, fail_on, False, scan_target, download=download, workers=workers)
        return
    _scan_many(target, fmt, output, _threshold(fail_on), scan_target, download=download, workers=workers)


def _scan_many(
    targets: list[str],
    fmt: OutputFormat,
    output: Path | None,
    threshold: Severity,
    run: Callable[..., Report],
    **options: Any,
) -> None:
    """Scan each target in turn; one exit code: 2 if one could not be scanned, else 1 if one has a finding at
    or above ``threshold``, else 0. Tables print as each report is ready; other formats print once, combined."""
    reports: list[Report] = []
    failed = False
    for target in targets:
        try:
            report = _run(run, target, **options)
        except WeighbridgeError as exc:
            err.print(f"weighbridge: error: {plain_message(str(exc))}", markup=False, soft_wrap=True)
            failed = True
            continue
        if output is None and fmt is OutputFormat.table:
            if reports:
                sys.stdout.write("\n")
            _emit(report, fmt, output)
        reports.append(report)
    if reports and not (output is None and fmt is OutputFormat.table):
        _write(_render(fmt, reports, several=True), output, "report")
    blocking = any(report.at_or_above(threshold) for report in reports)
    raise typer.Exit(2 if failed else 1 if blocking else 0)


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
        _fail(str(exc))
    _scan_command(
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
        report = _run(inspect_target, target, download=download, workers=workers)
    except WeighbridgeError as exc:
        _fail(str(exc))
        return
    _write(render_cyclonedx(report), output, "AI-BOM")


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
        _fail(str(exc))
        return
    text = render_license_json(analysis) if fmt is LicenseFormat.json else render_license_table(analysis)
    _write(text, output, "licence report")


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
        hint = "" if logs.enabled() else " (run with -v for the traceback)"
        err.print(
            f"weighbridge: internal error: {type(exc).__name__}: {plain_message(str(exc))}{hint}",
            markup=False,
            soft_wrap=True,
        )
        if logs.enabled():
            logs.LOGGER.error("unexpected error", exc_info=exc)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
