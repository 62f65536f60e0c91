"""Domain types of the mirror: what it serves (versions, files, blobs), what it refuses and why, and what it
records about pulls and intake.

Plain dataclasses and enums, no I/O. ``weighbridge.mirror`` computes them from the registry and the blob
store; the protocol faces (Hugging Face, OCI/Ollama) turn them into responses.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class RefusalKind(enum.StrEnum):
    """Why the mirror will not serve something. Every refusal names the model, the revision and one of these."""

    MALFORMED = "malformed"  # the request itself is not a valid repo id / revision / path
    NOT_ADMITTED = "not admitted"  # the registry holds no such model or version
    NOT_FOUND = "not found"  # the version is served, but has no such file
    REJECTED = "rejected"
    REVOKED = "revoked"
    QUARANTINED = "quarantined"
    AWAITING_REVIEW = "awaiting review"
    BLOB_CORRUPT = "blob corrupt"  # the stored bytes no longer hash to what was admitted
    BLOB_MISSING = "blob missing"  # admitted, but the mirror's store does not hold the bytes (not published)


@dataclass(frozen=True)
class Refusal:
    """A refused request: one line naming the model, the revision and why."""

    kind: RefusalKind
    model: str
    revision: str
    reason: str
    path: str | None = None
    scope: str = "repo"  # what the refusal is about: "repo", "revision" or "file"

    @property
    def line(self) -> str:
        what = f"{self.model}@{self.revision}" + (f" ({self.path})" if self.path else "")
        return f"{what}: {self.kind.value}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "model": self.model,
            "revision": self.revision,
            "reason": self.reason,
            "path": self.path,
            "scope": self.scope,
            "line": self.line,
        }


@dataclass(frozen=True)
class ServedFile:
    """One file of a served version: its path in the repo, size and SHA-256 (the blob's address)."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class ServedVersion:
    """An admitted registry version as the mirror presents it.

    ``repo_id`` is ``org/name`` of the recorded ``hf:`` source when there is one, else the registry name;
    ``commit`` is the Hugging Face commit when the source pinned one, else the first 40 hex characters of the
    manifest digest (stable for the version, resolvable back through the registry)."""

    model: str  # registry name
    repo_id: str
    commit: str  # 40 hex
    version_id: int
    manifest_digest: str
    source: str
    revision: str | None  # as recorded in the registry
    files: tuple[ServedFile, ...] = ()

    def file(self, path: str) -> ServedFile | None:
        for item in self.files:
            if item.path == path:
                return item
        return None


class BlobState(enum.StrEnum):
    OK = "ok"
    CORRUPT = "corrupt"


@dataclass(frozen=True)
class BlobRecord:
    """What the registry knows of a blob in the mirror's store: its size and the ``stat`` identity (inode,
    mtime) taken when its hash was last checked, and whether it was found corrupt."""

    sha256: str
    size: int
    inode: int
    mtime_ns: int
    state: BlobState = BlobState.OK
    reason: str | None = None
    verified_at: str | None = None
    flagged_at: str | None = None


@dataclass(frozen=True)
class StoredBlob:
    """A blob as the store holds it after an ingest: where it is and its ``stat`` identity."""

    sha256: str
    size: int
    path: str
    inode: int
    mtime_ns: int

    def record(self) -> BlobRecord:
        return BlobRecord(sha256=self.sha256, size=self.size, inode=self.inode, mtime_ns=self.mtime_ns)


class PullOutcome(enum.StrEnum):
    SERVED = "served"
    REFUSED = "refused"


@dataclass(frozen=True)
class PullRecord:
    """One request the mirror answered, for pull counts and the refused-pulls audit trail."""

    protocol: str  # "hf" | "oci"
    repo: str
    revision: str | None
    path: str | None
    outcome: PullOutcome
    client: str | None = None  # remote address
    user: str | None = None  # the authenticated token's name, when there is one
    model: str | None = None
    version: str | None = None  # manifest digest
    refusal: RefusalKind | None = None
    reason: str | None = None
    at: str | None = None  # ISO 8601 UTC, set by the registry
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "protocol": self.protocol,
            "repo": self.repo,
            "revision": self.revision,
            "path": self.path,
            "outcome": self.outcome.value,
            "client": self.client,
            "user": self.user,
            "model": self.model,
            "version": self.version,
            "refusal": self.refusal.value if self.refusal else None,
            "reason": self.reason,
        }


class IntakeState(enum.StrEnum):
    FETCHING = "fetching"
    INSPECTING = "inspecting"
    PUBLISHED = "published"  # admitted and in the served store
    WAITING = "waiting"  # recorded, not admitted: waits for a person (or stays refused)
    FAILED = "failed"


@dataclass(frozen=True)
class IntakeRecord:
    """One intake request: the source, who asked, where it stands, and the version it became."""

    id: int
    key: str  # the normalized source with its resolved commit: one fetch per key
    source: str
    state: IntakeState
    requested_by: str
    requested_at: str | None
    updated_at: str | None
    owner: str | None = None  # "pid@host" of the process doing the fetch
    model: str | None = None
    manifest_digest: str | None = None
    detail: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "source": self.source,
            "state": self.state.value,
            "requested_by": self.requested_by,
            "requested_at": self.requested_at,
            "updated_at": self.updated_at,
            "owner": self.owner,
            "model": self.model,
            "manifest_digest": self.manifest_digest,
            "detail": self.detail,
        }
