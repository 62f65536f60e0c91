"""A Markdown report for pull requests, tickets and review records: the same sections as the JSON report
(findings and files; with ``inspect`` also the licence with its quoted clauses, provenance and lineage,
inherited obligations, openness, and the policy's verdict with every reason)."""

from __future__ import annotations

from typing import Any

from ..core.report import Report
from .location import describe_location
from .sections import term_value as _value


def _cell(text: object) -> str:
    return ("" if text is None else str(text)).replace("|", "\\|").replace("\n", " ")


def _where(ev: dict[str, Any]) -> str:
    file, line, key = ev.get("file"), ev.get("line"), ev.get("key")
    if file and line:
        return f"`{_cell(file)}:{line}`"
    if file and key:
        return f"`{_cell(file)}` [{_cell(key)}]"
    return f"`{_cell(file)}`" if file else ""


def render_markdown(report: Report) -> str:
    d = report.to_dict()
    s = d["summary"]
    top = s["max_severity"]
    lines = [
        f"# Weighbridge {'inspection' if report.license or report.policy else 'scan'}: `{report.target.input}`",
        "",
        f"- **Target**: {report.target.kind.value} `{report.target.path}`"
        + (f" @ `{report.target.revision}`" if report.target.revision else ""),
        f"- **Files**: {s['files']} ({s['bytes']:,} bytes)",
        f"- **Manifest digest** (sha256, OMS-style): `{report.manifest_digest}`",
        f"- **Highest severity**: {top}",
        "- **Findings**: " + ", ".join(f"{k} {v}" for k, v in s["findings"].items()),
    ]
    if report.policy is not None:
        lines.append(f"- **Policy** {_cell(report.policy.policy)}: **{report.policy.verdict.value.upper()}**")
    lines += ["", "## Findings", ""]
    if not report.findings:
        lines.append("No findings.")
    else:
        lines += ["| Severity | Rule | File | Where | Finding | Evidence |", "|---|---|---|---|---|---|"]
        for f in report.findings:
            lines.append(
                f"| {f.severity.label} | {f.rule} | `{_cell(f.path)}` | {_cell(describe_location(f))} | "
                f"**{_cell(f.title)}**: {_cell(f.detail)} | {('`' + _cell(f.evidence) + '`') if f.evidence else ''} |"
            )
    for section in (
        _license(d.get("license")),
        _provenance(d.get("provenance")),
        _inherited(d.get("inherited")),
        _openness(d.get("openness")),
        _policy(d.get("policy")),
    ):
        if section:
            lines += ["", *section]
    lines += ["", "## Files", "", "| File | Format | Size | SHA-256 |", "|---|---|---|---|"]
    for r in report.files:
        lines.append(f"| `{_cell(r.path)}` | {r.format} | {r.size:,} | `{r.sha256 or '-'}` |")
    return "\n".join(lines) + "\n"


def _license(lic: dict[str, Any] | None) -> list[str]:
    if not lic:
        return []
    name = lic.get("name") or lic.get("id") or "unknown"
    out = [
        "## Licence",
        "",
        f"- **Licence**: {_cell(name)}" + (f" (`{_cell(lic['id'])}`)" if lic.get("id") else ""),
        f"- **Family**: {_cell(lic.get('family') or 'unknown')}; OSI-approved: {_value(bool(lic.get('osi_approved')))}"
        + (f"; SPDX `{_cell(lic['spdx'])}`" if lic.get("spdx") else ""),
        f"- **Terms from**: {_cell(lic.get('terms_basis') or 'unknown')}",
    ]
    terms = {k: v for k, v in (lic.get("terms") or {}).items() if v not in (None, [], False, "")}
    if terms:
        out += ["", "| Term | Value |", "|---|---|"] + [
            f"| {_cell(k)} | {_cell(_value(v))} |" for k, v in terms.items()
        ]
    evidence = lic.get("evidence") or []
    if evidence:
        out += ["", "### Quoted clauses", "", "| Term | Quote | Where |", "|---|---|---|"]
        out += [f"| {_cell(ev.get('term'))} | {_cell(ev.get('quote'))} | {_where(ev)} |" for ev in evidence]
    for note in [*(lic.get("conflicts") or []), *(lic.get("notes") or [])]:
        out.append(f"- {_cell(note if isinstance(note, str) else note.get('message', note))}")
    return out


def _provenance(prov: dict[str, Any] | None) -> list[str]:
    if not prov:
        return []
    pub = prov.get("publisher") or {}
    out = [
        "## Provenance",
        "",
        f"- **Publisher**: {_cell(pub.get('name') or 'unknown')}"
        + (f" ({_cell(pub['country'])})" if pub.get("country") else ""),
    ]
    quant = [str(q["name"]) for q in prov.get("quantized_by") or [] if isinstance(q, dict) and q.get("name")]
    if quant:
        out.append(f"- **Quantized by**: {_cell(', '.join(quant))}")
    countries = prov.get("countries") or {}
    if countries:
        out.append(
            "- **Countries**: "
            + "; ".join(f"{_cell(c)} ({_cell(', '.join(why))})" for c, why in countries.items())
        )
    screening = prov.get("screening") or {}
    if isinstance(screening, dict):
        if screening.get("performed"):
            matches = screening.get("matches") or []
            out.append(
                f"- **Screening** against `{_cell(screening.get('list_file'))}`: "
                + (f"**{len(matches)} match(es)**" if matches else "no match")
            )
        else:
            out.append("- **Screening**: not performed (no `--screening` list)")
    lineage = prov.get("lineage") or []
    if lineage:
        out += ["", "| Relation | Model | Publisher | Cited at |", "|---|---|---|---|"]
        for anc in lineage:
            p = anc.get("publisher") or {}
            cited = ", ".join(_where(c) for c in (anc.get("citations") or [])[:2])
            out.append(
                f"| {_cell(anc.get('relation') or 'derived from')} | {_cell(anc.get('model') or anc.get('repo_id'))} "
                f"| {_cell(p.get('name') or '')}{(' (' + _cell(p['country']) + ')') if p.get('country') else ''} "
                f"| {cited} |"
            )
    for problem in prov.get("problems") or []:
        out.append(f"- {_cell(problem if isinstance(problem, str) else problem.get('message', problem))}")
    return out


def _inherited(items: list[dict[str, Any]] | None) -> list[str]:
    if not items:
        return []
    out = ["## Inherited obligations", "", "| Ancestor | Relation | Licence | Basis |", "|---|---|---|---|"]
    for item in items:
        lic = item.get("license") or {}
        out.append(
            f"| {_cell(item.get('ancestor'))} | {_cell(item.get('relation'))} | "
            f"{_cell(lic.get('name') or lic.get('id'))} | {_cell(item.get('basis'))} |"
        )
    return out


def _openness(doc: dict[str, Any] | None) -> list[str]:
    if not doc:
        return []
    mof, osaid = doc.get("mof") or {}, doc.get("osaid") or {}
    out = [
        "## Openness",
        "",
        f"- **Model Openness Framework**: {_cell(mof.get('label', 'Unclassified'))}",
        f"- **OSI Open Source AI Definition**: {_cell(osaid.get('verdict', 'unknown'))}",
    ]
    missing = [*(mof.get("missing") or []), *(osaid.get("missing") or [])]
    if missing:
        out += ["", "Missing:", ""] + [f"- {_cell(m)}" for m in missing]
    return out


def _policy(doc: dict[str, Any] | None) -> list[str]:
    if not doc:
        return []
    counts = doc.get("counts") or {}
    out = [
        f"## Policy: {_cell(doc.get('name'))} — {str(doc.get('verdict', '')).upper()}",
        "",
        ", ".join(f"{k} {v}" for k, v in counts.items()),
        "",
        "| Outcome | Rule | Reason | Evidence |",
        "|---|---|---|---|",
    ]
    for reason in doc.get("reasons") or []:
        evidence = reason.get("evidence") or []
        ev = evidence[0] if evidence else {}
        quote = ev.get("quote") or ev.get("value") or ev.get("rule")
        shown = (f"“{_cell(quote)}” {_where(ev)}" if quote else _where(ev)).strip()
        out.append(
            f"| {_cell(str(reason.get('outcome', '')).upper())} | `{_cell(reason.get('rule'))}` | "
            f"{_cell(reason.get('message'))} | {shown} |"
        )
    return out
