"""The files of a target as lock, verify and the guard see them: relative name, size, mtime and, on demand,
SHA-256 (streamed, bounded memory).

Files are what ``weighbridge.sources`` resolves (``.git/`` is left out there). Entries that cannot be hashed —
a link to a folder, a dangling link, a fifo, an unreadable file — are *unpinnable*: lock refuses them and
verify reports them, because a loader may still read something there that nobody hashed.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..core.findings import WeighbridgeError
from ..core.report import Snapshot
from .manifest import is_signature
from .reader import sha256_file


@dataclass(frozen=True, slots=True)
class PresentFile:
    """A file on disk now. ``mtime_ns`` is of the file the name leads to (links are followed)."""

    rel: str
    abspath: str
    size: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class Unpinnable:
    rel: str
    reason: str


def hash_file(path: str) -> str:
    """SHA-256 hex of a file, streamed. The one place lock, verify and the guard read file bytes."""
    return sha256_file(path)


def present_files(
    snapshot: Snapshot, *, exclude: Iterable[str] = ()
) -> tuple[list[PresentFile], list[Unpinnable]]:
    """Stat every file of ``snapshot`` (sorted by name), leaving out the absolute paths in ``exclude`` and the
    model's signature files (they live beside the model: ``manifest.is_signature``)."""
    skip = {os.path.realpath(p) for p in exclude}
    names = {f.rel for f in snapshot.files}
    files: list[PresentFile] = []
    bad: list[Unpinnable] = [Unpinnable(n.path, n.detail) for n in snapshot.notes]
    for f in snapshot.files:
        if os.path.realpath(f.abspath) in skip or is_signature(f.rel, names):
            continue
        try:
            st = os.stat(f.abspath)
        except OSError as exc:
            bad.append(Unpinnable(f.rel, f"cannot be read: {exc.strerror or type(exc).__name__}"))
            continue
        if stat.S_ISDIR(st.st_mode):
            bad.append(Unpinnable(f.rel, f"symbolic link to a folder ({os.readlink(f.abspath)!r})"))
        elif not stat.S_ISREG(st.st_mode):
            bad.append(Unpinnable(f.rel, "not a regular file"))
        else:
            files.append(PresentFile(f.rel, f.abspath, st.st_size, st.st_mtime_ns))
    files.sort(key=lambda p: p.rel)
    bad.sort(key=lambda u: u.rel)
    return files, bad


def digest_of(file: PresentFile, hasher: Callable[[str], str] | None = None) -> str:
    """Hash ``file``; an OSError (vanished, permissions) becomes a one-line WeighbridgeError."""
    try:
        return (hasher or hash_file)(file.abspath)
    except OSError as exc:
        raise WeighbridgeError(f"cannot read {file.rel}: {exc.strerror or exc}") from None
