"""A ``Report`` as its ``weighbridge.report/1`` JSON document (what ``Report.to_dict`` returns); the way back
is ``core/codec.py``. Each part's own ``to_dict`` writes its object; this assembles them and adds the summary."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .license import LicenseAnalysis
    from .report import Report

D = dict[str, Any]


def report_to_dict(report: Report) -> D:
    """The ``weighbridge.report/1`` document of a report (what ``Report.to_dict`` returns). Each part's own
    ``to_dict`` writes its object; this assembles them and adds the summary."""
    top = report.max_severity
    return {
        "schema": "weighbridge.report/1",
        "tool": {"name": "weighbridge", "version": report.tool_version},
        "target": report.target.to_dict(),
        "summary": {
            "max_severity": top.label if top else "none",
            "files": len(report.files),
            "bytes": sum(f.size for f in report.files),
            "findings": report.counts(),
        },
        "manifest": {"algorithm": "sha256", "digest": report.manifest_digest},
        "files": [f.to_dict() for f in report.files],
        "findings": [f.to_dict() for f in report.findings],
        **({"license": _license_section(report.license)} if report.license is not None else {}),
        **({"provenance": report.provenance.to_dict()} if report.provenance is not None else {}),
        **({"openness": report.openness.to_dict()} if report.openness is not None else {}),
        **({"policy": report.policy.to_dict()} if report.policy is not None else {}),
        **({"inherited": [i.to_dict() for i in report.inherited]} if report.inherited else {}),
    }


def _license_section(analysis: LicenseAnalysis) -> dict[str, Any]:
    """The licence as a report section: the ``license`` object of weighbridge.license/1 with its sources,
    conflicts and notes alongside."""
    doc = analysis.to_dict()
    section = dict(doc.get("license") or {})
    section.update({k: v for k, v in doc.items() if k not in ("schema", "license")})
    return section
