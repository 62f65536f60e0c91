"""Licence facts that belong among a report's findings: sources that disagree, a licence nobody states."""

from __future__ import annotations

from ..core.findings import Check, Finding, Severity
from ..core.license import LicenseAnalysis
from ..core.rules import define, make_finding

SOURCES_DISAGREE = define(
    "WB-LIC-001",
    Check.REPOSITORY,
    Severity.MEDIUM,
    "Licence sources disagree",
    "The model card, the licence files, GGUF metadata or the Ollama licence layer name different licences. "
    "The weights licence was decided as stated in the detail; check which one the publisher means.",
)
CODE_VS_WEIGHTS = define(
    "WB-LIC-002",
    Check.REPOSITORY,
    Severity.LOW,
    "Code and weights are under different licences",
    "The repository's code licence differs from the licence of the weights; the weights licence governs the "
    "model.",
)
NO_LICENCE = define(
    "WB-LIC-003",
    Check.REPOSITORY,
    Severity.MEDIUM,
    "No licence stated",
    "Neither the card, nor a licence file, nor the format's metadata states a licence: nothing grants the "
    "right to use the weights.",
)


def licence_findings(analysis: LicenseAnalysis) -> list[Finding]:
    out: list[Finding] = []
    for conflict in analysis.conflicts:
        rule = CODE_VS_WEIGHTS if conflict.kind == "code-vs-weights" else SOURCES_DISAGREE
        out.append(
            make_finding(
                rule,
                conflict.sources[0] if conflict.sources else ".",
                f"{conflict.detail}; weights licence taken as {conflict.decided or 'unknown'}",
                evidence=", ".join(conflict.sources) or None,
            )
        )
    if analysis.identity is None and not analysis.sources:
        out.append(make_finding(NO_LICENCE, ".", "no licence found in the card, licence files or metadata"))
    return out
