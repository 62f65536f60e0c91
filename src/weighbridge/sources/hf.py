"""Resolve ``hf:org/name[@revision]`` from the local Hugging Face cache, offline.

Cache layout (``models--{org}--{name}``): ``refs/{branch}`` holds a commit hash, ``snapshots/{commit}/…``
are links to ``../../blobs/{etag}``. The etag is the SHA-256 of the content for LFS files (taken as the
expected digest, which the engine checks while scanning) and the git blob SHA-1 for the others (checked
here for small files). Only ``download=True`` touches the network, through ``snapshot_download``; the
result is then resolved from the cache exactly like an offline target.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path

from ..core.findings import Check, Finding, Severity, WeighbridgeError
from ..core.report import Snapshot, SnapshotFile, Target, TargetKind
from ..core.rules import define, make_finding
from .local import SPECIAL_FILE, UNREADABLE_ENTRY, can_open, os_reason, special_kind, walk_tree

DIGEST_SOURCE = "hf-cache blob name"
GIT_VERIFY_LIMIT = 10 * 1024 * 1024  # git blob SHA-1s are checked for files below this size

GIT_BLOB_MISMATCH = define(
    "WB-SRC-010",
    Check.INTEGRITY,
    Severity.CRITICAL,
    "Cached file does not match its git blob hash",
    "The Hugging Face cache names this blob by its git blob SHA-1, and the bytes on disk hash to something "
    "else: the file was changed after it was downloaded.",
)
MISSING_BLOB = define(
    "WB-SRC-011",
    Check.INTEGRITY,
    Severity.CRITICAL,
    "Cached file points to a missing blob",
    "A snapshot entry of the Hugging Face cache links to a blob that is not there: the model on disk is "
    "incomplete or was tampered with.",
)
LINK_OUTSIDE_BLOBS = define(
    "WB-SRC-012",
    Check.INTEGRITY,
    Severity.HIGH,
    "Cached file links outside the blob store",
    "The Hugging Face cache always links snapshot files to its own blobs folder. This one leads elsewhere, "
    "so its content is not what was downloaded and has no digest to be checked against.",
)
UNKNOWN_BLOB_NAME = define(
    "WB-SRC-013",
    Check.INTEGRITY,
    Severity.MEDIUM,
    "Cached blob name is not a digest",
    "The blob's name is neither a SHA-256 nor a git SHA-1, so the file cannot be checked against what the "
    "Hub served.",
)
GIT_BLOB_UNVERIFIED = define(
    "WB-SRC-014",
    Check.INTEGRITY,
    Severity.INFO,
    "Large git blob not verified",
    "The file is stored in git (not LFS) and is larger than the size up to which Weighbridge recomputes "
    "git blob hashes, so its digest was not checked.",
)
PLAIN_SNAPSHOT_FILE = define(
    "WB-SRC-015",
    Check.INTEGRITY,
    Severity.LOW,
    "Cached file is not backed by a blob",
    "A snapshot entry is a plain file instead of a link into the blob store (caches made without symbolic "
    "links, or edited by hand), so there is no digest to check it against.",
)

_REPO_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_HEX = re.compile(r"[0-9a-fA-F]+")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SHA1 = re.compile(r"[0-9a-f]{40}")


def hub_cache_dir() -> Path:
    """Where huggingface_hub keeps its cache, read from the environment at call time."""
    explicit = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE")
    if explicit:
        return _expand(explicit)
    home = os.environ.get("HF_HOME")
    if home:
        return _expand(home) / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return _expand(xdg) / "huggingface" / "hub"


def _expand(path: str) -> Path:
    return Path(os.path.expanduser(os.path.expandvars(path)))


def parse_hf_spec(spec: str) -> tuple[str, str | None]:
    """``hf:org/name@rev`` → ``("org/name", "rev")``; the revision is None when not given."""
    body = spec[len("hf:") :] if spec.startswith("hf:") else spec
    repo_id, at, revision = body.partition("@")
    parts = repo_id.split("/")
    if not 1 <= len(parts) <= 2 or not all(
        _REPO_PART.fullmatch(p) and ".." not in p and "--" not in p for p in parts
    ):
        raise WeighbridgeError(f"not a Hugging Face model id: {spec!r} (expected hf:org/name[@revision])")
    if at and not _valid_revision(revision):
        raise WeighbridgeError(f"not a valid revision in {spec!r}: {revision!r}")
    return repo_id, (revision if at else None)


def _valid_revision(revision: str) -> bool:
    parts = revision.split("/")
    return all(p not in ("", ".", "..") and "\\" not in p and "\0" not in p for p in parts)


def resolve_hf(spec: str, *, download: bool = False) -> Snapshot:
    repo_id, revision = parse_hf_spec(spec)
    cache = hub_cache_dir()
    if download:
        _download(repo_id, revision, cache)
    repo_dir = cache / ("models--" + repo_id.replace("/", "--"))
    rev = revision or "main"
    commit = _find_commit(repo_dir, rev)
    if commit is None:
        raise WeighbridgeError(
            f"hf:{repo_id}@{rev} is not in the local Hugging Face cache ({cache}); "
            "pass --download to fetch it"
        )
    snapshot_dir = repo_dir / "snapshots" / commit
    files: list[SnapshotFile] = []
    notes: list[Finding] = []
    _walk(str(snapshot_dir), "", os.path.realpath(repo_dir / "blobs"), files, notes)
    files.sort(key=lambda f: f.rel)
    notes.sort(key=lambda f: f.path)
    target = Target(input=spec, kind=TargetKind.HF, path=str(snapshot_dir), revision=commit)
    return Snapshot(target=target, root=str(snapshot_dir), files=tuple(files), notes=tuple(notes))


def _download(repo_id: str, revision: str | None, cache: Path) -> None:
    import huggingface_hub

    try:
        huggingface_hub.snapshot_download(repo_id, revision=revision, cache_dir=str(cache))
    except Exception as exc:  # any hub or network failure is one clear line for the user
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WeighbridgeError(f"could not download hf:{repo_id}@{revision or 'main'}: {first}") from None


def _find_commit(repo_dir: Path, rev: str) -> str | None:
    """The snapshot folder name for a branch, tag, or full or abbreviated commit; None if not cached."""
    snapshots = repo_dir / "snapshots"
    ref = repo_dir / "refs" / rev
    if ref.is_file():
        try:
            commit = ref.read_text(encoding="ascii", errors="replace").strip()
        except OSError as exc:
            raise WeighbridgeError(f"cannot read {ref}: {os_reason(exc)}") from None
        if not _SHA1.fullmatch(commit):
            raise WeighbridgeError(f"cache ref {ref} does not hold a commit hash")
        return commit if (snapshots / commit).is_dir() else None
    if not (7 <= len(rev) <= 40 and _HEX.fullmatch(rev)):
        return None
    try:
        names = [p.name for p in snapshots.iterdir() if p.is_dir()]
    except OSError:
        return None
    matches = sorted(n for n in names if n.startswith(rev.lower()))
    if len(matches) > 1:
        raise WeighbridgeError(f"revision {rev} is ambiguous in the cache: {', '.join(matches)}")
    return matches[0] if matches else None


def _walk(folder: str, prefix: str, blobs: str, files: list[SnapshotFile], notes: list[Finding]) -> None:
    def on_file(path: str, rel: str, mode: int) -> None:
        if _regular(path, rel, mode, notes):
            notes.append(make_finding(PLAIN_SNAPSHOT_FILE, rel, "plain file in the snapshot folder"))
            files.append(SnapshotFile(rel=rel, abspath=path))

    walk_tree(
        folder,
        prefix,
        notes,
        what="snapshot folder",
        on_file=on_file,
        on_link=lambda path, rel: _link(path, rel, blobs, files, notes),
    )


def _link(path: str, rel: str, blobs: str, files: list[SnapshotFile], notes: list[Finding]) -> None:
    pointee = os.readlink(path)
    joined = os.path.join(os.path.dirname(path), pointee)
    in_blobs = os.path.realpath(os.path.dirname(joined)) == blobs
    try:
        st = os.stat(path)
    except OSError as exc:
        rule = MISSING_BLOB if in_blobs else LINK_OUTSIDE_BLOBS
        notes.append(
            make_finding(rule, rel, f"link to {pointee!r} leads nowhere: {os_reason(exc)}", evidence=pointee)
        )
        return
    if not in_blobs:
        notes.append(
            make_finding(
                LINK_OUTSIDE_BLOBS, rel, f"link to {pointee!r} leaves the blob store", evidence=pointee
            )
        )
        if stat.S_ISDIR(st.st_mode) or _regular(path, rel, st.st_mode, notes):
            files.append(SnapshotFile(rel=rel, abspath=path))
        return
    if not _regular(path, rel, st.st_mode, notes):
        return
    name = os.path.basename(joined)
    if _SHA256.fullmatch(name):
        files.append(SnapshotFile(rel=rel, abspath=path, expected_sha256=name, digest_source=DIGEST_SOURCE))
        return
    files.append(SnapshotFile(rel=rel, abspath=path))
    if not _SHA1.fullmatch(name):
        notes.append(
            make_finding(UNKNOWN_BLOB_NAME, rel, f"blob {name!r} is not named by a digest", evidence=pointee)
        )
    elif st.st_size >= GIT_VERIFY_LIMIT:
        notes.append(
            make_finding(
                GIT_BLOB_UNVERIFIED,
                rel,
                f"git blob {name} of {st.st_size} bytes was not re-hashed",
                evidence=name,
            )
        )
    else:
        actual = git_blob_sha1(path)
        if actual != name:
            notes.append(
                make_finding(
                    GIT_BLOB_MISMATCH,
                    rel,
                    f"blob {name} hashes to git SHA-1 {actual}",
                    evidence=f"expected {name}, got {actual}",
                )
            )


def _regular(path: str, rel: str, mode: int, notes: list[Finding]) -> bool:
    """True for a readable regular file; otherwise a note says why it is left out."""
    if not stat.S_ISREG(mode):
        notes.append(
            make_finding(SPECIAL_FILE, rel, f"{special_kind(mode) or 'not a regular file'}; not read")
        )
        return False
    error = can_open(path)
    if error is not None:
        notes.append(make_finding(UNREADABLE_ENTRY, rel, f"file could not be opened: {os_reason(error)}"))
        return False
    return True


def git_blob_sha1(path: str) -> str:
    """The git object id of a file's content: SHA-1 of ``b"blob <size>\\0"`` followed by the content."""
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        digest = hashlib.sha1(b"blob %d\0" % size, usedforsecurity=False)
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()
