"""The fleet's use of the registry's scan cache: the rules version that keys it, and what one cached file
holds (enough to rebuild its FileRecord without reading it).

A cached entry is reused when the file's real path, size and mtime_ns match, the rules version matches, and
it was scanned under the same name in its target with the same expected digest (both change findings).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from .. import __version__
from ..core.findings import Finding
from ..core.report import FileRecord
from .work import FileResult, WorkItem

_rules_version: str | None = None


def rules_version() -> str:
    """``TOOL_VERSION+DIGEST``: the tool version and a digest of every rule (id, severity, title,
    description). A new release or a changed rule set invalidates every cached result."""
    global _rules_version
    if _rules_version is None:
        from ..catalogue import every_rule

        doc = [[r.id, int(r.severity), r.check.value, r.title, r.description] for r in every_rule()]
        digest = hashlib.sha256(json.dumps(doc).encode()).hexdigest()[:16]
        _rules_version = f"{__version__}+{digest}"[:50]
    return _rules_version


@dataclass(frozen=True, slots=True)
class CachedFile:
    """What the scan cache row of one file says."""

    sha256: str
    format: str
    payload: dict[str, Any]  # name, expected digest, formats, references, findings (JSON)


def to_payload(result: FileResult) -> dict[str, Any]:
    record = result.record
    return {
        "rel": record.path,
        "expected": result.item.file.expected_sha256,
        "formats": record.formats,
        "references": result.references,
        "findings": [f.to_dict() for f in record.findings],
    }


def matches(payload: dict[str, Any], item: WorkItem) -> bool:
    return payload.get("rel") == item.file.rel and payload.get("expected") == item.file.expected_sha256


def to_record(cached: CachedFile, item: WorkItem) -> tuple[FileRecord, list[str]]:
    """The FileRecord a fresh scan of ``item`` would give, from its cache entry."""
    from ..core.codec import finding_from_dict

    payload = cached.payload
    findings: list[Finding] = [finding_from_dict(f) for f in payload.get("findings") or []]
    record = FileRecord(
        path=item.file.rel,
        size=item.size,
        sha256=cached.sha256,
        format=cached.format,
        findings=findings,
        formats=list(payload.get("formats") or []),
    )
    return record, [str(r) for r in payload.get("references") or []]
