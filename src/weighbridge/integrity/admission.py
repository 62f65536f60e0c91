"""Is what is on disk an admitted registry version? Shared by ``verify --registry`` and the guard.

The files under the target are hashed (through the per-process cache when the guard asks) and matched
against the registry: a folder must hold exactly the same paths, sizes and SHA-256s as a version whose
decision is ADMITTED. A single file must be one of an admitted version's files (same SHA-256 and size): a
loader opening one shard or one GGUF reads exactly those bytes, which were inspected when they were admitted.
When nothing matches, the answer names why — the first added, removed or changed file compared with the
version the target was most likely admitted as (``model`` when given, else the version with the same
manifest digest, else the newest version of the model named like the folder or file), or that version's
decision (revoked, rejected…) when the files are right but the decision is not ADMITTED.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Protocol

from ..core.findings import WeighbridgeError
from ..core.registry import Decision, DecisionRecord, FileDigest, VerifyResult, VersionRecord
from ..core.report import TargetKind
from ..sources import resolve
from .files import digest_of, present_files
from .manifest import manifest_digest
from .verify import compare_present, describe_change


class AdmissionRegistry(Protocol):
    """What the guard and ``verify --registry`` need from ``weighbridge.registry``."""

    def get_version(self, model: str, version: str | None = None) -> VersionRecord: ...

    def find_admitted_for_files(self, files: Sequence[FileDigest]) -> VersionRecord | None: ...

    def admitted_version_for_manifest(self, manifest_digest: str) -> VersionRecord | None: ...

    def closest_version_for_files(self, files: Sequence[FileDigest]) -> VersionRecord | None: ...

    def history(self, model: str) -> list[DecisionRecord]: ...


@dataclass(frozen=True)
class Admission:
    """The verdict on one target: ``version`` is what it was compared with (None when the registry has no
    candidate), ``refusal`` why it may not be loaded (None when it may)."""

    target: str
    result: VerifyResult
    version: VersionRecord | None
    refusal: str | None

    @property
    def ok(self) -> bool:
        return self.refusal is None

    @property
    def status(self) -> str:
        """``admitted``; ``tampered`` (the files differ from an admitted version they were compared with);
        ``not-admitted`` (no registry version holds these files, or the version's decision is not ADMITTED)."""
        if self.refusal is None:
            return "admitted"
        if self.version is not None and not self.result.ok and self.version.decision is Decision.ADMITTED:
            return "tampered"
        return "not-admitted"

    @property
    def first_file(self) -> str | None:
        """The first added, removed or changed file, if the refusal is about files."""
        return self.result.changes[0].path if self.result.changes else None

    def to_dict(self) -> dict[str, Any]:
        v = self.version
        return {
            "admitted": self.ok,
            "status": self.status,
            "refusal": self.refusal,
            "version": None
            if v is None
            else {
                "id": v.id,
                "model": v.model,
                "revision": v.revision,
                "manifest_digest": v.manifest_digest,
                "decision": v.decision.value,
                "signature": v.signature.value,
            },
        }


def check_admission(
    target: str,
    registry: AdmissionRegistry,
    *,
    model: str | None = None,
    hasher: Callable[[str], str] | None = None,
) -> Admission:
    snapshot = resolve(target)
    present, unpinnable = present_files(snapshot)
    if not present and not unpinnable:
        raise WeighbridgeError(f"{target} has no files to check")
    digests = [FileDigest(p.rel, p.size, digest_of(p, hasher)) for p in present]
    by_abspath = {p.abspath: d.sha256 for p, d in zip(present, digests, strict=True)}

    def recheck(expected: Sequence[FileDigest]) -> VerifyResult:  # every file is hashed already: no re-read
        return compare_present(target, present, unpinnable, expected, hasher=lambda path: by_abspath[path])

    single = snapshot.target.kind is TargetKind.FILE
    version: VersionRecord | None
    if model is not None:
        version = registry.get_version(model)
    elif unpinnable:
        version = None
    else:
        version = registry.find_admitted_for_files(digests)
        if version is None and not single:
            version = registry.admitted_version_for_manifest(
                manifest_digest((d.path, d.sha256) for d in digests)
            )
        if version is None:
            version = _named_like(registry, snapshot.target.kind, snapshot.target.path, snapshot.target.input)
        if version is None and not single:  # a changed copy of a recorded version: name what differs
            version = registry.closest_version_for_files(digests)
    if version is None:
        result = recheck([])
        why = (
            f"{unpinnable[0].rel} cannot be hashed ({unpinnable[0].reason})"
            if unpinnable
            else f"no admitted registry version holds {digests[0].path} (sha256 {digests[0].sha256[:12]}…)"
            if single
            else f"no admitted registry version has exactly these {len(digests)} file(s)"
        )
        return Admission(target, result, None, f"{target} is not admitted: {why}")
    result = recheck(_as_single(version.files, digests[0]) if single and digests else version.files)
    label = f"{version.model}@{version.manifest_digest[:12]}"
    if not result.ok:
        more = f" (and {len(result.changes) - 1} more)" if len(result.changes) > 1 else ""
        if version.decision is Decision.ADMITTED:  # an admitted version whose bytes changed
            return Admission(
                target,
                result,
                version,
                f"{target} is tampered: {describe_change(result.changes[0])} compared with {label}{more}",
            )
        return Admission(
            target,
            result,
            version,
            f"{target} is not admitted: {describe_change(result.changes[0])} "
            f"compared with {label} ({version.decision.value}){more}",
        )
    if version.decision is not Decision.ADMITTED:
        reason = _reason(registry, version)
        return Admission(
            target,
            result,
            version,
            f"{target} is not admitted: {label} is "
            f"{version.decision.value}" + (f": {reason}" if reason else ""),
        )
    return Admission(target, result, version, None)


def _as_single(files: Sequence[FileDigest], present: FileDigest) -> list[FileDigest]:
    """What a single file is compared with: the version's file with the same bytes, else the one with the same
    name (so a changed file is named as changed), else nothing (so it is named as unknown)."""
    same = [f for f in files if (f.sha256, f.size) == (present.sha256, present.size)]
    named = [f for f in files if PurePath(f.path).name == present.path]
    chosen = (same or named)[:1]
    return [FileDigest(present.path, f.size, f.sha256) for f in chosen]


def _reason(registry: AdmissionRegistry, version: VersionRecord) -> str | None:
    """Why the version stands where it does: the reason of its latest decision, with who decided."""
    try:
        entries = [e for e in registry.history(version.model) if e.version in (None, version.manifest_digest)]
    except WeighbridgeError:
        return None
    if not entries:
        return None
    last = entries[-1]
    return f"{last.reason} ({last.action.value} by {last.actor}, {last.at})"


def _named_like(registry: AdmissionRegistry, kind: TargetKind, path: str, given: str) -> VersionRecord | None:
    """The newest version of the model the registry names after this folder or file (for a single file, also
    after the folder that holds it), if any."""
    if kind is TargetKind.HF:
        names = [given.removeprefix("hf:").split("@", 1)[0]]
    elif kind is TargetKind.OLLAMA:
        names = [given if ":" in given.removeprefix("ollama:") else given + ":latest"]
    else:
        names = [PurePath(path).name] + ([PurePath(path).parent.name] if kind is TargetKind.FILE else [])
    for name in names:
        try:
            return registry.get_version(name)
        except WeighbridgeError:  # not in the registry, or not a valid model name
            continue
    return None
