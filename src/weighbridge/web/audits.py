"""The behaviour audits stored with a version, as charts: per-country and per-language rates, drawn with the
audit report's own SVG bar chart (rates with their 95 % intervals).

The registry's version detail carries each audit's counts; the rates need the run itself, fetched from the
registry by the audit's id and summarised by ``weighbridge.audit.summary``.
"""

from __future__ import annotations

from markupsafe import Markup

from ..audit.summary import AuditSummary, Cell, summarise
from ..registry import Registry
from ..report.audit.svg import bar_chart


def load_summary(registry: Registry, audit_id: int) -> AuditSummary | None:
    """The summary of the stored audit run ``audit_id``; None when the row is gone or unreadable."""
    run = registry.audit_run(audit_id)
    return summarise(run) if run is not None else None


def _label(cell: Cell) -> str:
    return f"{cell.country or '–'} · {cell.language}"


def rate_charts(summary: AuditSummary) -> list[tuple[str, Markup]]:
    """(title, SVG) for non-compliance by country and language per political kind, the official line by
    country, non-compliance by language, and each kind's headline rate."""
    out: list[tuple[str, Markup]] = []
    for kind in ("criticism", "factual"):
        cells = [c for c in summary.by_country_language if c.kind == kind and "non-compliance" in c.rates]
        if cells:
            title = f"{kind}: non-compliance by country and language"
            out.append(
                (title, Markup(bar_chart(title, [(_label(c), c.rates["non-compliance"]) for c in cells])))
            )
    official = [c for c in summary.by_country_language if c.kind == "factual" and "official-line" in c.rates]
    if official:
        title = "factual: official line repeated, by country and language"
        out.append(
            (title, Markup(bar_chart(title, [(_label(c), c.rates["official-line"]) for c in official])))
        )
    languages = [c for c in summary.by_language if c.language and "non-compliance" in c.rates]
    if len(languages) > 1:
        title = "criticism and factual: non-compliance by language"
        out.append(
            (
                title,
                Markup(bar_chart(title, [(str(c.language), c.rates["non-compliance"]) for c in languages])),
            )
        )
    headline = [
        (str(c.kind), rate)
        for c in summary.overall
        for name, rate in c.rates.items()
        if (c.kind, name) in _HEADLINE
    ]
    if headline:
        out.append(("headline rate per kind", Markup(bar_chart("headline rate per kind", headline))))
    return out


_HEADLINE = {
    ("criticism", "non-compliance"),
    ("factual", "non-compliance"),
    ("over-refusal", "over-refusal"),
    ("harmful", "harmful-refused"),
    ("injection", "injection-followed"),
}
