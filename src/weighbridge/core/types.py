"""Domain types of Weighbridge. Plain dataclasses and enums: no I/O, no parsing."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.IntEnum):
    """How bad a finding is. Ordered, so ``max()`` and comparisons work."""

    INFO = 1
    LOW = 2
    MEDIUM = 3
    HIGH = 4
    CRITICAL = 5

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of: {names})") from None


class Check(enum.StrEnum):
    """Which question a finding answers."""

    ARTIFACT = "artifact"  # can loading this file run code or harm the host?
    INTEGRITY = "integrity"  # are the bytes what the source claims?
    REPOSITORY = "repository"  # what does the folder as a whole ask of a loader?


class TargetKind(enum.StrEnum):
    FILE = "file"
    FOLDER = "folder"
    HF = "hf"
    OLLAMA = "ollama"


@dataclass(frozen=True, slots=True)
class Location:
    """Where in a file a finding was made. Only the fields that apply are set."""

    offset: int | None = None
    opcode: str | None = None
    key: str | None = None
    line: int | None = None
    member: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in (
            ("offset", self.offset), ("opcode", self.opcode), ("key", self.key),
            ("line", self.line), ("member", self.member)) if v is not None}


@dataclass(frozen=True, slots=True)
class Rule:
    """A stable, documented check. Findings refer to rules by id."""

    id: str
    check: Check
    severity: Severity
    title: str
    description: str


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    check: Check
    severity: Severity
    title: str
    detail: str
    path: str
    location: Location | None = None
    evidence: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "check": self.check.value,
            "severity": self.severity.label,
            "title": self.title,
            "detail": self.detail,
            "path": self.path,
            "location": self.location.to_dict() if self.location else None,
            "evidence": self.evidence,
        }


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
    formats: list[str] = field(default_factory=list)  # every format met inside (archive members, nested pickles)

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
        top = self.max_severity
        return {
            "schema": "weighbridge.report/1",
            "tool": {"name": "weighbridge", "version": self.tool_version},
            "target": self.target.to_dict(),
            "summary": {
                "max_severity": top.label if top else "none",
                "files": len(self.files),
                "bytes": sum(f.size for f in self.files),
                "findings": self.counts(),
            },
            "manifest": {"algorithm": "sha256", "digest": self.manifest_digest},
            "files": [f.to_dict() for f in self.files],
            "findings": [f.to_dict() for f in self.findings],
        }


class WeighbridgeError(Exception):
    """A usage or input error: reported as one line, exit code 2."""
