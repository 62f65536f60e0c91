"""Tar archives, read member by member with ``tarfile`` (never extracted).

Regular members are routed to the dispatcher by content (PyTorch 0.1.1's legacy tar layout is just pickles
in a tar). Names and links that leave the extraction folder, device and FIFO members, sparse-file bombs,
and bytes after the end of the archive (``tarfile`` silently stops at the first invalid header) are
findings. Memory stays bounded: no single read larger than the header limit reaches the file.
"""

from __future__ import annotations

import io
import posixpath
import re
import tarfile
from typing import BinaryIO

from ...core.findings import Check, Severity
from ...core.rules import define
from ..base import FormatHandler, ScanContext, StreamWindow
from .compressed import RATIO_FLOOR, fail_severity
from .zip import CappedReporter

CHUNK = 1024 * 1024
BLOCK = 512

UNSAFE_NAME = define(
    "WB-TAR-001",
    Check.ARTIFACT,
    Severity.HIGH,
    "Member path escapes the extraction folder",
    "A member name is absolute or climbs out with '..'. Extracting the archive (tarfile without a filter, "
    "older tools) writes outside the target folder: archive slip.",
)
ESCAPING_LINK = define(
    "WB-TAR-002",
    Check.ARTIFACT,
    Severity.HIGH,
    "Link points outside the archive",
    "A symbolic or hard link targets an absolute path or climbs out of the archive root. Extraction makes a "
    "path inside the model folder that reads or overwrites files elsewhere.",
)
SPECIAL_MEMBER = define(
    "WB-TAR-003",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Device or FIFO member",
    "The archive contains a character/block device or a FIFO. Model archives have no reason to; extracting "
    "one as root creates a device node.",
)
CORRUPT = define(
    "WB-TAR-004",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Corrupt or truncated tar archive",
    "The archive could not be read to its end; the members after the damage were not inspected.",
)
TRAILING = define(
    "WB-TAR-005",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Data after the end of the tar archive",
    "Non-zero bytes follow the last member tarfile accepts (an invalid header ends tarfile's walk without "
    "an error). They can hide further members or another format; they were routed to the scanner.",
)
SPARSE_BOMB = define(
    "WB-TAR-006",
    Check.ARTIFACT,
    Severity.HIGH,
    "Sparse-file bomb",
    "A sparse member declares a size far beyond the bytes it stores; reading it expands holes into zeros. "
    "It was not expanded.",
)
TOO_MANY = define(
    "WB-TAR-007",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Too many tar members",
    "The archive has more members than the scanner's limit; the rest were not inspected.",
)
BUDGET = define(
    "WB-TAR-008",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Member bytes budget exhausted",
    "The bytes read from archive members for this file exceed the configured limit; the rest was not "
    "inspected.",
)
SUPPRESSED = define(
    "WB-TAR-009",
    Check.ARTIFACT,
    Severity.LOW,
    "Further tar findings suppressed",
    "The same issue occurs in many members; only the first ones are reported individually.",
)


def _checksum_ok(block: bytes) -> bool:
    """A v7 header: non-empty name and a checksum field that matches the block (as tarfile computes it)."""
    if len(block) < BLOCK or block[0] == 0:
        return False
    field = block[148:156].split(b"\x00", 1)[0].strip()
    if not field or not re.fullmatch(rb"[0-7]{1,8}", field):
        return False
    stored = int(field, 8)
    unsigned = sum(block[:148]) + 8 * 32 + sum(block[156:BLOCK])
    signed = unsigned - 2 * sum(b for b in block[:148] + block[156:BLOCK] if b > 127)
    return stored in (unsigned, signed)


def _sniff(head: bytes, name: str) -> bool:
    return head[257:262] == b"ustar" or _checksum_ok(head[:BLOCK])


class _BoundedReads(io.RawIOBase):
    """Passes reads and seeks through, refusing any single read larger than ``cap`` (pax/GNU long headers)."""

    def __init__(self, base: BinaryIO, cap: int) -> None:
        super().__init__()
        self._base = base
        self._cap = cap

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0 or size > self._cap:
            raise OSError(f"a single header or member read of {size} bytes exceeds the limit of {self._cap}")
        return self._base.read(size)

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(b))
        memoryview(b).cast("B")[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._base.seek(offset, whence)

    def tell(self) -> int:
        return self._base.tell()


class _Member(io.RawIOBase):
    """A member's content: bounded reads, bytes charged to the budget, read errors turned into EOF."""

    def __init__(self, inner: BinaryIO, ctx: ScanContext) -> None:
        super().__init__()
        self._inner = inner
        self._ctx = ctx
        self.error: str | None = None
        self.over_budget = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._inner.seek(offset, whence)

    def tell(self) -> int:
        return self._inner.tell()

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        if self.error is not None or self.over_budget:
            return 0
        mv = memoryview(b).cast("B")
        try:
            data = self._inner.read(min(len(mv), CHUNK))
        except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
            self.error = f"{type(exc).__name__}: {exc}"[:300]
            return 0
        budget, limits = self._ctx.budget, self._ctx.limits
        if budget.expanded_bytes + len(data) > limits.max_expanded_bytes:
            self.over_budget = True
            return 0
        budget.expanded_bytes += len(data)
        mv[: len(data)] = data
        return len(data)


def _escapes(base_dir: str, target: str) -> bool:
    if target.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", target):
        return True
    path = posixpath.normpath(posixpath.join(base_dir, target.replace("\\", "/")))
    return path == ".." or path.startswith("../")


def _check_member(rep: CappedReporter, member: tarfile.TarInfo) -> None:
    if _escapes("", member.name):
        rep.report(
            UNSAFE_NAME,
            f"member name {member.name!r} escapes the extraction folder",
            member=member.name,
            offset=member.offset,
            evidence=member.name[:200],
        )
    if member.issym() and _escapes(posixpath.dirname(member.name), member.linkname):
        rep.report(
            ESCAPING_LINK,
            f"symbolic link {member.name!r} points outside the archive: {member.linkname!r}",
            member=member.name,
            offset=member.offset,
            evidence=member.linkname[:200],
        )
    if member.islnk() and _escapes("", member.linkname):
        rep.report(
            ESCAPING_LINK,
            f"hard link {member.name!r} points outside the archive: {member.linkname!r}",
            member=member.name,
            offset=member.offset,
            evidence=member.linkname[:200],
        )
    if member.ischr() or member.isblk() or member.isfifo():
        kind = "character device" if member.ischr() else "block device" if member.isblk() else "FIFO"
        rep.report(
            SPECIAL_MEMBER,
            f"member {member.name!r} is a {kind}",
            member=member.name,
            offset=member.offset,
            evidence=f"type={member.type!r}",
        )


def _scan_content(
    rep: CappedReporter, tf: tarfile.TarFile, member: tarfile.TarInfo, stream: BinaryIO | None = None
) -> bool:
    """Route a regular member; returns False when scanning must stop (budget)."""
    ctx = rep.ctx
    if member.issparse():
        sparse = getattr(member, "sparse", None)
        stored = sum(int(chunk[1]) for chunk in sparse) if isinstance(sparse, list) else 0
        if member.size > RATIO_FLOOR and member.size > ctx.limits.max_ratio * max(stored, 1):
            rep.report(
                SPARSE_BOMB,
                f"sparse member {member.name!r} declares {member.size} bytes but stores {stored}",
                member=member.name,
                offset=member.offset,
                evidence=f"{member.size}/{stored}",
            )
            return True
    inner = tf.extractfile(member)
    if inner is None:
        return True
    content = _Member(inner, ctx)  # type: ignore[arg-type]
    ctx.scan_nested(content, member.name, member.size)  # type: ignore[arg-type]
    if content.over_budget:
        rep.report(
            BUDGET,
            f"member bytes for this file exceed {ctx.limits.max_expanded_bytes}; "
            f"{member.name!r} and the rest were not inspected",
            member=member.name,
            offset=member.offset_data,
            severity=fail_severity(ctx),
        )
        return False
    if content.error is not None:
        rep.report(
            CORRUPT,
            f"member {member.name!r} could not be read to its end: {content.error}",
            member=member.name,
            offset=member.offset_data,
            severity=fail_severity(ctx),
        )
    elif stream is not None and "blobs/sha256/" in member.name and not member.issparse():
        from ..oci import verify_archived_blob  # OCI layouts in a tar (docker save, oci-archive)

        verify_archived_blob(ctx, member.name, stream, member.offset_data, member.size)
    return True


def _scan_trailing(rep: CappedReporter, stream: BinaryIO, start: int) -> None:
    size = stream.seek(0, io.SEEK_END)
    pos = start
    stream.seek(pos)
    while pos < size:
        chunk = stream.read(min(CHUNK, size - pos))
        if not chunk:
            return
        stripped = chunk.lstrip(b"\x00")
        if stripped:
            at = pos + len(chunk) - len(stripped)
            at -= at % BLOCK
            rep.report(
                TRAILING,
                f"{size - at} bytes after the end of the archive at offset {start} are not zero padding",
                offset=at,
                evidence=stripped[:32].hex(),
            )
            rep.ctx.scan_nested(
                StreamWindow(stream, at, size - at),  # type: ignore[arg-type]
                f"<data at offset {at}>",
                size - at,
            )
            return
        pos += len(chunk)


def _walk(rep: CappedReporter, tf: tarfile.TarFile, stream: BinaryIO) -> None:
    ctx = rep.ctx
    count = 0
    seen: list[tarfile.TarInfo] = tf.members  # type: ignore[attr-defined]
    while True:
        try:
            member = tf.next()
        except (tarfile.TarError, OSError, EOFError, ValueError, UnicodeError) as exc:
            rep.report(
                CORRUPT,
                f"archive breaks after {count} members at offset {tf.offset}: {type(exc).__name__}: {exc}"[
                    :300
                ],
                offset=tf.offset,
                severity=fail_severity(ctx),
            )
            return
        if member is None:
            _scan_trailing(rep, stream, tf.offset)
            return
        count += 1
        ctx.budget.members += 1
        if count > ctx.limits.max_members or ctx.budget.members > ctx.limits.max_members:
            rep.report(
                TOO_MANY,
                f"more than {ctx.limits.max_members} archive members; the rest were not inspected",
                member=member.name,
                offset=member.offset,
                severity=fail_severity(ctx),
            )
            return
        _check_member(rep, member)
        is_content = member.isreg() or member.type not in tarfile.SUPPORTED_TYPES
        if is_content and not _scan_content(rep, tf, member, stream):
            return
        seen.clear()  # nothing is extracted, so links need no lookup table: keep memory flat


def _scan(ctx: ScanContext, stream: BinaryIO) -> None:
    rep = CappedReporter(ctx, SUPPRESSED)
    guarded = _BoundedReads(stream, ctx.limits.max_header_bytes)
    try:
        with tarfile.open(fileobj=guarded, mode="r:") as tf:
            _walk(rep, tf, stream)
    except (tarfile.TarError, OSError, EOFError, ValueError, UnicodeError) as exc:
        ctx.report(
            CORRUPT,
            f"not a readable tar archive: {type(exc).__name__}: {exc}"[:300],
            severity=fail_severity(ctx),
        )
    rep.finish()


TAR_HANDLER = FormatHandler(name="tar", sniff=_sniff, scan=_scan, needs_seek=True)
