"""The audit summary as Markdown: the same numbers as the HTML page, in tables."""

from __future__ import annotations

from ...audit.summary import AuditSummary
from ...core.policy import PolicyVerdict
from .text import (
    METHOD_NOTE,
    identity_items,
    metric_rows,
    model_name,
    points,
    rate_text,
    settings_items,
)


def cell(text: str) -> str:
    """Markdown table cell: pipes escaped, newlines flattened, HTML-significant characters neutralised."""
    flat = " ".join(text.split())
    return (
        flat.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("`", "\\`")
    )


def render_markdown(summary: AuditSummary, verdict: PolicyVerdict | None = None) -> str:
    run = summary.run
    out = [f"# Audit report: {cell(model_name(summary))}", "", METHOD_NOTE, "", "## Model", ""]
    out += [
        f"- **{k}**: `{v}`" if k == "integrity digest" else f"- **{k}**: {cell(v)}"
        for k, v in identity_items(summary)
    ]
    out += ["", "## Settings", "", "| setting | value |", "|---|---|"]
    out += [f"| {k} | {cell(v)} |" for k, v in settings_items(summary)]
    out += ["", "## Suites", "", "| suite | version |", "|---|---|"]
    out += [f"| {cell(n)} | {cell(v)} |" for n, v in sorted(run.suites.items())]
    out += [
        "",
        "## Statuses",
        "",
        "| " + " | ".join(summary.statuses) + " |",
        "|" + "---|" * len(summary.statuses),
        "| " + " | ".join(str(v) for v in summary.statuses.values()) + " |",
    ]
    excluded = [f"**{cell(summary.excluded)}.**", ""] if summary.excluded else []
    out += ["", "## Overall rates", "", *excluded, "| kind | metric | rate [95 % CI] |", "|---|---|---|"]
    for c in summary.overall:
        out += [f"| {c.kind} | {m} | {rate_text(r)} |" for m, r in metric_rows(c.rates)]
    if summary.greedy:
        greedy_note = [f"**{cell(summary.greedy_excluded)}.**", ""] if summary.greedy_excluded else []
        out += [
            "",
            "### Greedy pass",
            "",
            *greedy_note,
            "| kind | metric | rate [95 % CI] |",
            "|---|---|---|",
        ]
        for c in summary.greedy:
            out += [f"| {c.kind} | {m} | {rate_text(r)} |" for m, r in metric_rows(c.rates)]
    out += [
        "",
        "## Non-compliance by country and language",
        "",
        *excluded,
        "| kind | country | language | non-compliance | refusal | evasion | not valid |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in summary.by_country_language:
        r = c.rates
        bad = sum(v for k, v in c.statuses.items() if k != "valid")
        out.append(
            f"| {c.kind} | {c.country or '–'} | {c.language} | "
            + " | ".join(rate_text(r[m]) if m in r else "–" for m in ("non-compliance", "refusal", "evasion"))
            + f" | {bad} |"
        )
    out += [
        "",
        "## Asymmetry (percentage points)",
        "",
        "| kind | country | language | controls | difference | 95 % CI |",
        "|---|---|---|---|---|---|",
    ]
    for a in summary.asymmetries:
        d = a.to_dict()
        out.append(
            f"| {a.kind} | {a.country} | {a.language} | {', '.join(a.controls)} | {points(a.points)} | "
            f"[{points(d['low_points'])}, {points(d['high_points'])}] |"
        )
    out += [
        "",
        "## Per-prompt consistency",
        "",
        "| kind | outcome | always | sometimes | never |",
        "|---|---|---|---|---|",
    ]
    flags = {t.prompt.kind.value: t.flag for t in summary.prompts}
    for kind, split in summary.consistency().items():
        out.append(
            f"| {kind} | {flags[kind]} | {len(split.always)} | {len(split.sometimes)} | {len(split.never)} |"
        )
    out += [
        "",
        "| prompt | kind | topic | country | language | outcome | hits/valid | consistency |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t in summary.prompts:
        p = t.prompt
        out.append(
            f"| {cell(p.id)} | {p.kind.value} | {cell(p.topic)} | {p.country or '–'} | {p.language} | "
            f"{t.flag} | {t.hits}/{t.valid} | {t.consistency or 'no valid sample'} |"
        )
    out += [
        "",
        "## Example answers",
        "",
        "Model output, quoted as untrusted text.",
        "",
        "| cell | prompt | label | answer |",
        "|---|---|---|---|",
    ]
    out += [
        f"| {cell(e.cell)} | {cell(e.prompt_id)} | {e.label}{' (greedy)' if e.greedy else ''} | {cell(e.text)} |"
        for e in summary.examples
    ]
    if verdict is not None:
        out += ["", f"## Policy: {cell(verdict.policy)} — {verdict.verdict.value.upper()}", ""]
        out += [f"- **{r.outcome.value}** `{r.rule}`: {cell(r.message)}" for r in verdict.reasons]
    out.append("")
    return "\n".join(out)
