"""The summary columns of a stored report: what the inventory filters and sorts on."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from ..core.report import Report


@dataclass(frozen=True)
class ReportSummary:
    max_severity: int | None
    verdict: str | None
    policy_name: str | None
    license_id: str | None
    license_family: str | None
    jurisdiction: str | None
    openness_class: int | None

    def columns(self) -> dict[str, Any]:
        return {
            "max_severity": self.max_severity,
            "verdict": self.verdict,
            "license_id": self.license_id,
            "license_family": self.license_family,
            "jurisdiction": self.jurisdiction,
            "openness_class": self.openness_class,
        }


def summarize(report: Report) -> ReportSummary:
    top = report.max_severity
    identity = report.license.identity if report.license is not None else None
    publisher = report.provenance.publisher if report.provenance is not None else None
    return ReportSummary(
        max_severity=int(top) if top is not None else None,
        verdict=report.policy.verdict.value if report.policy is not None else None,
        policy_name=report.policy.policy if report.policy is not None else None,
        license_id=identity.id if identity is not None else None,
        license_family=identity.family if identity is not None else None,
        jurisdiction=publisher.country if publisher is not None else None,
        openness_class=report.openness.mof.mof_class if report.openness is not None else None,
    )


def canonical_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_digest(doc: dict[str, Any]) -> str:
    """SHA-256 of the report JSON (which carries no timings): equal reports record once."""
    return hashlib.sha256(canonical_json(doc).encode("utf-8")).hexdigest()
