"""Obligations a parent model carries to an in-house derivative (``admit --derived-from``).

From the parent's stored report: its own licence terms (with the quoted clauses), the licences of its
ancestors that the known-model table resolved (``report.inherited``), and whatever its own parents carried to
it in the registry. Each obligation is one of naming, attribution, use-policy, output-terms or notice.
The same parent licences also go into the child's policy evaluation as ``InheritedLicense`` entries.
"""

from __future__ import annotations

from typing import Any

from ..core.codec import identity_from_dict, terms_from_dict
from ..core.license import InheritedLicense, LicenseIdentity, LicenseTerms, OutputTraining
from ..core.provenance import Ancestor

REGISTRY_LINEAGE = (
    "registry lineage of"  # data_file of the entries added here, so re-evaluation can replace them
)
KINDS = ("naming", "attribution", "use-policy", "output-terms", "notice")
_FIELDS = {
    "naming": ("derivative_naming",),
    "attribution": ("attribution", "attribution_text"),
    "use-policy": (
        "acceptable_use_policy",
        "acceptable_use_policy_url",
        "restricted_uses",
        "field_of_use_restrictions",
    ),
    "output-terms": ("outputs_train_other_models", "output_ownership", "derivatives_include_outputs"),
    "notice": ("notice_required",),
}


def from_terms(terms: LicenseTerms) -> list[tuple[str, str]]:
    """(kind, what it asks) for every obligation the terms impose."""
    out: list[tuple[str, str]] = []
    if terms.derivative_naming:
        out.append(("naming", f'a derived model\'s name must begin with "{terms.derivative_naming}"'))
    if terms.attribution:
        shown = f': "{terms.attribution_text}"' if terms.attribution_text else ""
        out.append(("attribution", f"display attribution with products built on it{shown}"))
    if terms.acceptable_use_policy or terms.restricted_uses:
        where = f" ({terms.acceptable_use_policy_url})" if terms.acceptable_use_policy_url else ""
        banned = f"; restricted uses: {', '.join(terms.restricted_uses)}" if terms.restricted_uses else ""
        out.append(("use-policy", f"use is bound by the licensor's acceptable use policy{where}{banned}"))
    if terms.outputs_train_other_models is OutputTraining.PROHIBITED:
        out.append(("output-terms", "outputs may not be used to train or improve other models"))
    if terms.derivatives_include_outputs:
        out.append(("output-terms", "models trained on its outputs count as derivatives"))
    if terms.notice_required:
        out.append(("notice", "keep the licence (and NOTICE) with every copy"))
    return out


def _quotes(evidence: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in evidence if e.get("term") in _FIELDS[kind]]


def _obligation(
    kind: str, text: str, license_id: str | None, origin: str, via: list[str], evidence: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "kind": kind,
        "text": text,
        "license": license_id,
        "origin": origin,
        "via": via,
        "evidence": evidence,
    }


def carried(
    parent: str, parent_report: dict[str, Any] | None, parent_carried: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """What a child of ``parent`` must honour: the parent's licence obligations, those of the ancestors its
    report resolved, and those the parent itself carries from its registry parents. Deduplicated."""
    out: list[dict[str, Any]] = []
    doc = parent_report or {}
    section = doc.get("license") or {}
    if section.get("terms") is not None:
        evidence = list(section.get("evidence") or ())
        for kind, text in from_terms(terms_from_dict(section["terms"])):
            out.append(_obligation(kind, text, section.get("id"), parent, [parent], _quotes(evidence, kind)))
    for item in doc.get("inherited") or ():
        if item.get("terms") is None:
            continue
        cites = [
            {"term": "base_model", "quote": c.get("value"), "file": c.get("file"), "line": c.get("line")}
            for c in item.get("citations") or ()
        ]
        for kind, text in from_terms(terms_from_dict(item["terms"])):
            out.append(
                _obligation(
                    kind,
                    text,
                    (item.get("license") or {}).get("id"),
                    item["ancestor"],
                    [parent, item["ancestor"]],
                    cites,
                )
            )
    for ob in parent_carried:
        out.append({**ob, "via": [parent, *ob.get("via", [])]})
    seen: set[tuple[str, str, str | None, str]] = set()
    unique = []
    for ob in out:
        key = (ob["kind"], ob["text"], ob["license"], ob["origin"])
        if key not in seen:
            seen.add(key)
            unique.append(ob)
    return unique


def inherited_licenses(
    parent: str, relation: str, parent_report: dict[str, Any] | None
) -> list[InheritedLicense]:
    """The parent's licence and its ancestors' as ``InheritedLicense`` entries for the child's policy check."""
    doc = parent_report or {}
    out: list[InheritedLicense] = []
    basis = "registry lineage: weighbridge admit --derived-from"
    data_file = f"{REGISTRY_LINEAGE} {parent}"
    section = doc.get("license") or {}
    if section.get("id") is not None or section.get("name") is not None:
        identity: LicenseIdentity = identity_from_dict(section)
        ancestor = Ancestor(
            model=parent, repo_id=None, relation=_relation(relation), relation_basis="stated", citations=()
        )
        out.append(
            InheritedLicense(
                ancestor=ancestor,
                license=identity,
                terms=terms_from_dict(section["terms"]) if section.get("terms") else None,
                basis=basis,
                source=f"stored report of {parent}",
                relations=(_relation(relation),),
                data_file=data_file,
            )
        )
    for item in doc.get("inherited") or ():
        ancestor = Ancestor(
            model=item["ancestor"],
            repo_id=item.get("repo_id"),
            relation=item["relation"],
            relation_basis="stated",
            citations=(),
            child=parent,
        )
        out.append(
            InheritedLicense(
                ancestor=ancestor,
                license=identity_from_dict(item["license"]),
                terms=terms_from_dict(item["terms"]) if item.get("terms") else None,
                basis=item.get("basis") or basis,
                source=item.get("source") or parent,
                relations=(_relation(relation), *item.get("relations", ())),
                data_file=data_file,
            )
        )
    return out


def _relation(relation: str) -> str:
    """The registry's relation in the words of ``Ancestor.relation``."""
    return {"quantization": "quantized", "base": "unknown"}.get(relation, relation)
