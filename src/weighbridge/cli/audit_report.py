"""`weighbridge audit report` and `weighbridge audit compare`: render audit runs, compare several."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..core.findings import WeighbridgeError
from .common import fail, write_output

if TYPE_CHECKING:
    from ..audit.summary import AuditSummary


class ReportFormat(StrEnum):
    html = "html"
    markdown = "markdown"
    json = "json"


class CompareFormat(StrEnum):
    table = "table"
    markdown = "markdown"
    json = "json"


ControlsOpt = Annotated[
    str,
    typer.Option(
        "--controls", help="Comma-separated control countries every other country is compared with."
    ),
]


def _summaries(runs: list[Path], controls: str) -> list[AuditSummary]:
    from ..audit.runfile import load_run
    from ..audit.summary import summarise

    codes = tuple(c.strip().upper() for c in controls.split(",") if c.strip())
    if not codes:
        fail("--controls needs at least one country code")
    try:
        return [summarise(load_run(p), controls=codes) for p in runs]
    except WeighbridgeError as exc:
        fail(str(exc))


def report_command(
    run: Annotated[Path, typer.Argument(help="Run file written by `weighbridge audit run`.")],
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="Output format.")] = ReportFormat.html,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to this file.")
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option(
            "--policy", help="Organization policy whose audit: section is checked against this run."
        ),
    ] = None,
    controls: ControlsOpt = "US,EU",
) -> None:
    """Rates per country, language and topic with 95 % intervals, the asymmetry against control countries,
    per-prompt consistency and example answers. HTML is one self-contained page (no scripts, no network).
    With --policy, exit 1 when the policy's audit rules fail."""
    from ..report.audit import RENDERERS

    summary = _summaries([run], controls)[0]
    verdict = None
    if policy is not None:
        from ..policy.audit_checks import audit_verdict
        from ..policy.load import load_policy

        try:
            verdict = audit_verdict(load_policy(policy), summary)
        except WeighbridgeError as exc:
            fail(str(exc))
    write_output(RENDERERS[fmt.value](summary, verdict), output, "audit report")
    if verdict is not None and verdict.verdict.value == "fail":
        raise typer.Exit(1)


def compare_command(
    runs: Annotated[
        list[Path],
        typer.Argument(help="Two or more run files (the same suites, other models or other settings)."),
    ],
    fmt: Annotated[
        CompareFormat, typer.Option("--format", "-f", help="Output format.")
    ] = CompareFormat.table,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the comparison to this file.")
    ] = None,
    controls: ControlsOpt = "US,EU",
) -> None:
    """Rates side by side and paired tests on the prompts all runs share: exact McNemar for two runs,
    Cochran's Q with Holm-corrected pairwise McNemar for more."""
    from ..report.audit.compare import (
        compare,
        render_compare_json,
        render_compare_markdown,
        render_compare_table,
    )

    if len(runs) < 2:
        fail("compare needs at least two run files")
    comparison = compare(_summaries(runs, controls), [p.name for p in runs])
    render = {
        CompareFormat.table: render_compare_table,
        CompareFormat.markdown: render_compare_markdown,
        CompareFormat.json: render_compare_json,
    }[fmt]
    write_output(render(comparison), output, "comparison")


def register(audit_app: typer.Typer) -> None:
    """Add `report` and `compare` to the audit group."""
    audit_app.command("report")(report_command)
    audit_app.command("compare")(compare_command)
