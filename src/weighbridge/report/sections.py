"""Short human summaries of the licence, provenance and openness sections of an inspection report."""

from __future__ import annotations

from typing import Any

from ..core.report import Report

_TERM_LABELS = (
    ("commercial_use", "commercial use"),
    ("user_cap", "user cap"),
    ("revenue_cap_usd", "revenue cap (USD)"),
    ("attribution", "attribution duty"),
    ("derivative_naming", "derivative naming"),
    ("acceptable_use_policy", "acceptable-use policy"),
    ("outputs_train_other_models", "outputs may train others"),
    ("geographic_restrictions", "territory exclusions"),
    ("field_of_use_restrictions", "use restrictions"),
    ("remote_restriction", "remote restriction right"),
)


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def term_value(v: Any) -> str:
    """A licence term's value as people read it (yes/no, comma lists, grouped thousands)."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, list):
        return ", ".join(map(str, v)) or "none"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def license_lines(report: Report) -> list[str]:
    if report.license is None:
        return []
    lic = report.license.to_dict()["license"]
    name = lic.get("name") or lic.get("id") or "unknown"
    lines = [
        f"Licence: {name}"
        + (f" ({lic['id']})" if lic.get("id") and lic.get("name") else "")
        + (", OSI-approved" if lic.get("osi_approved") else "")
    ]
    terms = lic.get("terms") or {}
    set_terms = [
        f"{label}: {term_value(terms[key])}"
        for key, label in _TERM_LABELS
        if key in terms and terms[key] not in (None, [], False)
    ]
    if set_terms:
        lines.append("  " + "; ".join(set_terms))
    evidence = lic.get("evidence") or []
    for ev in evidence[:6]:
        where = (
            f"{ev.get('file')}:{ev.get('line')}" if ev.get("line") else f"{ev.get('file')} [{ev.get('key')}]"
        )
        lines.append(f'  {ev.get("term")}: "{_short(ev.get("quote") or "")}" ({where})')
    if len(evidence) > 6:
        lines.append(f"  … {len(evidence) - 6} more quotes in the JSON report")
    return lines


def provenance_lines(report: Report) -> list[str]:
    if report.provenance is None:
        return []
    prov = report.provenance.to_dict()
    pub = prov.get("publisher") or {}
    lines = [
        f"Publisher: {pub.get('name') or 'unknown'}" + (f" ({pub['country']})" if pub.get("country") else "")
    ]
    for anc in prov.get("lineage") or []:
        rel = anc.get("relation") or "derived from"
        lines.append(
            f"  {rel}: {anc.get('name') or anc.get('repo_id')}"
            + (f" ({anc['country']})" if anc.get("country") else "")
        )
    quant = prov.get("quantized_by") or []
    if quant:
        names = [q.get("name") for q in quant if isinstance(q, dict)]
        lines.append(f"  quantized by: {', '.join(n for n in names if n)}")
    hits = (
        [h for h in (prov.get("screening") or {}).get("hits", [])]
        if isinstance(prov.get("screening"), dict)
        else []
    )
    if hits:
        lines.append(f"  SCREENING: {len(hits)} match(es) on the supplied list")
    return lines


def inherited_lines(report: Report) -> list[str]:
    lines = []
    for item in report.inherited:
        doc = item.to_dict()
        lic = doc.get("license") or {}
        lines.append(
            f"  inherits {lic.get('id') or lic.get('name')} obligations from {doc.get('ancestor')}"
            f" ({doc.get('relation')})"
        )
    return lines


def openness_lines(report: Report) -> list[str]:
    if report.openness is None:
        return []
    doc = report.openness.to_dict()
    mof, osaid = doc.get("mof") or {}, doc.get("osaid") or {}
    lines = [
        f"Openness: MOF {mof.get('label', 'Unclassified')}; OSI OSAID: {osaid.get('verdict', 'unknown')}"
    ]
    for item in (mof.get("missing") or [])[:4]:
        lines.append(f"  missing: {item}")
    return lines


def policy_lines(report: Report) -> list[str]:
    if report.policy is None:
        return []
    doc = report.policy.to_dict()
    lines = [f"Policy {doc['name']}: {doc['verdict'].upper()}"]
    for reason in doc["reasons"]:
        if reason["outcome"] == "pass":
            continue
        lines.append(f"  {reason['outcome'].upper()} {reason['rule']}: {reason['message']}")
        for ev in reason["evidence"][:1]:
            quote = ev.get("quote") or ev.get("value") or ev.get("rule")
            where = ":".join(str(x) for x in (ev.get("file"), ev.get("line")) if x)
            if quote:
                lines.append(f'      "{_short(quote)}"' + (f" ({where})" if where else ""))
    return lines


def section_lines(report: Report) -> list[str]:
    return (
        license_lines(report)
        + provenance_lines(report)
        + inherited_lines(report)
        + openness_lines(report)
        + policy_lines(report)
    )
