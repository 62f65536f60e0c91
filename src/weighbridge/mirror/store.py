"""The mirror's content-addressed blob store on disk.

    root/blobs/sha256/<hh>/<digest>    served bytes, named by their SHA-256 (read-only files)
    root/quarantine/                   everything not yet checked: ingest temporaries, intake downloads

Both live under one root, so a checked file moves into ``blobs/`` with one atomic ``rename`` on the same
filesystem: a reader sees a blob whole or not at all, and a crash leaves at most a temporary in
``quarantine/`` (never a partial blob). Ingest streams in fixed-size chunks while hashing, so memory stays
flat whatever the file's size.

Serve-time check (``BlobStore.check``): the registry keeps, per blob, the size, inode and mtime taken when its
hash was last computed. A request ``stat``s the blob (microseconds): a size change is corruption at once; an
inode or mtime change triggers a full re-hash right then (the request waits), after which the blob is either
re-recorded or flagged. Changes that keep size, inode and mtime (a deliberate in-place rewrite that restores
the mtime) are caught by the full re-hash of ``verify`` (``weighbridge mirror verify``, and the periodic
verifier of ``mirror serve --verify-every``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..core.findings import WeighbridgeError
from ..core.mirror import BlobRecord, StoredBlob

CHUNK = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")


class StoreError(WeighbridgeError):
    """The store cannot take or give a blob: bad digest, bytes that do not match, a cap exceeded, I/O."""


def default_root() -> Path:
    """``$WEIGHBRIDGE_MIRROR_STORE`` or ``$WEIGHBRIDGE_HOME/mirror``."""
    configured = os.environ.get("WEIGHBRIDGE_MIRROR_STORE")
    if configured:
        return Path(configured).expanduser()
    from ..registry.db import home

    return home() / "mirror"


def digest(value: str) -> str:
    """A lower-case SHA-256 hex digest (``sha256:`` prefix allowed); ``StoreError`` otherwise."""
    if not isinstance(value, str):
        raise StoreError("a blob digest must be a string")
    cleaned = value.strip().lower().removeprefix("sha256:")
    if not _SHA256.fullmatch(cleaned):
        raise StoreError(f"malformed SHA-256 digest {value[:80]!r}")
    return cleaned


def existing_store(root: Path | str | None = None) -> BlobStore | None:
    """The store at ``root`` (default: the configured one) if it was ever created, else ``None`` (for readers
    such as the dashboard, which must not create one)."""
    path = Path(root).expanduser() if root is not None else default_root()
    if not (path / "blobs" / "sha256").is_dir():
        return None
    try:
        return BlobStore(path)
    except StoreError:
        return None


@dataclass(frozen=True)
class CheckResult:
    """What a serve-time check found: ``ok``, the (possibly refreshed) record, and why not when not ok."""

    ok: bool
    record: BlobRecord | None
    rehashed: bool
    problem: str | None = None
    missing: bool = False


class BlobStore:
    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else default_root()
        self.blobs = self.root / "blobs" / "sha256"
        self.quarantine = self.root / "quarantine"
        try:
            self.blobs.mkdir(parents=True, exist_ok=True)
            self.quarantine.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the mirror store at {self.root}: {exc.strerror or exc}"
            ) from None
        if os.stat(self.blobs).st_dev != os.stat(self.quarantine).st_dev:
            raise StoreError(f"{self.quarantine} and {self.blobs} must be on the same filesystem")

    # --- addresses ---

    def path(self, sha256: str) -> Path:
        value = digest(sha256)
        return self.blobs / value[:2] / value

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def iter_digests(self) -> Iterator[str]:
        for prefix in sorted(self.blobs.iterdir()) if self.blobs.is_dir() else ():
            if not prefix.is_dir():
                continue
            for entry in sorted(prefix.iterdir()):
                if _SHA256.fullmatch(entry.name) and entry.name[:2] == prefix.name:
                    yield entry.name

    def quarantine_dir(self, name: str) -> Path:
        """A folder inside quarantine (for an intake's downloads); ``name`` must be one plain path part."""
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,120}", name) or ".." in name:
            raise StoreError(f"invalid quarantine folder name {name!r}")
        folder = self.quarantine / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    # --- ingest ---

    def ingest_file(
        self,
        source: Path | str,
        *,
        expected_sha256: str | None = None,
        expected_size: int | None = None,
        max_bytes: int | None = None,
    ) -> StoredBlob:
        """Copy ``source`` into the store, hashing while copying; refused when it does not match what is
        expected. The source is left alone."""
        try:
            with open(source, "rb") as handle:
                return self.ingest_stream(
                    handle, expected_sha256=expected_sha256, expected_size=expected_size, max_bytes=max_bytes
                )
        except OSError as exc:
            raise StoreError(f"cannot read {source}: {exc.strerror or exc}") from None

    def ingest_stream(
        self,
        handle: BinaryIO,
        *,
        expected_sha256: str | None = None,
        expected_size: int | None = None,
        max_bytes: int | None = None,
    ) -> StoredBlob:
        return self.ingest_chunks(
            iter(lambda: handle.read(CHUNK), b""),
            expected_sha256=expected_sha256,
            expected_size=expected_size,
            max_bytes=max_bytes,
        )

    def ingest_chunks(
        self,
        chunks: Iterable[bytes],
        *,
        expected_sha256: str | None = None,
        expected_size: int | None = None,
        max_bytes: int | None = None,
    ) -> StoredBlob:
        """Write ``chunks`` to a temporary in quarantine while hashing, check them, then rename into place."""
        wanted = digest(expected_sha256) if expected_sha256 is not None else None
        temp = self._temp()
        try:
            hasher, size = hashlib.sha256(), 0
            with open(temp, "wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise StoreError(f"blob larger than the cap of {max_bytes} bytes")
                    if expected_size is not None and size > expected_size:
                        raise StoreError(f"blob larger than the expected {expected_size} bytes")
                    hasher.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            return self._publish(temp, hasher.hexdigest(), size, wanted, expected_size)
        except OSError as exc:
            raise StoreError(f"cannot write to the mirror store: {exc.strerror or exc}") from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()

    def adopt(
        self, path: Path | str, *, expected_sha256: str | None = None, expected_size: int | None = None
    ) -> StoredBlob:
        """Move a file that is already in quarantine into the store, after hashing it in place (no copy).
        Used by intake: downloads land in quarantine and only admitted ones are adopted."""
        path = Path(path)
        try:
            resolved = path.resolve(strict=True)
        except OSError as exc:
            raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None
        if self.quarantine.resolve() not in resolved.parents:
            raise StoreError(f"{path} is not inside the store's quarantine")
        wanted = digest(expected_sha256) if expected_sha256 is not None else None
        sha, size = hash_file(resolved)
        return self._publish(resolved, sha, size, wanted, expected_size)

    def _publish(
        self, temp: Path, sha: str, size: int, wanted: str | None, expected_size: int | None
    ) -> StoredBlob:
        if wanted is not None and sha != wanted:
            raise StoreError(f"content hashes to sha256:{sha}, expected sha256:{wanted}")
        if expected_size is not None and size != expected_size:
            raise StoreError(f"content is {size} bytes, expected {expected_size}")
        target = self.path(sha)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Always replace: the checked bytes win over whatever the store held under that name (which heals a
        # corrupted blob); a reader that already opened the old file keeps reading its own inode.
        os.chmod(temp, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        os.replace(temp, target)
        _fsync_dir(target.parent)
        info = os.stat(target)
        return StoredBlob(
            sha256=sha, size=info.st_size, path=str(target), inode=info.st_ino, mtime_ns=info.st_mtime_ns
        )

    def _temp(self) -> Path:
        return self.quarantine / f".ingest-{os.getpid()}-{secrets.token_hex(8)}"

    # --- checks ---

    def stat_record(self, sha256: str) -> BlobRecord | None:
        info = _stat(self.path(sha256))
        if info is None:
            return None
        return BlobRecord(
            sha256=digest(sha256), size=info.st_size, inode=info.st_ino, mtime_ns=info.st_mtime_ns
        )

    def verify(self, sha256: str) -> CheckResult:
        """Re-hash the whole blob: the expensive, certain check."""
        value = digest(sha256)
        path = self.path(value)
        before = _stat(path)
        if before is None:
            return CheckResult(
                ok=False, record=None, rehashed=False, problem="not in the store", missing=True
            )
        try:
            sha, size = hash_file(path)
        except OSError as exc:
            return CheckResult(
                ok=False, record=None, rehashed=True, problem=f"unreadable: {exc.strerror or exc}"
            )
        record = BlobRecord(
            sha256=value, size=before.st_size, inode=before.st_ino, mtime_ns=before.st_mtime_ns
        )
        if sha != value:
            return CheckResult(
                ok=False,
                record=record,
                rehashed=True,
                problem=f"stored bytes hash to sha256:{sha[:16]}… ({size} bytes), not the admitted "
                f"sha256:{value[:16]}…",
            )
        return CheckResult(ok=True, record=record, rehashed=True)

    def check(
        self, sha256: str, recorded: BlobRecord | None, expected_size: int | None = None
    ) -> CheckResult:
        """The serve-time check: ``stat`` against the recorded identity, a full re-hash only on a mismatch
        (or when nothing was recorded)."""
        value = digest(sha256)
        info = _stat(self.path(value))
        if info is None:
            return CheckResult(
                ok=False, record=None, rehashed=False, problem="not in the store", missing=True
            )
        size = expected_size if expected_size is not None else (recorded.size if recorded else None)
        if size is not None and info.st_size != size:
            return CheckResult(
                ok=False,
                record=recorded,
                rehashed=False,
                problem=f"stored blob is {info.st_size} bytes, admitted as {size}",
            )
        if recorded is not None and (recorded.inode, recorded.mtime_ns, recorded.size) == (
            info.st_ino,
            info.st_mtime_ns,
            info.st_size,
        ):
            return CheckResult(ok=True, record=recorded, rehashed=False)
        return self.verify(value)


def hash_file(path: Path | str) -> tuple[str, int]:
    """SHA-256 and size of a file, read in chunks."""
    hasher, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            hasher.update(chunk)
            size += len(chunk)
    return hasher.hexdigest(), size


def _stat(path: Path) -> os.stat_result | None:
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return info if stat.S_ISREG(info.st_mode) else None


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
