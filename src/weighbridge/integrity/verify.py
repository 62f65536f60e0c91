"""Re-check a model against what was pinned: a lockfile, or the files the registry admitted.

Every file is hashed by default. The quick path is an explicit opt-in (``quick=True``, ``verify --quick``): a
file whose size and ``mtime_ns`` both still match the lock is trusted without reading it. Its limit is that a
same-size edit followed by resetting the mtime (``touch -r``, ``os.utime``) goes unnoticed, which is why it is
never the default. Registry entries carry no mtimes, so checking against the registry always hashes
everything. Every added, removed or changed file is named.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..core.registry import FileChange, FileDigest, VerifyResult
from ..sources import resolve
from .files import PresentFile, Unpinnable, digest_of, present_files
from .lockfile import Lockfile, read_lock
from .manifest import is_signature, manifest_digest

Hasher = Callable[[str], str]


def compare(
    target: str,
    expected: Sequence[FileDigest],
    *,
    mtimes: Mapping[str, int] | None = None,
    quick: bool = False,
    download: bool = False,
    exclude: Iterable[str] = (),
    hasher: Hasher | None = None,
) -> VerifyResult:
    """Compare what ``target`` holds now with ``expected``, hashing every file. With ``quick``, ``mtimes`` (path
    → mtime_ns) lets a file whose size and mtime both match be trusted unread."""
    snapshot = resolve(target, download=download)
    present, bad = present_files(snapshot, exclude=exclude)
    return compare_present(target, present, bad, expected, mtimes=mtimes if quick else None, hasher=hasher)


def compare_present(
    target: str,
    present: Sequence[PresentFile],
    unpinnable: Sequence[Unpinnable],
    expected: Sequence[FileDigest],
    *,
    mtimes: Mapping[str, int] | None = None,
    hasher: Hasher | None = None,
) -> VerifyResult:
    names = {f.path for f in expected}
    pinned = {
        f.path: f for f in expected if not is_signature(f.path, names)
    }  # a version may list its signature
    changes: list[FileChange] = []
    entries: list[tuple[str, str]] = []
    hashed = 0
    for p in present:
        want = pinned.get(p.rel)
        if (
            want is not None
            and mtimes is not None
            and p.size == want.size
            and mtimes.get(p.rel) == p.mtime_ns
        ):
            entries.append((p.rel, want.sha256))  # fast path: trusted on size + mtime, not read
            continue
        actual = FileDigest(p.rel, p.size, digest_of(p, hasher))
        hashed += 1
        entries.append((p.rel, actual.sha256))
        if want is None:
            changes.append(FileChange(p.rel, "added", actual=actual))
        elif actual != want:
            changes.append(FileChange(p.rel, "changed", expected=want, actual=actual))
    for u in unpinnable:  # present but not hashable: never matches a pin
        changes.append(
            FileChange(u.rel, "changed" if u.rel in pinned else "added", expected=pinned.get(u.rel))
        )
    seen = {p.rel for p in present} | {u.rel for u in unpinnable}
    changes.extend(
        FileChange(path, "removed", expected=want) for path, want in pinned.items() if path not in seen
    )
    changes.sort(key=lambda c: c.path)
    digest = manifest_digest(entries) if not unpinnable else None
    return VerifyResult(
        target=target,
        changes=tuple(changes),
        checked_files=len(present) + len(unpinnable),
        hashed_files=hashed,
        manifest_digest=digest,
    )


def verify_lock(
    lock: Lockfile | str | os.PathLike[str],
    target: str | None = None,
    *,
    quick: bool = False,
    full: bool = False,
    download: bool = False,
    hasher: Hasher | None = None,
) -> VerifyResult:
    """Verify ``target`` (default: the target recorded in the lock) against a lockfile, hashing every file
    unless ``quick`` (size + mtime trusted). ``full`` is accepted for compatibility: hashing everything is the
    default, and it wins over ``quick``. A lockfile that lies inside the target folder is not counted as one of
    its files."""
    lock_path = None if isinstance(lock, Lockfile) else os.fspath(lock)
    loaded = lock if isinstance(lock, Lockfile) else read_lock(lock)
    mtimes = {f.path: f.mtime_ns for f in loaded.files if f.mtime_ns is not None}
    return compare(
        target if target is not None else loaded.target,
        loaded.digests,
        mtimes=mtimes,
        quick=quick and not full,
        download=download,
        exclude=[lock_path] if lock_path else [],
        hasher=hasher,
    )


def describe_change(change: FileChange) -> str:
    """One line per difference, e.g. ``changed: model.safetensors (sha256 3f2a…→9c1b…)``."""
    if change.change == "changed":
        want, got = change.expected, change.actual
        if got is None:
            return f"changed: {change.path} (can no longer be hashed)"
        if want is not None and want.size != got.size:
            return f"changed: {change.path} (size {want.size} → {got.size})"
        if want is not None:
            return f"changed: {change.path} (sha256 {want.sha256[:12]}… → {got.sha256[:12]}…)"
    if change.change == "added" and change.actual is None:
        return f"added: {change.path} (cannot be hashed)"
    return f"{change.change}: {change.path}"


def summary(result: VerifyResult) -> str:
    trusted = result.checked_files - result.hashed_files
    how = f"{result.hashed_files} hashed" + (f", {trusted} matched on size and mtime" if trusted else "")
    if result.ok:
        return f"OK: {result.target}: {result.checked_files} file(s) identical ({how})"
    return f"FAILED: {result.target}: {len(result.changes)} difference(s) in {result.checked_files} file(s) ({how})"


def result_to_dict(result: VerifyResult) -> dict[str, Any]:
    def digest(d: FileDigest | None) -> dict[str, Any] | None:
        return d.to_dict() if d is not None else None

    return {
        "schema": "weighbridge.verify/1",
        "target": result.target,
        "ok": result.ok,
        "checked_files": result.checked_files,
        "hashed_files": result.hashed_files,
        "manifest_digest": result.manifest_digest,
        "changes": [
            {"path": c.path, "change": c.change, "expected": digest(c.expected), "actual": digest(c.actual)}
            for c in result.changes
        ],
    }
