"""What the scan-like commands share, without typer: run a library call (with a progress bar on a terminal),
print its report in the format asked for, and turn what was found into the exit code.

``scan`` runs through here both from the typer command and from the fast path (``cli/fast.py``) that a
pre-commit hook's per-file calls take, so the two cannot differ in what they print or how they exit.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any

from ..core.findings import Severity, WeighbridgeError, plain_message
from ..core.report import Report
from .common import console_for, fail, stderr_console, write_output


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    sarif = "sarif"
    markdown = "markdown"


def threshold(fail_on: str) -> Severity:
    """The severity ``--fail-on`` names; a name that is none is a usage error (exit 2)."""
    try:
        return Severity.parse(fail_on)
    except ValueError as exc:
        fail(str(exc))


@contextmanager
def byte_progress(description: str) -> Iterator[Callable[[int, int], None] | None]:
    """A bytes progress bar on stderr when it is a terminal: yields its ``(done, total)`` callback, or None."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=stderr_console(),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def run_with_progress(run: Callable[..., Report], target: str, **options: Any) -> Report:
    """Run a scan-like library call, with a progress bar on stderr when it is a terminal."""
    with byte_progress("scanning") as progress:
        if progress is None:
            return run(target, **options)
        return run(target, progress=progress, **options)


def emit(report: Report, fmt: OutputFormat, output: Path | None) -> None:
    """Print ``report`` (a table on stdout) or write it in ``fmt`` to ``output``."""
    if output is None and fmt is OutputFormat.table:
        from ..report.table import render_to  # rich's tables load only when one is printed

        render_to(console_for(), report)  # colours and wrapping on a terminal only
    else:
        write_output(render(fmt, [report], several=False), output, "report")


def render(fmt: OutputFormat, reports: list[Report], *, several: bool) -> str:
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


def report_and_exit_code(
    target: str,
    fmt: OutputFormat,
    output: Path | None,
    fail_on: str,
    verdict: bool,
    run: Callable[..., Report],
    **options: Any,
) -> int:
    """Run ``run`` on one target, print its report, and say the exit code: 1 when a finding is at or above
    ``fail_on`` or the policy failed, else 0 (a target that cannot be scanned exits 2 from here).
    ``verdict`` adds a PASS/WARN/FAIL line on stderr (``inspect``)."""
    limit = threshold(fail_on)
    try:
        report = run_with_progress(run, target, **options)
    except WeighbridgeError as exc:
        fail(str(exc))
    emit(report, fmt, output)
    blocking = report.at_or_above(limit)
    policy_failed = report.policy is not None and report.policy.verdict.value == "fail"
    if verdict:
        word = "FAIL" if blocking or policy_failed else "PASS"
        if word == "PASS" and report.policy is not None and report.policy.verdict.value == "warn":
            word = "WARN"
        why = f"{len(blocking)} finding(s) at or above {limit.label}"
        if report.policy is not None:
            why += f"; policy {report.policy.policy}: {report.policy.verdict.value}"
        stderr_console().print(
            f"verdict: {word} — {why}", style="bold red" if word == "FAIL" else "bold green", markup=False
        )
    return 1 if blocking or policy_failed else 0


def scan_exit_code(
    targets: list[str],
    fmt: OutputFormat,
    output: Path | None,
    fail_on: str,
    *,
    download: bool = False,
    workers: int | None = None,
) -> int:
    """``weighbridge scan TARGET…``: scan, print, and the exit code (see ``report_and_exit_code`` for one
    target and ``many_exit_code`` for several)."""
    from ..scanning.api import scan as scan_target

    if len(targets) == 1:
        return report_and_exit_code(
            targets[0], fmt, output, fail_on, False, scan_target, download=download, workers=workers
        )
    return many_exit_code(
        targets, fmt, output, threshold(fail_on), scan_target, download=download, workers=workers
    )


def many_exit_code(
    targets: list[str],
    fmt: OutputFormat,
    output: Path | None,
    limit: Severity,
    run: Callable[..., Report],
    **options: Any,
) -> int:
    """Scan each target in turn; one exit code: 2 if one could not be scanned, else 1 if one has a finding at
    or above ``limit``, else 0. Tables print as each report is ready; other formats print once, combined."""
    reports: list[Report] = []
    failed = False
    for target in targets:
        try:
            report = run_with_progress(run, target, **options)
        except WeighbridgeError as exc:
            stderr_console().print(
                f"weighbridge: error: {plain_message(str(exc))}", markup=False, soft_wrap=True
            )
            failed = True
            continue
        if output is None and fmt is OutputFormat.table:
            if reports:
                sys.stdout.write("\n")
            emit(report, fmt, output)
        reports.append(report)
    if reports and not (output is None and fmt is OutputFormat.table):
        write_output(render(fmt, reports, several=True), output, "report")
    blocking = any(report.at_or_above(limit) for report in reports)
    return 2 if failed else 1 if blocking else 0
