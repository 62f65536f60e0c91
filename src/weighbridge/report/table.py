"""The human-facing report: rich tables (coloured on a terminal, plain text in a file)."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..core.findings import Severity
from ..core.report import Report
from .location import describe_location
from .sections import section_lines

STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def render_to(console: Console, report: Report) -> None:
    top = report.max_severity
    counts = report.counts()
    console.print(
        Text.assemble(
            ("Weighbridge ", "bold"),
            f"{report.tool_version} — ",
            (report.target.input, "bold"),
            f" ({report.target.kind.value})",
        )
    )
    console.print(
        f"{len(report.files)} files, {_human(sum(f.size for f in report.files))}, "
        f"{report.elapsed_seconds:.2f} s; manifest sha256 {report.manifest_digest}"
    )
    summary = Text("Highest severity: ")
    summary.append(top.label if top else "none", style=STYLE[top] if top else "green")
    summary.append("   " + "  ".join(f"{k} {v}" for k, v in counts.items() if v))
    console.print(summary)
    for line in section_lines(report):
        console.print(Text(line))
    if report.findings:
        if console.is_terminal:
            console.rule("Findings")
        else:  # a log: no line as wide as the console
            console.print("── Findings ──")
        for f in report.findings:
            head = Text()
            head.append(f" {f.severity.label.upper()} ", style=STYLE[f.severity])
            head.append(f" {f.rule}  ", style="bold")
            head.append(f.path, style="bold")
            where = describe_location(f)
            if where:
                head.append(f"  ({where})", style="dim")
            console.print(head)
            console.print(Text(f"   {f.title}: {f.detail}"))
            if f.evidence:
                console.print(Text(f"   evidence: {f.evidence}", style="dim"))
    files = Table(title="Files", expand=False)
    for col in ("File", "Format", "Size", "SHA-256", "Worst"):
        files.add_column(col, overflow="fold")
    for r in report.files:
        worst = max((f.severity for f in r.findings), default=None)
        files.add_row(
            r.path,
            "+".join(r.formats) if len(r.formats) > 1 else r.format,
            _human(r.size),
            (r.sha256 or "-")[:16],
            Text(worst.label if worst else "clean", style=STYLE[worst] if worst else "green"),
        )
    console.print(files)


def render_table(report: Report) -> str:
    buf = io.StringIO()
    # A file is a log: nothing wrapped (digests and paths stay whole), tables as wide as their content.
    render_to(
        Console(file=buf, width=4000, soft_wrap=True, no_color=True, highlight=False, emoji=False), report
    )
    return buf.getvalue()
