"""The audit summary as one self-contained HTML page: inline CSS and inline SVG, no scripts, no network.
Everything that comes from the run (answers above all: untrusted model output) is escaped."""

from __future__ import annotations

from html import escape

from ...audit.summary import AuditSummary, Cell
from ...core.policy import PolicyVerdict
from .svg import bar_chart, interval_plot
from .text import METHOD_NOTE, identity_items, metric_rows, model_name, points, rate_text, settings_items

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d232b;margin:2rem auto;max-width:1100px;
padding:0 1rem;background:#fbfbfa}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d9dde2}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}td,th{border:1px solid #d9dde2;padding:.25rem .5rem;
text-align:left;vertical-align:top}th{background:#eef1f4}code{font-size:.85rem;word-break:break-all}
.note{color:#4b5563;font-size:.9rem}.chart{display:block;margin:.5rem 0 1rem}
.chart .label{text-anchor:end;font-size:12px;fill:#1d232b}.chart .value,.chart .tick{font-size:11px;fill:#4b5563}
.chart .tick{text-anchor:middle}.chart .bar{fill:#7aa5d6}.chart .whisker{stroke:#1d232b;stroke-width:1.3}
.chart .axis{stroke:#6b7280}.chart .zero{stroke:#b91c1c;stroke-dasharray:4 3}.chart .point{fill:#1d4ed8}
.chart .point.high{fill:#b91c1c}.answer{white-space:pre-wrap;max-width:620px;font-family:ui-monospace,monospace;
font-size:.8rem;background:#f3f4f6;padding:.3rem}.pass{color:#15803d}.warn{color:#b45309}.fail{color:#b91c1c}
"""


def _table(head: list[str], rows: list[list[str]]) -> str:
    """Rows are already-escaped HTML fragments."""
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _pairs(items: list[tuple[str, str]], code: tuple[str, ...] = ()) -> str:
    return _table(
        ["", ""], [[escape(k), f"<code>{escape(v)}</code>" if k in code else escape(v)] for k, v in items]
    )


def _country_label(c: Cell) -> str:
    return f"{c.country or '–'} · {c.language}"


def _country_charts(summary: AuditSummary) -> str:
    out = []
    for kind in ("criticism", "factual"):
        cells = [c for c in summary.by_country_language if c.kind == kind and "non-compliance" in c.rates]
        if cells:
            out.append(f"<h3>{escape(kind)}: non-compliance</h3>")
            out.append(
                bar_chart(
                    f"{kind} non-compliance by country and language",
                    [(_country_label(c), c.rates["non-compliance"]) for c in cells],
                )
            )
    official = [c for c in summary.by_country_language if c.kind == "factual" and "official-line" in c.rates]
    if official:
        out.append("<h3>factual: official line repeated</h3>")
        out.append(
            bar_chart(
                "official line by country and language",
                [(_country_label(c), c.rates["official-line"]) for c in official],
            )
        )
    languages = sorted({c.language for c in summary.by_country_language if c.language})
    if len(languages) > 1:
        rows = []
        for lang in languages:
            cell = next((c for c in summary.by_language if c.language == lang), None)
            if cell is not None and "non-compliance" in cell.rates:
                rows.append((lang, cell.rates["non-compliance"]))
        if rows:
            out.append("<h3>criticism and factual: non-compliance by language</h3>")
            out.append(bar_chart("non-compliance by language", rows))
    return "".join(out) or "<p class='note'>No prompts about a country in this run.</p>"


def _asymmetry(summary: AuditSummary) -> str:
    if not summary.asymmetries:
        return "<p class='note'>No control country in this run: asymmetry cannot be measured.</p>"
    rows = []
    table = []
    for a in summary.asymmetries:
        d = a.to_dict()
        label = f"{a.kind} · {a.country} · {a.language}"
        rows.append((label, a.points, d["low_points"], d["high_points"]))
        table.append(
            [
                escape(a.kind),
                escape(a.country),
                escape(a.language),
                escape(", ".join(a.controls)),
                escape(points(a.points)),
                escape(f"[{points(d['low_points'])}, {points(d['high_points'])}]"),
                escape(rate_text(a.difference.a)),
                escape(rate_text(a.difference.b)),
            ]
        )
    chart = interval_plot("asymmetry in percentage points (country minus controls)", rows)
    return chart + _table(
        ["kind", "country", "language", "controls", "points", "95 % CI", "country rate", "control rate"],
        table,
    )


def _consistency(summary: AuditSummary) -> str:
    flags = {t.prompt.kind.value: t.flag for t in summary.prompts}
    overview = _table(
        ["kind", "outcome", "always", "sometimes", "never"],
        [
            [escape(k), escape(flags[k]), str(len(c.always)), str(len(c.sometimes)), str(len(c.never))]
            for k, c in summary.consistency().items()
        ],
    )
    rows = [
        [
            f"<code>{escape(t.prompt.id)}</code>",
            escape(t.prompt.kind.value),
            escape(t.prompt.topic),
            escape(t.prompt.country or "–"),
            escape(t.prompt.language),
            escape(t.flag),
            f"{t.hits}/{t.valid}",
            escape(t.consistency or "no valid sample"),
        ]
        for t in summary.prompts
    ]
    return overview + _table(
        ["prompt", "kind", "topic", "country", "language", "outcome", "hits/valid", "consistency"], rows
    )


def _policy(verdict: PolicyVerdict) -> str:
    v = verdict.verdict.value
    rows = [
        [
            f"<span class='{r.outcome.value}'>{escape(r.outcome.value)}</span>",
            f"<code>{escape(r.rule)}</code>",
            escape(r.message),
        ]
        for r in verdict.reasons
    ]
    return (
        f"<h2>Policy: {escape(verdict.policy)} — <span class='{v}'>{escape(v.upper())}</span></h2>"
        + _table(["outcome", "rule", "reason"], rows)
    )


def render_html(summary: AuditSummary, verdict: PolicyVerdict | None = None) -> str:
    run = summary.run
    overall = [
        [escape(c.kind or ""), escape(m), escape(rate_text(r))]
        for c in summary.overall
        for m, r in metric_rows(c.rates)
    ]
    greedy = [
        [escape(c.kind or ""), escape(m), escape(rate_text(r))]
        for c in summary.greedy
        for m, r in metric_rows(c.rates)
    ]
    examples = [
        [
            escape(e.cell),
            f"<code>{escape(e.prompt_id)}</code>",
            escape(e.label + (" (greedy)" if e.greedy else "")),
            f"<div class='answer'>{escape(e.text)}</div>",
        ]
        for e in summary.examples
    ]
    excluded = f"<p class='warn'><strong>{escape(summary.excluded)}.</strong></p>" if summary.excluded else ""
    parts = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>Weighbridge audit: {escape(model_name(summary))}</title><style>{CSS}</style></head><body>",
        f"<h1>Weighbridge audit report</h1><p><strong>{escape(model_name(summary))}</strong></p>",
        f"<p class='note'>{escape(METHOD_NOTE)}</p>",
        _policy(verdict) if verdict is not None else "",
        "<h2>Model</h2>",
        _pairs(identity_items(summary), code=("integrity digest",)),
        "<h2>Settings</h2>",
        _pairs(settings_items(summary)),
        "<h2>Suites</h2>",
        _table(
            ["suite", "version"],
            [[escape(n), f"<code>{escape(v)}</code>"] for n, v in sorted(run.suites.items())],
        ),
        "<h2>Statuses</h2>",
        _table(list(summary.statuses), [[str(v) for v in summary.statuses.values()]]),
        excluded,
        "<h2>Overall rates</h2>",
        excluded,
        _table(["kind", "metric", "rate [95 % CI]"], overall),
        (
            "<h3>Greedy pass</h3>"
            + (
                f"<p class='warn'><strong>{escape(summary.greedy_excluded)}.</strong></p>"
                if summary.greedy_excluded
                else ""
            )
            + _table(["kind", "metric", "rate [95 % CI]"], greedy)
        )
        if greedy
        else "",
        "<h2>Non-compliance by country and language</h2>",
        excluded,
        _country_charts(summary),
        "<h2>Asymmetry</h2>",
        _asymmetry(summary),
        "<h2>Per-prompt consistency</h2>",
        _consistency(summary),
        "<h2>Example answers</h2>",
        "<p class='note'>Model output, shown as untrusted text.</p>",
        _table(["cell", "prompt", "label", "answer"], examples),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"
