"""Pointers from a policy reason to what decided it: licence quotes, findings, provenance citations."""

from __future__ import annotations

from ..core.findings import Finding
from ..core.license import Evidence, LicenseAnalysis
from ..core.policy import PolicyEvidence
from ..core.provenance import Citation


def from_license(analysis: LicenseAnalysis | None, *terms: str) -> tuple[PolicyEvidence, ...]:
    """The licence quotes recorded for ``terms`` (in the order asked), each once."""
    if analysis is None:
        return ()
    out: list[PolicyEvidence] = []
    for term in terms:
        out.extend(quote(e) for e in analysis.evidence if e.term == term)
    return tuple(dict.fromkeys(out))


def quote(e: Evidence) -> PolicyEvidence:
    return PolicyEvidence("license", file=e.file, line=e.line, quote=e.quote, key=e.key or e.term)


def from_finding(f: Finding) -> PolicyEvidence:
    line = f.location.line if f.location is not None else None
    key = f.location.key if f.location is not None else None
    return PolicyEvidence(
        "finding", file=f.path, line=line, quote=f.evidence or f.title, key=key, rule=f.rule
    )


def from_citation(c: Citation, source: str = "provenance") -> PolicyEvidence:
    return PolicyEvidence(source, file=c.file, line=c.line, quote=c.value, key=c.key)


def from_policy(key: str, value: object) -> PolicyEvidence:
    return PolicyEvidence("policy", key=key, quote=str(value))
