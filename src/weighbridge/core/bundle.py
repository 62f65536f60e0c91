"""Domain types of air-gap bundles: what a bundle lists, and what importing it decided.

A bundle is one tar archive whose first member, ``weighbridge-bundle.json``, lists every other member with its
size and SHA-256 and every model with its files. Nothing in it is trusted on import: each member is hashed
while it is read, each model is scanned again and decided by the importing side's own policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .findings import WeighbridgeError
from .registry import Decision, FileDigest, SignatureStatus

BUNDLE_SCHEMA = "weighbridge.bundle/1"
INDEX_NAME = "weighbridge-bundle.json"


class BundleError(WeighbridgeError):
    """A bundle that is malformed or was changed after export: one line, exit code 2, nothing imported."""


@dataclass(frozen=True)
class BundleMember:
    """One archive member other than the index: its name, size and SHA-256 (hex)."""

    name: str
    size: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True)
class BundleModel:
    """One exported model version: where it came from, its pinned files, and the members that carry its
    registry record, its lockfile and (when one was found) its signature."""

    name: str
    source: str
    revision: str | None
    manifest_digest: str
    files: tuple[FileDigest, ...]
    record: str
    lock: str
    signature: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "revision": self.revision,
            "manifest_digest": self.manifest_digest,
            "files": [f.to_dict() for f in self.files],
            "record": self.record,
            "lock": self.lock,
            "signature": self.signature,
        }


@dataclass(frozen=True)
class BundleIndex:
    """The bundle's first member."""

    models: tuple[BundleModel, ...]
    members: tuple[BundleMember, ...]
    tool_version: str
    created_at: str
    schema: str = BUNDLE_SCHEMA

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "tool_version": self.tool_version,
            "created_at": self.created_at,
            "models": [m.to_dict() for m in self.models],
            "members": [m.to_dict() for m in self.members],
        }


@dataclass(frozen=True)
class ExportResult:
    """What ``bundle export`` wrote."""

    path: str
    sha256: str  # of the whole archive
    size: int
    models: tuple[str, ...]  # name@manifest digest
    files: int
    file_bytes: int


@dataclass(frozen=True)
class ImportOutcome:
    """What the importing side decided for one model of a bundle, under its own policy."""

    model: str
    version: str  # manifest digest
    decision: Decision
    reason: str
    reasons: tuple[str, ...] = ()
    signature: SignatureStatus = SignatureStatus.UNSIGNED
    published: bool = False  # its files were put into the mirror's blob store
    exported_decision: str | None = None  # what the exporting registry had decided (for the record only)

    @property
    def admitted(self) -> bool:
        return self.decision is Decision.ADMITTED

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "decision": self.decision.value,
            "reason": self.reason,
            "reasons": list(self.reasons),
            "signature": self.signature.value,
            "published": self.published,
            "exported_decision": self.exported_decision,
        }


@dataclass(frozen=True)
class ImportResult:
    bundle: str
    sha256: str
    outcomes: tuple[ImportOutcome, ...] = field(default_factory=tuple)

    @property
    def all_admitted(self) -> bool:
        return bool(self.outcomes) and all(o.admitted for o in self.outcomes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "bundle": self.bundle,
            "sha256": self.sha256,
            "outcomes": [o.to_dict() for o in self.outcomes],
        }
