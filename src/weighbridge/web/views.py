"""Shape the registry's dicts for the templates: which licence terms to show with which quotes, the lineage
graph, the audit charts, the inventory's filter choices. Presentation only: nothing here decides anything."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from ..core.registry import FleetSummary
from .charts import Bar, LineageNode, bar_chart, lineage_graph

# Term values that say "nothing to note" (the defaults of LicenseTerms).
_QUIET: tuple[object, ...] = (None, False, "", [], "allowed")


@dataclass(frozen=True)
class TermRow:
    term: str
    value: str
    quotes: list[dict[str, Any]]  # {"quote", "file", "line"}


def license_terms(section: dict[str, Any] | None) -> list[TermRow]:
    """The terms that say something, each with the clauses quoted for it; quotes for other terms follow."""
    if not section:
        return []
    terms = section.get("terms") or {}
    evidence = [e for e in section.get("evidence") or () if isinstance(e, dict)]
    by_term: dict[str, list[dict[str, Any]]] = {}
    for item in evidence:
        by_term.setdefault(str(item.get("term")), []).append(item)
    rows = []
    for term, value in terms.items():
        if value in _QUIET and term not in by_term:
            continue
        if isinstance(value, bool):
            shown = "yes" if value else "no"
        else:
            shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        rows.append(TermRow(term=term, value=shown, quotes=by_term.pop(term, [])))
    for term, quotes in by_term.items():  # quotes that back no term field (the licence title, say)
        rows.append(TermRow(term=term, value="", quotes=quotes))
    return rows


def lineage_svg(
    detail: dict[str, Any], href: Callable[[str], str], known: Iterable[str] = ()
) -> Markup | None:
    """Parents (registry lineage, then the report's stated ancestors) left, children right; ``None`` when the
    model has neither."""
    lineage = detail.get("lineage") or {}
    seen: set[str] = set()
    parents: list[LineageNode] = []
    for p in lineage.get("parents") or ():
        seen.add(p["model"])
        parents.append(LineageNode(p["model"], p.get("relation") or "", href(p["model"])))
    registry_names = set(known)
    provenance = detail.get("provenance") or {}
    for ancestor in provenance.get("lineage") or ():
        name = str(ancestor.get("model") or "")
        if not name or name in seen or ancestor.get("child") not in (None, ""):
            continue  # only direct ancestors; registry edges already drawn
        seen.add(name)
        parents.append(
            LineageNode(
                name, str(ancestor.get("relation") or ""), href(name) if name in registry_names else None
            )
        )
    children = [
        LineageNode(c["model"], c.get("relation") or "", href(c["model"]))
        for c in lineage.get("children") or ()
    ]
    if not parents and not children:
        return None
    return lineage_graph(detail["model"], parents, children)


def audit_charts(summary: dict[str, Any]) -> list[tuple[str, Markup]]:
    """Charts of one stored audit: share of samples per compliance label and per outcome."""
    out = []
    for key, title in (("labels", "answers by label"), ("outcomes", "generations by outcome")):
        counts = summary.get(key) or {}
        total = sum(int(v) for v in counts.values())
        if total:
            bars = [Bar(str(k), int(v) / total, note=f"({v}/{total})") for k, v in counts.items()]
            out.append((title, bar_chart(bars, title=title)))
    return out


def fleet_charts(summary: FleetSummary) -> list[tuple[str, Markup]]:
    """(facet, chart) for each count the fleet summary gives, as shares of all models."""
    total = max(summary.models, 1)
    out = []
    for title, counts in (
        ("by decision", summary.by_decision),
        ("by policy verdict", summary.by_verdict),
        ("by licence family", summary.by_license_family),
        ("by jurisdiction", summary.by_jurisdiction),
        ("by highest severity", summary.by_max_severity),
    ):
        if counts:
            bars = [Bar(k, v / total, note=f"({v})") for k, v in counts.items()]
            out.append((title, bar_chart(bars, title=f"models {title}")))
    return out


def choices(rows: Iterable[dict[str, Any]], key: str) -> list[str]:
    """The distinct values of ``key`` in the inventory, for a filter's drop-down."""
    return sorted({str(r[key]) for r in rows if r.get(key)})
