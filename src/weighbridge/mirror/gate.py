"""The gate: given a repo id and a revision (and then a file), serve or refuse, asking the registry every time.

Nothing is cached between requests: each call reads the version's decision, its files and the blob flags
from the registry, so an approval, rejection or revocation holds from the next request on. The protocol
faces (Hugging Face here, OCI/Ollama beside it) only translate requests into ``Gate`` calls and the answers
into responses.

Names: a served version's repo id is ``org/name`` of its recorded ``hf:`` source when there is one, else its
registry name; its commit is the Hugging Face commit the source pinned, else the first 40 hex characters of
its manifest digest. A revision is resolved like this:

- ``main`` / ``HEAD`` / none: the newest *admitted* version of the repo (``main`` floats over admitted
  versions only); when none is admitted, the newest version's decision is the refusal's reason;
- a commit (40 hex) or a hex prefix of 7+ characters: the version with that commit or manifest digest;
- anything else: the version whose recorded revision (tag or branch) is exactly that.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..core.mirror import BlobState, Refusal, RefusalKind, ServedFile, ServedVersion
from ..core.registry import Decision, DecisionRecord, VersionRecord
from ..registry import Registry, RegistryError
from ..registry.mirror import refusal_kind
from ..registry.names import model_name
from .store import BlobStore

FLOATING = ("main", "HEAD")
_SHA1 = re.compile(r"[0-9a-f]{40}")
_HEX_PREFIX = re.compile(r"[0-9a-f]{7,64}")
_REVISION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+/-]{0,199}")
_HF_REPO = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?")
MAX_PATH = 1000

# Called when an admitted file's blob is not in the store: may publish it (from an intake's quarantine) and
# returns whether the store now holds it.
MissingBlobHook = Callable[[ServedVersion, ServedFile], bool]


@dataclass(frozen=True)
class ServedBlob:
    """A file cleared for serving: what it is and where its checked bytes are."""

    version: ServedVersion
    file: ServedFile
    path: Path


def repo_id_of(version: VersionRecord) -> str:
    """``org/name`` of an ``hf:`` source, else the registry name."""
    if version.source.startswith("hf:"):
        repo = version.source[3:].split("@", 1)[0]
        if _HF_REPO.fullmatch(repo) and ".." not in repo:
            return repo
    return version.model


def commit_of(version: VersionRecord) -> str:
    """The Hugging Face commit recorded for the version, else 40 hex characters of its manifest digest."""
    pinned = (
        version.source.split("@", 1)[1]
        if version.source.startswith("hf:") and "@" in version.source
        else None
    )
    for candidate in (version.revision, pinned):
        if candidate and _SHA1.fullmatch(candidate.lower()):
            return candidate.lower()
    return version.manifest_digest[:40]


def check_repo(repo: str) -> str | None:
    """Why ``repo`` is not a valid repo id, or ``None``."""
    try:
        model_name(repo)
    except RegistryError:
        return "not a valid repository id"
    return None


def check_revision(revision: str) -> str | None:
    if not _REVISION.fullmatch(revision) or ".." in revision or "//" in revision or revision.endswith("/"):
        return "not a valid revision"
    return None


def check_path(path: str) -> str | None:
    """Why ``path`` is not a safe relative file name, or ``None``."""
    if not path or len(path) > MAX_PATH or "\\" in path or any(ord(c) < 32 or ord(c) == 127 for c in path):
        return "not a valid file path"
    parts = path.split("/")
    if path.startswith("/") or any(p in ("", ".", "..") for p in parts) or PurePosixPath(path).is_absolute():
        return "not a valid file path"
    return None


def describe(decision: DecisionRecord | None, fallback: Decision) -> str:
    """One line from a decision record: its reason, the policy's first reason, who and when."""
    if decision is None:
        return f"its decision is {fallback.value}"
    text = decision.reason.strip().splitlines()[0] if decision.reason.strip() else decision.decision.value
    if decision.reasons:
        first = decision.reasons[0].strip().splitlines()
        if first and first[0] not in text:
            text += f"; {first[0]}"
    return f"{text} (by {decision.actor}, {decision.at[:10]})"


class Gate:
    def __init__(
        self, registry: Registry, store: BlobStore, *, on_missing: MissingBlobHook | None = None
    ) -> None:
        self.registry = registry
        self.store = store
        self.on_missing = on_missing

    def resolve(self, repo: str, revision: str | None = None) -> ServedVersion | Refusal:
        """The admitted version ``repo@revision`` names, or why there is none to serve."""
        shown = revision or "main"
        problem = check_repo(repo)
        if problem is None and revision is not None:
            problem = check_revision(revision)
        if problem is not None:
            return Refusal(RefusalKind.MALFORMED, _printable(repo), _printable(shown), problem)
        candidates = self.registry.mirror.candidates(repo)
        if not candidates:
            active = self.registry.mirror.active_intake(repo)
            if active is not None:
                return Refusal(
                    RefusalKind.NOT_ADMITTED,
                    repo,
                    shown,
                    f"being taken in ({active.state.value} since {(active.requested_at or '')[:19]}), "
                    "not decided yet",
                )
            return Refusal(RefusalKind.NOT_ADMITTED, repo, shown, "the registry holds no such model")
        chosen = _pick(candidates, revision)
        if chosen is None:
            return Refusal(
                RefusalKind.NOT_ADMITTED,
                repo,
                shown,
                "the registry holds no such version of it",
                scope="revision",
            )
        kind = refusal_kind(chosen.decision)
        if kind is not None:
            reason = describe(self.registry.mirror.last_decision(chosen.id), chosen.decision)
            return Refusal(kind, repo, shown, reason)
        full = self.registry.mirror.version(chosen.id)
        if full.decision is not Decision.ADMITTED:  # decided between the two reads
            return Refusal(
                refusal_kind(full.decision) or RefusalKind.NOT_ADMITTED,
                repo,
                shown,
                describe(self.registry.mirror.last_decision(chosen.id), full.decision),
            )
        served = ServedVersion(
            model=full.model,
            repo_id=repo_id_of(full),
            commit=commit_of(full),
            version_id=full.id,
            manifest_digest=full.manifest_digest,
            source=full.source,
            revision=full.revision,
            files=tuple(ServedFile(f.path, f.size, f.sha256) for f in full.files),
        )
        flagged = self.registry.mirror.flagged([f.sha256 for f in served.files])
        if flagged:
            bad = next(f for f in served.files if f.sha256 in flagged)
            return Refusal(
                RefusalKind.BLOB_CORRUPT,
                repo,
                shown,
                f"withheld: the stored bytes of {bad.path} no longer match what was admitted "
                f"({flagged[bad.sha256]})",
                path=bad.path,
            )
        missing = self._unpublished(served)
        if missing:
            return Refusal(
                RefusalKind.BLOB_MISSING,
                repo,
                shown,
                f"admitted, but {len(missing)} of its {len(served.files)} files are not in the mirror's "
                f"store (first: {missing[0].path}); publish or intake it",
                path=missing[0].path,
            )
        return served

    def _unpublished(self, served: ServedVersion) -> list[ServedFile]:
        """Files whose blob is not in the store, after asking ``on_missing`` to publish them: a version is
        served only whole, so an interrupted publication never hands out part of a model."""
        missing = [f for f in served.files if not self.store.has(f.sha256)]
        if missing and self.on_missing is not None:
            for item in missing:
                self.on_missing(served, item)
            missing = [f for f in missing if not self.store.has(f.sha256)]
        return missing

    def open(self, served: ServedVersion, path: str, *, revision: str | None = None) -> ServedBlob | Refusal:
        """Clear one file of a served version: it must be one of the version's files and its blob must pass
        the store's serve-time check. A blob that fails is flagged in the registry and withheld."""
        shown = revision or served.commit
        problem = check_path(path)
        if problem is not None:
            return Refusal(RefusalKind.MALFORMED, served.repo_id, shown, problem, path=_printable(path))
        item = served.file(path)
        if item is None:
            return Refusal(
                RefusalKind.NOT_FOUND,
                served.repo_id,
                shown,
                "no such file in this version",
                path=path,
                scope="file",
            )
        recorded = self.registry.mirror.blobs([item.sha256]).get(item.sha256)
        if recorded is not None and recorded.state is BlobState.CORRUPT:
            return self._corrupt(served, item, shown, recorded.reason or "flagged corrupt")
        result = self.store.check(item.sha256, recorded, expected_size=item.size)
        if result.missing and self.on_missing is not None and self.on_missing(served, item):
            recorded = self.registry.mirror.blobs([item.sha256]).get(item.sha256)
            result = self.store.check(item.sha256, recorded, expected_size=item.size)
        if result.missing:
            return Refusal(
                RefusalKind.BLOB_MISSING,
                served.repo_id,
                shown,
                "admitted, but its bytes are not in the mirror's store (publish or intake it)",
                path=path,
            )
        if not result.ok:
            self.registry.mirror.flag_blob(item.sha256, result.problem or "corrupt", size=item.size)
            return self._corrupt(served, item, shown, result.problem or "corrupt")
        if result.rehashed and result.record is not None:
            self.registry.mirror.record_blob(result.record)
        return ServedBlob(version=served, file=item, path=self.store.path(item.sha256))

    def _corrupt(self, served: ServedVersion, item: ServedFile, shown: str, why: str) -> Refusal:
        return Refusal(
            RefusalKind.BLOB_CORRUPT,
            served.repo_id,
            shown,
            f"withheld: the stored bytes no longer match what was admitted ({why})",
            path=item.path,
        )


def _pick(candidates: list[VersionRecord], revision: str | None) -> VersionRecord | None:
    """Newest first in ``candidates``; see the module docstring for the rules."""
    if revision is None or revision in FLOATING:
        admitted = [c for c in candidates if c.decision is Decision.ADMITTED]
        return admitted[0] if admitted else candidates[0]
    wanted = revision.lower()
    for version in candidates:
        if commit_of(version) == wanted or version.manifest_digest == wanted.removeprefix("sha256:"):
            return version
    for version in candidates:
        if version.revision == revision:
            return version
    if _HEX_PREFIX.fullmatch(wanted):
        matches = [
            v for v in candidates if v.manifest_digest.startswith(wanted) or commit_of(v).startswith(wanted)
        ]
        if len(matches) == 1:
            return matches[0]
    return None


def _printable(value: str) -> str:
    """A request value made safe for a one-line message (control characters escaped, length capped)."""
    return value.encode("unicode_escape", "backslashreplace").decode("ascii", "replace")[:200]
