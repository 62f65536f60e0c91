"""The bundle's tar layer: write members with their sizes and digests known up front, read a bundle as a stream
and stage every member only after checking it against the index.

Layout (plain POSIX/PAX tar, deterministic headers)::

    weighbridge-bundle.json          the index: models, and every other member with size and SHA-256
    records/<n>.json                 the exporting registry's record of model n (for the audit trail)
    locks/<n>.lock                   model n's lockfile
    signatures/<n>.sig               model n's OpenSSF model signature, when one was found
    blobs/sha256/<hex>               file contents, once per distinct digest

Reading never uses a member's name as a path: a member is accepted only if its name is listed in the index
(whose names match a fixed grammar), it is a regular file, its size is the listed size and its bytes hash to
the listed digest; it is staged under a name the reader makes. Anything else — a changed byte, an extra,
missing or repeated member, a link, a device, a directory — stops the import with one line (``BundleError``).
Memory stays bounded: members are copied in 1 MiB chunks; only the index (capped) is held whole.
"""

from __future__ import annotations

import hashlib
import json
import re
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from ..core.bundle import BUNDLE_SCHEMA, INDEX_NAME, BundleError, BundleIndex, BundleMember, BundleModel
from ..core.registry import FileDigest

CHUNK = 1024 * 1024
INDEX_LIMIT = 16 * 1024 * 1024
MAX_MEMBERS = 200_000
MEMBER_NAME = re.compile(
    r"(records/[0-9]{1,6}\.json|locks/[0-9]{1,6}\.lock|signatures/[0-9]{1,6}\.sig"
    r"|blobs/sha256/[0-9a-f]{64})"
)
_HEX = re.compile(r"[0-9a-f]{64}")


def blob_member(sha256: str) -> str:
    return f"blobs/sha256/{sha256}"


# --- writing ---


class _HashingReader:
    """Reads exactly what tarfile asks for from ``source`` while hashing it."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.hash = hashlib.sha256()
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.hash.update(data)
        self.count += len(data)
        return data


class BundleWriter:
    """A streaming tar writer (``w|``): headers carry no owner, mode 0644 and one fixed mtime, so the same
    content always gives the same archive."""

    def __init__(self, fileobj: IO[bytes], *, mtime: int = 0) -> None:
        self.tar = tarfile.open(  # noqa: SIM115 (closed by close())
            fileobj=fileobj, mode="w|", format=tarfile.PAX_FORMAT, bufsize=CHUNK
        )
        self.mtime = mtime

    def _info(self, name: str, size: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode, info.type = size, self.mtime, 0o644, tarfile.REGTYPE
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    def add_bytes(self, name: str, data: bytes) -> None:
        import io

        self.tar.addfile(self._info(name, len(data)), io.BytesIO(data))

    def add_stream(self, name: str, member: BundleMember, source: IO[bytes], what: str) -> None:
        """Copy ``member.size`` bytes of ``source`` into the archive; raise ``BundleError`` if they are short or
        do not hash to ``member.sha256`` (the archive is then unusable and must be discarded)."""
        reader = _HashingReader(source)
        try:
            self.tar.addfile(self._info(name, member.size), reader)
        except OSError:  # tarfile: "unexpected end of data" when the file shrank
            raise BundleError(
                f"{what}: shorter than the {member.size} bytes recorded at admission (changed "
                "since); nothing exported"
            ) from None
        if reader.hash.hexdigest() != member.sha256:
            raise BundleError(
                f"{what}: its bytes no longer hash to the recorded sha256:{member.sha256[:12]}… "
                "(changed since admission); nothing exported"
            )

    def close(self) -> None:
        self.tar.close()

    def abort(self) -> None:
        """Drop the archive without writing its end: the caller deletes the partial file."""
        setattr(self.tar, "closed", True)  # noqa: B010 (not in the stubs)
        stream = self.tar.fileobj
        if stream is not None and hasattr(stream, "closed"):
            stream.closed = True


def index_bytes(index: BundleIndex) -> bytes:
    return json.dumps(index.to_dict(), indent=1, sort_keys=True).encode("utf-8")


# --- reading ---


@dataclass(frozen=True)
class StagedBundle:
    """A bundle whose every member was checked and copied into ``root``."""

    index: BundleIndex
    root: Path

    def blob(self, sha256: str) -> Path:
        return self.root / "blobs" / sha256

    def meta(self, member: str) -> Path:
        return self.root / "meta" / member.replace("/", "_")


def read_bundle(fileobj: IO[bytes], staging: Path) -> StagedBundle:
    """Read a bundle stream (plain or compressed tar) into ``staging``; ``BundleError`` on anything that is not
    exactly what the index lists."""
    (staging / "blobs").mkdir(parents=True, exist_ok=True)
    (staging / "meta").mkdir(parents=True, exist_ok=True)
    try:
        tar = tarfile.open(fileobj=fileobj, mode="r|*", bufsize=CHUNK)  # noqa: SIM115 (closed below)
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise BundleError(f"not a bundle (not a readable tar archive): {_one_line(exc)}") from None
    try:
        return _read(tar, staging)
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise BundleError(f"unreadable bundle (truncated or corrupt archive): {_one_line(exc)}") from None
    finally:
        tar.close()


def _read(tar: tarfile.TarFile, staging: Path) -> StagedBundle:
    members = _members(tar)
    first = next(members, None)
    if first is None:
        raise BundleError("empty archive: no weighbridge-bundle.json")
    if first.name != INDEX_NAME:
        raise BundleError(f"not a weighbridge bundle: the first member is {first.name!r}, not {INDEX_NAME}")
    _regular(first)
    if first.size > INDEX_LIMIT:
        raise BundleError(f"{INDEX_NAME} is larger than {INDEX_LIMIT} bytes")
    index = parse_index(_read_all(tar, first))
    expected = {m.name: m for m in index.members}
    seen: set[str] = set()
    for member in members:
        if member.name in seen or member.name == INDEX_NAME:
            raise BundleError(f"member {member.name!r} appears twice in the archive")
        listed = expected.get(member.name)
        if listed is None:
            raise BundleError(f"extra member {member.name!r} is not listed in {INDEX_NAME}")
        _regular(member)
        if member.size != listed.size:
            raise BundleError(f"member {member.name}: {member.size} bytes, the index lists {listed.size}")
        target = (
            staging / "blobs" / member.name.rsplit("/", 1)[1]
            if member.name.startswith("blobs/")
            else staging / "meta" / member.name.replace("/", "_")
        )
        _copy_checked(tar, member, listed, target)
        seen.add(member.name)
    missing = [name for name in expected if name not in seen]
    if missing:
        raise BundleError(
            f"member {missing[0]} listed in {INDEX_NAME} is missing from the archive"
            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
        )
    return StagedBundle(index=index, root=staging)


def _members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    count = 0
    while True:
        member = tar.next()
        if member is None:
            return
        count += 1
        if count > MAX_MEMBERS:
            raise BundleError(f"more than {MAX_MEMBERS} members")
        yield member


def _regular(member: tarfile.TarInfo) -> None:
    if member.type not in (tarfile.REGTYPE, tarfile.AREGTYPE):
        kind = (
            "a symbolic link"
            if member.issym()
            else "a hard link"
            if member.islnk()
            else "a directory"
            if member.isdir()
            else "a device or fifo"
            if member.isdev()
            else f"of tar type {member.type!r}"
        )
        raise BundleError(f"member {member.name!r} is {kind}; a bundle holds only regular files")


def _read_all(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle = tar.extractfile(member)
    if handle is None:  # pragma: no cover - regular files always have data
        raise BundleError(f"member {member.name} has no data")
    data = handle.read(member.size + 1)
    if len(data) != member.size:
        raise BundleError(f"member {member.name} is truncated")
    return data


def _copy_checked(tar: tarfile.TarFile, member: tarfile.TarInfo, listed: BundleMember, target: Path) -> None:
    handle = tar.extractfile(member)
    if handle is None:  # pragma: no cover
        raise BundleError(f"member {member.name} has no data")
    digest = hashlib.sha256()
    done = 0
    with open(target, "wb") as out:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
            done += len(chunk)
    if done != listed.size:
        raise BundleError(f"member {member.name} is truncated ({done} of {listed.size} bytes)")
    if digest.hexdigest() != listed.sha256:
        target.unlink(missing_ok=True)
        raise BundleError(
            f"member {member.name} was changed: its bytes hash to sha256:{digest.hexdigest()[:12]}…, "
            f"the index lists sha256:{listed.sha256[:12]}…"
        )


# --- the index ---


def parse_index(raw: bytes) -> BundleIndex:
    """Validate the index strictly: every name, digest, size and path."""
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BundleError(f"{INDEX_NAME} is not valid JSON: {_one_line(exc)}") from None
    if not isinstance(doc, dict):
        raise BundleError(f"{INDEX_NAME} is not a JSON object")
    if doc.get("schema") != BUNDLE_SCHEMA:
        raise BundleError(
            f"{INDEX_NAME}: unsupported schema {doc.get('schema')!r} (this weighbridge reads {BUNDLE_SCHEMA})"
        )
    raw_members = _list(doc, "members", INDEX_NAME)
    members = tuple(_member(item, i) for i, item in enumerate(raw_members))
    by_name = {m.name: m for m in members}
    if len(by_name) != len(members):
        raise BundleError(f"{INDEX_NAME}: a member is listed twice")
    models = tuple(_model(item, i, by_name) for i, item in enumerate(_list(doc, "models", INDEX_NAME)))
    if not models:
        raise BundleError(f"{INDEX_NAME}: the bundle holds no model")
    used = {blob_member(f.sha256) for m in models for f in m.files}
    used |= {m.record for m in models} | {m.lock for m in models}
    used |= {m.signature for m in models if m.signature is not None}
    unused = sorted(set(by_name) - used)
    if unused:
        raise BundleError(f"{INDEX_NAME}: member {unused[0]} is listed but belongs to no model")
    return BundleIndex(
        models=models,
        members=members,
        tool_version=_text(doc, "tool_version", INDEX_NAME),
        created_at=_text(doc, "created_at", INDEX_NAME),
    )


def _member(item: Any, i: int) -> BundleMember:
    where = f"{INDEX_NAME}: member #{i + 1}"
    if not isinstance(item, dict):
        raise BundleError(f"{where} is not an object")
    name = _text(item, "name", where)
    if not MEMBER_NAME.fullmatch(name):
        raise BundleError(f"{where}: name {name!r} is not a bundle member name")
    sha = _sha(item, "sha256", where)
    if name.startswith("blobs/") and name.rsplit("/", 1)[1] != sha:
        raise BundleError(f"{where}: blob {name} is listed with another digest")
    return BundleMember(name=name, size=_size(item, "size", where), sha256=sha)


def _model(item: Any, i: int, members: dict[str, BundleMember]) -> BundleModel:
    where = f"{INDEX_NAME}: model #{i + 1}"
    if not isinstance(item, dict):
        raise BundleError(f"{where} is not an object")
    files: list[FileDigest] = []
    for j, entry in enumerate(_list(item, "files", where)):
        at = f"{where}, file #{j + 1}"
        if not isinstance(entry, dict):
            raise BundleError(f"{at} is not an object")
        path = safe_relpath(_text(entry, "path", at), at)
        digest = FileDigest(path=path, size=_size(entry, "size", at), sha256=_sha(entry, "sha256", at))
        blob = members.get(blob_member(digest.sha256))
        if blob is None or blob.size != digest.size:
            raise BundleError(f"{at}: {path} has no blob of {digest.size} bytes in the bundle")
        files.append(digest)
    if not files:
        raise BundleError(f"{where}: no files")
    paths = [f.path for f in files]
    if len(set(paths)) != len(paths) or _prefix_clash(paths):
        raise BundleError(f"{where}: its file paths repeat or one is a folder of another")
    refs: dict[str, str | None] = {}
    for key in ("record", "lock", "signature"):
        value = item.get(key)
        if value is None and key == "signature":
            refs[key] = None
            continue
        if not isinstance(value, str) or value not in members:
            raise BundleError(f"{where}: {key} names no listed member")
        refs[key] = value
    revision = item.get("revision")
    if revision is not None and not isinstance(revision, str):
        raise BundleError(f"{where}: revision must be a string")
    record, lock = refs["record"], refs["lock"]
    assert record is not None and lock is not None
    return BundleModel(
        name=_text(item, "name", where),
        source=_text(item, "source", where),
        revision=revision,
        manifest_digest=_sha(item, "manifest_digest", where),
        files=tuple(files),
        record=record,
        lock=lock,
        signature=refs["signature"],
    )


def safe_relpath(path: str, where: str) -> str:
    """A model file path that stays inside its folder: relative, ``/``-separated, no ``.``/``..``/empty parts,
    no backslash or control character."""
    parts = path.split("/")
    if (
        not path
        or len(path) > 1024
        or path.startswith("/")
        or "\\" in path
        or any(ord(c) < 32 or ord(c) == 127 for c in path)
        or any(part in ("", ".", "..") for part in parts)
        or PurePosixPath(path).is_absolute()
    ):
        raise BundleError(f"{where}: unsafe file path {path!r}")
    return path


def _prefix_clash(paths: list[str]) -> bool:
    names = set(paths)
    return any("/".join(p.split("/")[:k]) in names for p in paths for k in range(1, p.count("/") + 1))


def _list(doc: dict[str, Any], key: str, where: str) -> list[Any]:
    value = doc.get(key)
    if not isinstance(value, list):
        raise BundleError(f"{where}: '{key}' must be a list")
    return value


def _text(doc: dict[str, Any], key: str, where: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value or len(value) > 4096:
        raise BundleError(f"{where}: '{key}' must be a non-empty string")
    return value


def _sha(doc: dict[str, Any], key: str, where: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not _HEX.fullmatch(value):
        raise BundleError(f"{where}: '{key}' must be 64 lower-case hex digits")
    return value


def _size(doc: dict[str, Any], key: str, where: str) -> int:
    value = doc.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BundleError(f"{where}: '{key}' must be a byte count")
    return value


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
