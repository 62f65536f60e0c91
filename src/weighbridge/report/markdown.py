"""A Markdown report for pull requests, tickets and review records."""

from __future__ import annotations

from ..core.types import Report
from .location import describe_location


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    d = report.to_dict()
    s = d["summary"]
    top = s["max_severity"]
    lines = [
        f"# Weighbridge scan: `{report.target.input}`",
        "",
        f"- **Target**: {report.target.kind.value} `{report.target.path}`"
        + (f" @ `{report.target.revision}`" if report.target.revision else ""),
        f"- **Files**: {s['files']} ({s['bytes']:,} bytes)",
        f"- **Manifest digest** (sha256, OMS-style): `{report.manifest_digest}`",
        f"- **Highest severity**: {top}",
        "- **Findings**: " + ", ".join(f"{k} {v}" for k, v in s["findings"].items()),
        "",
        "## Findings",
        "",
    ]
    if not report.findings:
        lines.append("No findings.")
    else:
        lines += ["| Severity | Rule | File | Where | Finding | Evidence |", "|---|---|---|---|---|---|"]
        for f in report.findings:
            lines.append(
                f"| {f.severity.label} | {f.rule} | `{_cell(f.path)}` | {_cell(describe_location(f))} | "
                f"**{_cell(f.title)}**: {_cell(f.detail)} | {('`' + _cell(f.evidence) + '`') if f.evidence else ''} |")
    lines += ["", "## Files", "", "| File | Format | Size | SHA-256 |", "|---|---|---|---|"]
    for r in report.files:
        lines.append(f"| `{_cell(r.path)}` | {r.format} | {r.size:,} | `{r.sha256 or '-'}` |")
    return "\n".join(lines) + "\n"
