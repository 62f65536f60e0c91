"""What was inspected and what was found: the target, its resolved snapshot, one record per file and the
report that gathers them. Plain dataclasses: no I/O; the report's JSON form lives in ``core.codec``."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .findings import Finding, Severity

if TYPE_CHECKING:
    from .license import InheritedLicense, LicenseAnalysis
    from .policy import PolicyVerdict
    from .provenance import Openness, Provenance


class TargetKind(enum.StrEnum):
    FILE = "file"
    FOLDER = "folder"
    HF = "hf"
    OLLAMA = "ollama"


@dataclass(frozen=True, slots=True)
class Target:
    """What the user asked for, and where it was found on disk."""

    input: str
    kind: TargetKind
    path: str
    revision: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"input": self.input, "kind": self.kind.value, "path": self.path, "revision": self.revision}


@dataclass(frozen=True, slots=True)
class SnapshotFile:
    """One file of a resolved target: its name in the model, where it lives, what the source says it hashes to."""

    rel: str
    abspath: str
    expected_sha256: str | None = None
    digest_source: str | None = None  # e.g. "hf-cache blob name", "ollama blob digest"


@dataclass(frozen=True, slots=True)
class Snapshot:
    target: Target
    root: str  # folder the relative names are relative to
    files: tuple[SnapshotFile, ...]
    notes: tuple[Finding, ...] = ()  # findings made while resolving (broken links, missing blobs)


@dataclass(slots=True)
class FileRecord:
    path: str
    size: int
    sha256: str | None
    format: str
    findings: list[Finding] = field(default_factory=list)
    formats: list[str] = field(
        default_factory=list
    )  # every format met inside (archive members, nested pickles)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "size": self.size,
            "sha256": self.sha256,
            "format": self.format,
            "formats": self.formats,
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass(slots=True)
class Report:
    target: Target
    tool_version: str
    files: list[FileRecord]
    findings: list[Finding]  # every finding: per-file ones and repository-level ones
    manifest_digest: str | None = None
    elapsed_seconds: float = 0.0
    # Filled by ``weighbridge inspect`` (None after a plain scan): what the licence lets you do, where the
    # model comes from, how open it is.
    license: LicenseAnalysis | None = None
    provenance: Provenance | None = None
    openness: Openness | None = None
    policy: PolicyVerdict | None = None  # with ``inspect --policy``
    inherited: tuple[InheritedLicense, ...] = ()  # the licences of ancestors the known-model table resolves

    @property
    def max_severity(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)

    def counts(self) -> dict[str, int]:
        out = {s.label: 0 for s in sorted(Severity, reverse=True)}
        for f in self.findings:
            out[f.severity.label] += 1
        return out

    def at_or_above(self, threshold: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity >= threshold]

    def to_dict(self) -> dict[str, Any]:
        """The report as a ``weighbridge.report/1`` document; ``core.codec.report_from_dict`` reads it back."""
        from .encode import report_to_dict  # the encoder's types import this module

        return report_to_dict(self)
