"""Resolve a local file or folder into a Snapshot, without following links into directories.

A folder lists every regular file and symbolic link below it (sorted, ``/``-separated relative names), except
what lives in ``.git/``. Links are listed as links: a link to a directory is one entry, so the repository
checker can judge where it leads. Whatever cannot be listed safely becomes a note finding: dangling links,
unreadable entries, and special files (a fifo would hang whoever reads it; its content can change between
the scan and the load).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable

from ..core.findings import Check, Finding, Severity, WeighbridgeError
from ..core.report import Snapshot, SnapshotFile, Target, TargetKind
from ..core.rules import define, make_finding
from .oci import with_blob_digests

DANGLING_LINK = define(
    "WB-SRC-001",
    Check.INTEGRITY,
    Severity.MEDIUM,
    "Dangling symbolic link",
    "A symbolic link in the model folder points to nothing (or to a loop of links). A file the model "
    "expects is missing, or the link is meant to be completed later with content nobody inspected.",
)
UNREADABLE_ENTRY = define(
    "WB-SRC-002",
    Check.INTEGRITY,
    Severity.HIGH,
    "Entry cannot be read",
    "A file or folder of the model could not be read, so it was not inspected. A loader running with "
    "other permissions may still read it.",
)
SPECIAL_FILE = define(
    "WB-SRC-003",
    Check.INTEGRITY,
    Severity.HIGH,
    "Special file in model folder",
    "A fifo, socket or device sits where a model file would. It was not read: its content is produced at "
    "read time, so what a loader gets can differ from anything a scanner saw.",
)

_SPECIAL_KINDS = {
    stat.S_IFIFO: "a fifo",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


def special_kind(mode: int) -> str | None:
    """``"a fifo"`` and the like for special files, None for regular files, folders and links."""
    return _SPECIAL_KINDS.get(stat.S_IFMT(mode))


def can_open(path: str) -> OSError | None:
    """Try to open a regular file for reading; the error if that fails. Never call it on special files."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        return exc
    os.close(fd)
    return None


def resolve_local(spec: str) -> Snapshot:
    path = os.path.abspath(os.path.expanduser(spec))
    if not os.path.lexists(path):
        raise WeighbridgeError(f"no such file or folder: {spec}")
    try:
        st = os.stat(path)
    except OSError as exc:
        raise WeighbridgeError(f"cannot read {spec}: {os_reason(exc)}") from None
    if stat.S_ISDIR(st.st_mode):
        return _resolve_folder(spec, path)
    if not stat.S_ISREG(st.st_mode):
        raise WeighbridgeError(
            f"not a regular file or folder: {spec} is {special_kind(st.st_mode) or 'special'}"
        )
    error = can_open(path)
    if error is not None:
        raise WeighbridgeError(f"cannot read {spec}: {os_reason(error)}")
    target = Target(input=spec, kind=TargetKind.FILE, path=path)
    name = os.path.basename(path)
    return Snapshot(target=target, root=os.path.dirname(path), files=(SnapshotFile(rel=name, abspath=path),))


def _resolve_folder(spec: str, root: str) -> Snapshot:
    files: list[SnapshotFile] = []
    notes: list[Finding] = []
    _walk(root, "", files, notes)
    files = with_blob_digests(files)  # OCI layouts: blob names are their SHA-256
    files.sort(key=lambda f: f.rel)
    notes.sort(key=lambda f: f.path)
    target = Target(input=spec, kind=TargetKind.FOLDER, path=root)
    return Snapshot(target=target, root=root, files=tuple(files), notes=tuple(notes))


def walk_tree(
    folder: str,
    prefix: str,
    notes: list[Finding],
    *,
    on_link: Callable[[str, str], None],
    on_file: Callable[[str, str, int], None],
    skip_dirs: frozenset[str] = frozenset(),
    what: str = "folder",
) -> None:
    """Visit ``folder`` in name order without following links: ``on_link(path, rel)`` for symlinks,
    ``on_file(path, rel, mode)`` for everything else that is not a folder. Unlistable folders and entries
    that cannot be examined become notes."""
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        notes.append(
            make_finding(
                UNREADABLE_ENTRY, prefix.rstrip("/") or ".", f"{what} could not be listed: {os_reason(exc)}"
            )
        )
        return
    for entry in entries:
        rel = prefix + entry.name
        try:
            if entry.is_symlink():
                on_link(entry.path, rel)
            elif entry.is_dir(follow_symlinks=False):
                if entry.name not in skip_dirs:
                    walk_tree(
                        entry.path,
                        rel + "/",
                        notes,
                        on_link=on_link,
                        on_file=on_file,
                        skip_dirs=skip_dirs,
                        what=what,
                    )
            else:
                on_file(entry.path, rel, entry.stat(follow_symlinks=False).st_mode)
        except OSError as exc:
            notes.append(
                make_finding(UNREADABLE_ENTRY, rel, f"entry could not be examined: {os_reason(exc)}")
            )


def _walk(folder: str, prefix: str, files: list[SnapshotFile], notes: list[Finding]) -> None:
    walk_tree(
        folder,
        prefix,
        notes,
        skip_dirs=frozenset({".git"}),
        on_link=lambda path, rel: _link(path, rel, files, notes),
        on_file=lambda path, rel, mode: _plain(path, rel, mode, files, notes),
    )


def _link(path: str, rel: str, files: list[SnapshotFile], notes: list[Finding]) -> None:
    pointee = os.readlink(path)
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        notes.append(
            make_finding(
                DANGLING_LINK,
                rel,
                f"symbolic link to {pointee!r} leads nowhere: {os_reason(exc)}",
                evidence=pointee,
            )
        )
        return
    if stat.S_ISDIR(mode):
        files.append(SnapshotFile(rel=rel, abspath=path))
        return
    _plain(path, rel, mode, files, notes, via=pointee)


def _plain(
    path: str, rel: str, mode: int, files: list[SnapshotFile], notes: list[Finding], via: str | None = None
) -> None:
    kind = special_kind(mode)
    through = f" (through a link to {via!r})" if via is not None else ""
    if kind is not None:
        notes.append(make_finding(SPECIAL_FILE, rel, f"{kind}{through}; not read", evidence=via))
        return
    if not stat.S_ISREG(mode):
        notes.append(make_finding(SPECIAL_FILE, rel, f"not a regular file{through}; not read", evidence=via))
        return
    error = can_open(path)
    if error is not None:
        notes.append(
            make_finding(
                UNREADABLE_ENTRY, rel, f"file could not be opened{through}: {os_reason(error)}", evidence=via
            )
        )
        return
    files.append(SnapshotFile(rel=rel, abspath=path))


def os_reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__
