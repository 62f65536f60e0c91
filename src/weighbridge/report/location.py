"""One short text form of a finding's location, shared by the human-facing renderers."""

from __future__ import annotations

from ..core.findings import Finding


def describe_location(finding: Finding) -> str:
    loc = finding.location
    if loc is None:
        return ""
    parts = []
    if loc.member:
        parts.append(f"member {loc.member}")
    if loc.key:
        parts.append(f"key {loc.key}")
    if loc.line is not None:
        parts.append(f"line {loc.line}")
    if loc.offset is not None:
        parts.append(f"offset {loc.offset}")
    if loc.opcode:
        parts.append(loc.opcode)
    return ", ".join(parts)
