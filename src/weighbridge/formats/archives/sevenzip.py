"""7z archives (nullifAI shipped a malicious PyTorch pickle inside one), read with py7zr without extracting.

Declared sizes are checked against the limits before anything is decompressed. Each member is then
decompressed into a spooled temporary file (RAM up to ``limits.spool_bytes``, disk beyond, deleted at once)
and routed to the dispatcher by content as soon as py7zr finishes it. Encrypted archives, unsupported
filters and corrupt data are findings; partially decompressed members are still scanned.
"""

from __future__ import annotations

import io
import posixpath
import re
import tempfile
from typing import BinaryIO

import py7zr
from py7zr.exceptions import (
    CrcError,
    DecompressionBombError,
    PasswordRequired,
    UnsupportedCompressionMethodError,
)
from py7zr.io import Py7zIO, WriterFactory

from ...core.findings import Check, Severity
from ...core.rules import define
from ..base import FormatHandler, ScanContext
from .compressed import RATIO_FLOOR, fail_severity
from .zip import CappedReporter

SIGNATURE = b"7z\xbc\xaf\x27\x1c"
MAX_LINK_TARGET = 4096

CORRUPT = define(
    "WB-7Z-001",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Corrupt or unreadable 7z archive",
    "The archive or one of its members could not be decompressed to the end; what was decompressed was "
    "scanned, the rest was not.",
)
ENCRYPTED = define(
    "WB-7Z-002",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Encrypted 7z archive not inspected",
    "The archive (or its header) is password-protected. A loader that knows the password gets content "
    "the scanner could not inspect.",
)
UNSUPPORTED = define(
    "WB-7Z-003",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "7z compression method not supported",
    "A member uses a filter or compression method py7zr cannot decode, so it was not inspected.",
)
BOMB = define(
    "WB-7Z-004",
    Check.ARTIFACT,
    Severity.HIGH,
    "7z decompression bomb",
    "The members declare far more decompressed bytes than the archive's size allows at the configured "
    "ratio. Nothing was decompressed.",
)
BUDGET = define(
    "WB-7Z-005",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Decompressed size budget exhausted",
    "The archive's members need more decompressed bytes than remain in the budget for this file; "
    "decompression stopped at the limit.",
)
TOO_MANY = define(
    "WB-7Z-006",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Too many 7z members",
    "The archive has more members than the scanner's limit; the rest were not inspected.",
)
UNSAFE_NAME = define(
    "WB-7Z-007",
    Check.ARTIFACT,
    Severity.HIGH,
    "Member path escapes the extraction folder",
    "A member name is absolute or climbs out with '..'; extraction by a careless tool writes outside the "
    "target. py7zr refuses such members, so their content was not inspected.",
)
ESCAPING_LINK = define(
    "WB-7Z-008",
    Check.ARTIFACT,
    Severity.HIGH,
    "Symbolic link points outside the archive",
    "A symbolic link member targets an absolute path or climbs out of the archive root.",
)
CRC_MISMATCH = define(
    "WB-7Z-009",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "7z CRC mismatch",
    "A member's content does not match its recorded CRC; it was altered after the archive was written. Its "
    "content was scanned; members after it were not.",
)
SUPPRESSED = define(
    "WB-7Z-010",
    Check.ARTIFACT,
    Severity.LOW,
    "Further 7z findings suppressed",
    "The same issue occurs in many members; only the first ones are reported individually.",
)


def _sniff(head: bytes, name: str) -> bool:
    return head.startswith(SIGNATURE)


def _normal(name: str) -> str:
    return posixpath.normpath(name.replace("\\", "/").lstrip("/"))


def _escapes(base_dir: str, target: str) -> bool:
    if target.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", target):
        return True
    path = posixpath.normpath(posixpath.join(base_dir, target.replace("\\", "/")))
    return path == ".." or path.startswith("../")


class _Spool(Py7zIO):
    """One member's decompressed bytes; routed when py7zr reports the member complete (``close``)."""

    def __init__(self, owner: _Router, name: str) -> None:
        self.name = name
        self._owner = owner
        self.file = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - closed by _Router.route
            max_size=owner.rep.ctx.limits.spool_bytes
        )
        self.written = 0
        self.done = False

    def write(self, s: bytes | bytearray) -> int:
        self.written += len(s)
        return self.file.write(s)

    def read(self, size: int | None = None) -> bytes:
        return self.file.read(-1 if size is None else size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.file.seek(offset, whence)

    def flush(self) -> None:
        self.file.flush()

    def size(self) -> int:
        return self.written

    def close(self) -> None:
        if not self.done:
            self.done = True
            self._owner.route(self, complete=True)


class _Router(WriterFactory):
    """Creates a spool per member and routes each finished member to the dispatcher."""

    def __init__(self, rep: CappedReporter, symlinks: set[str], sizes: dict[str, int]) -> None:
        self.rep = rep
        self._symlinks = symlinks
        self._sizes = sizes
        self.open: list[_Spool] = []
        self.routed = 0
        self.produced = 0  # decompressed bytes of the members handed over

    def create(self, filename: str) -> Py7zIO:
        spool = _Spool(self, filename)
        self.open.append(spool)
        return spool

    def route(self, spool: _Spool, *, complete: bool) -> None:
        if spool in self.open:
            self.open.remove(spool)
        self.produced += spool.written
        try:
            spool.file.seek(0)
            name = _normal(spool.name)
            if name in self._symlinks:
                target = spool.file.read(MAX_LINK_TARGET).decode("utf-8", errors="replace")
                if _escapes(posixpath.dirname(name), target):
                    self.rep.report(
                        ESCAPING_LINK,
                        f"symbolic link {name!r} points outside the archive: {target!r}",
                        member=name,
                        evidence=target[:200],
                    )
            elif spool.written:
                label = name if complete else f"{name} (partial)"
                self.rep.ctx.scan_nested(spool.file, label, self._sizes.get(name))  # type: ignore[arg-type]
            if complete or spool.written:
                self.routed += 1
        finally:
            spool.file.close()

    def flush_partial(self) -> None:
        """Scan what members interrupted by an error had produced, then free them."""
        for spool in list(self.open):
            spool.done = True
            self.route(spool, complete=False)


def _open(rep: CappedReporter, stream: BinaryIO) -> py7zr.SevenZipFile | None:
    try:
        return py7zr.SevenZipFile(stream, mode="r")
    except PasswordRequired:
        rep.report(
            ENCRYPTED,
            "the archive header is encrypted; nothing could be listed or inspected",
            offset=0,
            severity=fail_severity(rep.ctx),
        )
    except UnsupportedCompressionMethodError as exc:
        rep.report(
            UNSUPPORTED,
            f"the archive header uses an unsupported method: {exc}"[:300],
            offset=0,
            severity=fail_severity(rep.ctx),
        )
    except Exception as exc:  # noqa: BLE001 - py7zr raises many types on corrupt input
        rep.report(
            CORRUPT,
            f"the archive header cannot be read: {type(exc).__name__}: {exc}"[:300],
            offset=0,
            severity=fail_severity(rep.ctx),
        )
    return None


def _plan(
    rep: CappedReporter, archive: py7zr.SevenZipFile, archive_size: int
) -> tuple[list[str], set[str], dict[str, int]] | None:
    """Check names and declared sizes; return the members to extract (None: extract nothing)."""
    ctx = rep.ctx
    infos = [f for f in archive.list() if not f.is_directory]
    targets: list[str] = []
    symlinks: set[str] = set()
    sizes: dict[str, int] = {}
    for info in infos:
        if _escapes("", info.filename):
            rep.report(
                UNSAFE_NAME,
                f"member name {info.filename!r} escapes the extraction folder; not inspected",
                member=info.filename,
                evidence=info.filename[:200],
            )
            continue
        targets.append(info.filename)
        sizes[_normal(info.filename)] = info.uncompressed
        if info.is_symlink:
            symlinks.add(_normal(info.filename))
    room = ctx.limits.max_members - ctx.budget.members
    if len(targets) > room:
        rep.report(
            TOO_MANY,
            f"{len(infos)} members, more than the limit of {ctx.limits.max_members}; the "
            "rest were not inspected",
            offset=0,
            severity=fail_severity(ctx),
        )
        targets = targets[: max(room, 0)]
    ctx.budget.members += len(targets)
    declared = sum(sizes.get(_normal(t), 0) for t in targets)
    if declared > RATIO_FLOOR and declared > ctx.limits.max_ratio * max(archive_size, 1):
        rep.report(
            BOMB,
            f"members declare {declared} decompressed bytes in a {archive_size}-byte archive "
            f"(over {ctx.limits.max_ratio}:1); nothing was decompressed",
            offset=0,
            evidence=f"{declared}/{archive_size}",
        )
        return None
    if archive.needs_password():
        rep.report(
            ENCRYPTED,
            f"{len(targets)} member(s) are encrypted and were not inspected",
            offset=0,
            severity=fail_severity(ctx),
        )
        return None
    return targets, symlinks, sizes


def _extract(rep: CappedReporter, archive: py7zr.SevenZipFile, targets: list[str], router: _Router) -> None:
    ctx = rep.ctx
    failure: Exception | None = None
    try:
        archive.extract(targets=targets, factory=router)
    except Exception as exc:  # noqa: BLE001 - py7zr raises many types on corrupt input; classified below
        failure = exc
    current = _normal(router.open[-1].name) if router.open else None
    router.flush_partial()  # scan what an interrupted member had produced
    if failure is None:
        return
    missed = f"{max(len(targets) - router.routed, 0)} member(s) were not inspected"
    severity = fail_severity(ctx)
    at = None if current else 0
    if isinstance(failure, CrcError):
        named = failure.args[2] if len(failure.args) > 2 and failure.args[2] else current
        rep.report(
            CRC_MISMATCH,
            f"CRC mismatch; {missed}",
            member=named,
            offset=None if named else 0,
            evidence=" != ".join(f"{v:08x}" for v in failure.args[:2] if isinstance(v, int)) or None,
            severity=severity,
        )
    elif isinstance(failure, DecompressionBombError):
        rep.report(BUDGET, f"{failure}; {missed}"[:300], member=current, offset=at, severity=severity)
    elif isinstance(failure, PasswordRequired):
        rep.report(
            ENCRYPTED, f"members are encrypted; {missed}", member=current, offset=at, severity=severity
        )
    elif isinstance(failure, UnsupportedCompressionMethodError):
        rep.report(UNSUPPORTED, f"{failure}; {missed}"[:300], member=current, offset=at, severity=severity)
    else:
        rep.report(
            CORRUPT,
            f"decompression failed: {type(failure).__name__}: {failure}; {missed}"[:300],
            member=current,
            offset=at,
            severity=severity,
        )


def _scan(ctx: ScanContext, stream: BinaryIO) -> None:
    rep = CappedReporter(ctx, SUPPRESSED)
    archive_size = stream.seek(0, io.SEEK_END)
    stream.seek(0)
    archive = _open(rep, stream)
    if archive is not None:
        with archive:
            plan = _plan(rep, archive, archive_size)
            if plan is not None:
                targets, symlinks, sizes = plan
                archive.max_extract_size = max(ctx.limits.max_expanded_bytes - ctx.budget.expanded_bytes, 0)
                router = _Router(rep, symlinks, sizes)
                _extract(rep, archive, targets, router)
                ctx.budget.expanded_bytes += router.produced
    rep.finish()


SEVENZ_HANDLER = FormatHandler(name="7z", sniff=_sniff, scan=_scan, needs_seek=True)
