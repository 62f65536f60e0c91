"""``weighbridge.lock``: a human-readable TOML file that pins a model's files.

It records the lock format, the tool version, the target as given, the resolved source kind, the revision
(Hugging Face commit or Ollama tag when known), the OMS-style manifest root digest, and for every file its
path, size and SHA-256. ``mtime_ns`` is recorded too but is **advisory**: ``verify`` trusts a file whose size
and mtime still match without re-reading it only when asked to (``verify --quick``); by default every file is
re-hashed. Files are sorted
by path and keys are written in a fixed order, so locking the same bytes twice writes the same text (only
``mtime_ns`` depends on the copy on disk).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..core.findings import WeighbridgeError
from ..core.registry import FileDigest
from ..core.report import Snapshot, TargetKind
from ..sources import resolve
from . import toml_writer
from .files import digest_of, hash_file, present_files
from .manifest import manifest_digest

LOCK_FORMAT = 1
DEFAULT_LOCK_NAME = "weighbridge.lock"
_HEADER = (
    "# weighbridge lockfile: pins every file of a model by size and SHA-256.\n"
    "# mtime_ns is advisory: `weighbridge verify` re-hashes every file; only `weighbridge verify --quick`\n"
    "# trusts a file whose size and mtime_ns match without reading it.\n"
)


@dataclass(frozen=True)
class LockedFile:
    path: str
    size: int
    sha256: str
    mtime_ns: int | None = None  # advisory

    @property
    def digest(self) -> FileDigest:
        return FileDigest(self.path, self.size, self.sha256)


@dataclass(frozen=True)
class Lockfile:
    target: str
    source: str  # file | folder | hf | ollama
    revision: str | None
    manifest_digest: str
    files: tuple[LockedFile, ...]
    tool_version: str = __version__
    format: int = LOCK_FORMAT

    @property
    def digests(self) -> tuple[FileDigest, ...]:
        return tuple(f.digest for f in self.files)


def create_lock(
    target: str,
    *,
    download: bool = False,
    exclude: Iterable[str] = (),
    hasher: Callable[[str], str] | None = None,
) -> Lockfile:
    """Resolve ``target`` and hash every file. Unpinnable entries (links to folders, dangling links, special
    or unreadable files) are refused: a lock must cover everything a loader could read."""
    snapshot = resolve(target, download=download)
    present, bad = present_files(snapshot, exclude=exclude)
    if bad:
        raise WeighbridgeError(f"cannot pin {bad[0].rel}: {bad[0].reason}")
    if not present:
        raise WeighbridgeError(f"nothing to pin: {target} has no files")
    files = tuple(LockedFile(p.rel, p.size, digest_of(p, hasher), p.mtime_ns) for p in present)
    return Lockfile(
        target=target,
        source=snapshot.target.kind.value,
        revision=_revision(snapshot),
        manifest_digest=manifest_digest((f.path, f.sha256) for f in files),
        files=files,
    )


def _revision(snapshot: Snapshot) -> str | None:
    """The HF commit; for Ollama the tag and the digest of its manifest (what ``ollama list`` shows as ID)."""
    target = snapshot.target
    if target.kind is TargetKind.OLLAMA:
        try:
            return f"{target.revision}@sha256:{hash_file(target.path)}"
        except OSError as exc:
            raise WeighbridgeError(
                f"cannot read the Ollama manifest {target.path}: {exc.strerror or exc}"
            ) from None
    return target.revision


def dumps(lock: Lockfile) -> str:
    head: dict[str, Any] = {
        "lock_format": lock.format,
        "tool": "weighbridge",
        "tool_version": lock.tool_version,
    }
    target: dict[str, Any] = {"input": lock.target, "source": lock.source}
    if lock.revision is not None:
        target["revision"] = lock.revision
    target["manifest_algorithm"] = "sha256"
    target["manifest_digest"] = lock.manifest_digest
    files = []
    for f in sorted(lock.files, key=lambda f: f.path):
        entry: dict[str, Any] = {"path": f.path, "size": f.size, "sha256": f.sha256}
        if f.mtime_ns is not None:
            entry["mtime_ns"] = f.mtime_ns
        files.append(entry)
    try:
        return _HEADER + toml_writer.dumps({**head, "target": target, "file": files})
    except UnicodeError as exc:  # a file name that is not valid UTF-8 (surrogate-escaped by the OS layer)
        raise WeighbridgeError(
            f"cannot write a file name that is not valid UTF-8 into the lock: {exc}"
        ) from None


def loads(text: str, *, where: str = "lockfile") -> Lockfile:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WeighbridgeError(f"{where} is not valid TOML: {exc}") from None
    fmt = doc.get("lock_format")
    if fmt != LOCK_FORMAT:
        raise WeighbridgeError(
            f"{where}: unsupported lock_format {fmt!r} (this weighbridge reads {LOCK_FORMAT})"
        )
    target = doc.get("target")
    if not isinstance(target, dict):
        raise WeighbridgeError(f"{where}: missing [target] table")
    files = doc.get("file", [])
    if not isinstance(files, list):
        raise WeighbridgeError(f"{where}: 'file' must be an array of tables ([[file]])")
    locked = tuple(_file(entry, i, where) for i, entry in enumerate(files))
    names = [f.path for f in locked]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise WeighbridgeError(f"{where}: file {dup!r} is listed twice")
    return Lockfile(
        target=_str(target, "input", where),
        source=_str(target, "source", where),
        revision=_opt_str(target, "revision", where),
        manifest_digest=_hex(target, "manifest_digest", where),
        files=tuple(sorted(locked, key=lambda f: f.path)),
        tool_version=str(doc.get("tool_version", "unknown")),
        format=LOCK_FORMAT,
    )


def write_lock(lock: Lockfile, path: str | os.PathLike[str]) -> None:
    text = dumps(lock)
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise WeighbridgeError(f"cannot write {os.fspath(path)}: {exc.strerror or exc}") from None


def read_lock(path: str | os.PathLike[str]) -> Lockfile:
    where = os.fspath(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise WeighbridgeError(f"no such lockfile: {where}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise WeighbridgeError(
            f"cannot read lockfile {where}: {getattr(exc, 'strerror', None) or exc}"
        ) from None
    return loads(text, where=where)


def _file(entry: Any, index: int, where: str) -> LockedFile:
    at = f"{where}: file #{index + 1}"
    if not isinstance(entry, dict):
        raise WeighbridgeError(f"{at} is not a table")
    size = entry.get("size")
    mtime = entry.get("mtime_ns")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise WeighbridgeError(f"{at}: 'size' must be a non-negative integer")
    if mtime is not None and (not isinstance(mtime, int) or isinstance(mtime, bool)):
        raise WeighbridgeError(f"{at}: 'mtime_ns' must be an integer")
    return LockedFile(_str(entry, "path", at), size, _hex(entry, "sha256", at), mtime)


def _str(table: dict[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value:
        raise WeighbridgeError(f"{where}: '{key}' must be a non-empty string")
    return value


def _opt_str(table: dict[str, Any], key: str, where: str) -> str | None:
    return None if table.get(key) is None else _str(table, key, where)


def _hex(table: dict[str, Any], key: str, where: str) -> str:
    value = _str(table, key, where).lower()
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise WeighbridgeError(f"{where}: '{key}' must be 64 hex digits (SHA-256)")
    return value
