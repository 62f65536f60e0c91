"""SARIF 2.1.0 for code-scanning dashboards (GitHub, GitLab, Azure DevOps)."""

from __future__ import annotations

import json
from typing import Any

from ..catalogue import every_rule
from ..core.findings import Finding, Severity
from ..core.report import Report

_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub maps security-severity scores to critical (>= 9), high (>= 7), medium (>= 4), low.
_SCORE = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}


def _result(f: Finding, index: dict[str, int]) -> dict[str, Any]:
    region: dict[str, Any] = {}
    loc = f.location
    if loc is not None and loc.line is not None:
        region["startLine"] = loc.line
    elif loc is not None and loc.offset is not None:
        region["byteOffset"] = loc.offset
    physical: dict[str, Any] = {"artifactLocation": {"uri": f.path}}
    if region:
        physical["region"] = region
    location: dict[str, Any] = {"physicalLocation": physical}
    if loc is not None and (loc.member or loc.key):
        location["logicalLocations"] = [
            {"fullyQualifiedName": loc.member or loc.key, "kind": "member" if loc.member else "key"}
        ]
    text = f"{f.title}: {f.detail}" + (f" (evidence: {f.evidence})" if f.evidence else "")
    return {
        "ruleId": f.rule,
        "ruleIndex": index[f.rule],
        "level": _LEVEL[f.severity],
        "message": {"text": text},
        "locations": [location],
        "properties": {
            "severity": f.severity.label,
            "check": f.check.value,
            "location": loc.to_dict() if loc else None,
        },
    }


def render_sarif(report: Report) -> str:
    rules = every_rule()
    index = {r.id: i for i, r in enumerate(rules)}
    driver = {
        "name": "weighbridge",
        "version": report.tool_version,
        "informationUri": "https://pypi.org/project/weighbridge/",
        "rules": [
            {
                "id": r.id,
                "name": r.title,
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": r.description},
                "defaultConfiguration": {"level": _LEVEL[r.severity]},
                "properties": {"security-severity": _SCORE[r.severity], "tags": ["security", r.check.value]},
            }
            for r in rules
        ],
    }
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "originalUriBaseIds": {"TARGET": {"uri": report.target.path}},
                "results": [_result(f, index) for f in report.findings],
                "properties": {"manifestDigest": report.manifest_digest, "target": report.target.to_dict()},
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
