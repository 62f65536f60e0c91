"""Domain types of the registry, lockfiles and the guard: decisions, pinned files, admitted versions.

Plain dataclasses and enums, no I/O. The registry package stores them; lock/verify, the guard, the web
layer and fleet scans exchange them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .policy import Policy


class Decision(enum.StrEnum):
    """Where a model version stands. Only ``ADMITTED`` lets the guard hand it to a loader."""

    ADMITTED = "admitted"
    REJECTED = "rejected"
    NEEDS_REVIEW = "needs-review"
    QUARANTINED = "quarantined"
    REVOKED = "revoked"


class DecisionAction(enum.StrEnum):
    """What produced a decision, kept in the history with who and why."""

    ADMIT = "admit"  # `weighbridge admit`: the policy decided
    APPROVE = "approve"  # a human override
    REJECT = "reject"
    REVOKE = "revoke"
    QUARANTINE = "quarantine"
    REEVALUATE = "reevaluate"  # `registry reevaluate --policy NEW`


class SignatureStatus(enum.StrEnum):
    UNSIGNED = "unsigned"
    VERIFIED = "verified"
    INVALID = "invalid"


@dataclass(frozen=True)
class FileDigest:
    """One pinned file: path relative to the model root, size, SHA-256 (hex)."""

    path: str
    size: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True)
class FileChange:
    """A difference between pinned and present files, as ``verify`` names it."""

    path: str
    change: str  # "added" | "removed" | "changed"
    expected: FileDigest | None = None
    actual: FileDigest | None = None


@dataclass(frozen=True)
class VerifyResult:
    """What ``verify`` found. ``ok`` only when nothing was added, removed or changed."""

    target: str
    changes: tuple[FileChange, ...]
    checked_files: int
    hashed_files: int  # files whose bytes were read (the rest matched on size + mtime)
    manifest_digest: str | None = None

    @property
    def ok(self) -> bool:
        return not self.changes


@dataclass(frozen=True)
class DecisionRecord:
    """One entry of a model version's decision history."""

    decision: Decision
    action: DecisionAction
    actor: str
    reason: str
    at: str  # ISO 8601 UTC
    policy: str | None = None  # policy name/digest that decided, for ADMIT and REEVALUATE
    reasons: tuple[str, ...] = ()  # the policy's reasons, one line each
    version: str | None = None  # the manifest digest of the version decided on
    policy_sha256: str | None = None  # SHA-256 of the policy file's text

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision.value,
            "action": self.action.value,
            "actor": self.actor,
            "reason": self.reason,
            "at": self.at,
            "policy": self.policy,
            "reasons": list(self.reasons),
            "version": self.version,
            "policy_sha256": self.policy_sha256,
        }


@dataclass(frozen=True)
class VersionRecord:
    """An admitted-or-not model version as the registry knows it: enough for verify and the guard."""

    id: int
    model: str  # the registry name (e.g. "Qwen/Qwen2.5-7B-Instruct" or a local folder's name)
    source: str  # the target as given: path, hf:org/name@rev, ollama:name:tag
    revision: str | None
    manifest_digest: str
    decision: Decision
    files: tuple[FileDigest, ...] = ()
    signature: SignatureStatus = SignatureStatus.UNSIGNED
    derived_from: str | None = None  # the parent model's registry name for in-house derivatives
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VerdictFlip:
    """A model whose policy verdict changed between two recorded reports (a new version, a new policy)."""

    model: str
    version: str  # manifest digest of the version the newer report belongs to
    before: str
    after: str
    at: str | None  # ISO 8601 UTC of the newer report

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "before": self.before,
            "after": self.after,
            "at": self.at,
        }


@dataclass(frozen=True)
class FleetFinding:
    """A finding of a recently recorded report, for the fleet overview."""

    model: str
    version: str
    rule: str
    severity: str
    title: str
    path: str
    at: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "rule": self.rule,
            "severity": self.severity,
            "title": self.title,
            "path": self.path,
            "at": self.at,
        }


@dataclass(frozen=True)
class FleetSummary:
    """The whole registry at a glance (``weighbridge.fleet.summary.fleet_summary``): counts over the newest
    version of every model, the newest findings, and the models whose verdict flipped."""

    models: int
    versions: int
    by_decision: dict[str, int]
    by_verdict: dict[str, int]  # "none" when no policy decided
    by_license_family: dict[str, int]  # "unknown" when no licence was identified
    by_jurisdiction: dict[str, int]  # "unknown" when the publisher's country is not known
    by_max_severity: dict[str, int]  # critical … info, "none"
    newest_findings: tuple[FleetFinding, ...] = ()
    flips: tuple[VerdictFlip, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "weighbridge.fleet-summary/1",
            "models": self.models,
            "versions": self.versions,
            "by_decision": self.by_decision,
            "by_verdict": self.by_verdict,
            "by_license_family": self.by_license_family,
            "by_jurisdiction": self.by_jurisdiction,
            "by_max_severity": self.by_max_severity,
            "newest_findings": [f.to_dict() for f in self.newest_findings],
            "flips": [f.to_dict() for f in self.flips],
        }


@dataclass(frozen=True)
class LoadedPolicy:
    """A policy read once: the name it is stored under, the SHA-256 of its bytes, its text, and what that text
    parses to. The policy evaluated is the policy hashed and stored."""

    name: str  # the stored name (a slug derived from the policy's own name)
    sha256: str  # of the bytes read (the UTF-8 text)
    text: str
    parsed: Policy


@dataclass(frozen=True)
class PolicyInfo:
    """A stored policy in the registry's list: its newest text's SHA-256 and how many texts it has had."""

    name: str
    sha256: str
    uploaded_at: str | None
    revisions: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "sha256": self.sha256,
            "uploaded_at": self.uploaded_at,
            "revisions": self.revisions,
        }


@dataclass(frozen=True)
class StoredPolicy:
    """The newest text of a stored policy."""

    name: str
    sha256: str
    yaml_text: str
    uploaded_at: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "sha256": self.sha256,
            "yaml_text": self.yaml_text,
            "uploaded_at": self.uploaded_at,
        }


@dataclass(frozen=True)
class TokenInfo:
    """An API token as listed (never its secret)."""

    name: str
    scopes: tuple[str, ...]
    created_at: str | None
    last_used_at: str | None
    revoked_at: str | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "scopes": list(self.scopes),
            "created_at": self.created_at,
            "last_used_at": self.last_used_at,
            "revoked_at": self.revoked_at,
            "revoked": self.revoked,
        }


@dataclass(frozen=True)
class CachedFile:
    """What a file held when it was last read (the scan cache), keyed by its real path, size and mtime."""

    path: str
    size: int
    mtime_ns: int
    sha256: str
    format: str
    findings: tuple[dict[str, Any], ...] = ()
    rules_version: str | None = None
    scanned_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "size": self.size,
            "mtime_ns": self.mtime_ns,
            "sha256": self.sha256,
            "format": self.format,
            "findings": list(self.findings),
            "rules_version": self.rules_version,
            "scanned_at": self.scanned_at,
        }


@dataclass(frozen=True)
class Reevaluation:
    """A version whose decision a re-evaluation changed."""

    model: str
    version: str  # manifest digest
    before: str
    after: str
    verdict: str
    reasons: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "from": self.before,
            "to": self.after,
            "verdict": self.verdict,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class ReportVerdict:
    """One stored report's policy verdict, in recording order (what verdict flips are computed from)."""

    model: str
    version_id: int
    version: str  # manifest digest
    verdict: str
    at: str | None
