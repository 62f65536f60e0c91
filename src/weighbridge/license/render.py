"""The ``weighbridge license`` output: JSON (``weighbridge.license/1``) and a plain-text table."""

from __future__ import annotations

import json

from ..core.license import LicenseAnalysis

# The terms shown first in the table: whether the text grants anything, then those the JSON requires.
_MAIN_TERMS = (
    "rights_granted",
    "commercial_use",
    "user_cap",
    "revenue_cap_usd",
    "attribution",
    "derivative_naming",
    "acceptable_use_policy",
    "outputs_train_other_models",
    "geographic_restrictions",
    "field_of_use_restrictions",
    "remote_restriction",
)


def render_license_json(analysis: LicenseAnalysis) -> str:
    return json.dumps(analysis.to_dict(), indent=2, ensure_ascii=False) + "\n"


def render_license_table(analysis: LicenseAnalysis) -> str:
    """A readable summary: the licence, every term set, its evidence, sources, conflicts and notes."""
    doc = analysis.to_dict()
    lic = doc["license"]
    out: list[str] = []
    if lic["id"] is None and lic["name"] is None:
        out.append("licence: unknown")
    else:
        osi = "OSI-approved" if lic["osi_approved"] else "not OSI-approved"
        out.append(f"licence: {lic['name']} [{lic['id'] or 'unrecognised'}] ({osi})")
    terms = lic["terms"]
    if terms is None:
        out.append("terms: unknown (no licence text and no built-in profile)")
    else:
        out.append(f"terms (from {lic['terms_basis']}):")
        rest = [k for k in terms if k not in _MAIN_TERMS]
        for key in (*_MAIN_TERMS, *rest):
            value = terms[key]
            if key in _MAIN_TERMS or value not in (None, False, [], "allowed"):
                out.append(f"  {key:<32} {_show(value)}")
    if lic["evidence"]:
        out.append("evidence:")
        for item in lic["evidence"]:
            where = f"{item['file']}:{item['line']}" if item["line"] is not None else item["file"]
            out.append(f'  {item["term"]:<32} {where}  "{item["quote"]}"')
    if doc["sources"]:
        out.append("sources:")
        for src in doc["sources"]:
            where = f"{src['file']}:{src['line']}" if src["line"] is not None else src["file"]
            key = f" [{src['key']}]" if src["key"] else ""
            out.append(f"  {src['kind']:<7} {src['role']:<8} {where}{key}: {src['id'] or src['value']}")
    for conflict in doc["conflicts"]:
        out.append(f"conflict ({conflict['kind']}): {conflict['detail']}")
    for note in doc["notes"]:
        out.append(f"note: {note}")
    return "\n".join(out) + "\n"


def _show(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) if value else "none"
    return str(value)
