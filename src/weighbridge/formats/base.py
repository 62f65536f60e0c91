"""What every format parser is handed: a scan context (where findings go, limits, nesting) and a stream.

A parser never loads, imports or executes what it reads. It reports findings through ``ctx.report`` and
hands embedded content (archive members, decompressed streams, nested pickles) back to the dispatcher with
``ctx.scan_nested`` so that every byte is routed by content, whatever its name.
"""

from __future__ import annotations

import dataclasses
import io
import json
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from ..core.findings import Finding, Location, Rule, Severity
from ..core.rules import make_finding


@dataclass(frozen=True, slots=True)
class Limits:
    """Hard bounds that keep a hostile file from exhausting the scanner. Exceeding one is a finding."""

    max_depth: int = 8  # nesting of archives / compression / nested pickles
    max_members: int = 100_000  # entries in one archive
    max_expanded_bytes: int = 256 * 1024**3  # decompressed bytes per top-level file (all levels)
    max_ratio: int = 1_000  # expansion ratio of one compressed member before it is called a bomb
    max_pickle_ops: int = 200_000_000  # opcodes in one pickle stream
    max_pickle_stack: int = 1_000_000  # live stack items (placeholders are cheap, but bounded)
    max_pickle_memo: int = 10_000_000  # memo entries
    max_string: int = 16 * 1024 * 1024  # longest string kept in memory for analysis
    spool_bytes: int = 32 * 1024 * 1024  # a nested stream that needs seeking spills to disk past this
    max_header_bytes: int = 100_000_000  # safetensors / JSON headers


@dataclass(slots=True)
class Budget:
    """Shared by every level of one top-level file."""

    expanded_bytes: int = 0
    members: int = 0


NestedScanner = Callable[["ScanContext", BinaryIO, str, "int | None"], str]


@dataclass(slots=True)
class ScanContext:
    path: str  # the file's path in the target, as reported
    limits: Limits
    nested: NestedScanner
    root: str | None = None  # the model folder on disk (for ONNX external data, links)
    fs_path: str | None = None  # the file on disk, when this context is the top-level file
    member: str | None = None  # "a.zip!inner/b.pkl" chain below the file, None at top level
    depth: int = 0
    findings: list[Finding] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    budget: Budget = field(default_factory=Budget)
    # Real paths of other files this one makes a loader read as plain data (ONNX external data).
    references: list[str] = field(default_factory=list)

    def report(
        self,
        rule: Rule,
        detail: str,
        *,
        location: Location | None = None,
        evidence: str | None = None,
        severity: Severity | None = None,
        title: str | None = None,
    ) -> Finding:
        if self.member is not None:
            location = dataclasses.replace(
                location or Location(),
                member=(location.member if location and location.member else self.member),
            )
        finding = make_finding(
            rule, self.path, detail, location=location, evidence=evidence, severity=severity, title=title
        )
        self.findings.append(finding)
        return finding

    def child(self, member: str) -> ScanContext:
        """A context for content embedded in this one (shares findings, limits and budget)."""
        chain = member if self.member is None else f"{self.member}!{member}"
        return ScanContext(
            path=self.path,
            limits=self.limits,
            nested=self.nested,
            root=self.root,
            fs_path=None,
            member=chain,
            depth=self.depth + 1,
            findings=self.findings,
            formats=self.formats,
            budget=self.budget,
        )

    def scan_nested(self, stream: BinaryIO, member: str, size: int | None = None) -> str:
        """Route embedded content by its bytes; returns the format it was recognised as."""
        return self.nested(self.child(member), stream, member, size)

    def max_severity(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)


@dataclass(frozen=True, slots=True)
class FormatHandler:
    """A parser and the content test that selects it. ``sniff`` sees the first bytes and the lower-cased name."""

    name: str
    sniff: Callable[[bytes, str], bool]
    scan: Callable[[ScanContext, BinaryIO], None]
    needs_seek: bool = False


class PrefixedStream(io.RawIOBase):
    """Puts already-read head bytes back in front of a non-seekable stream."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        mv = memoryview(b).cast("B")
        if len(self._head):
            n = min(len(mv), len(self._head))
            mv[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(mv))
        if not data:
            return 0
        mv[: len(data)] = data
        return len(data)


def make_seekable(stream: BinaryIO, limits: Limits) -> BinaryIO:
    """Return a seekable stream with the same content: the stream itself, or a spooled copy (bounded RAM)."""
    try:
        if stream.seekable():
            return stream
    except (AttributeError, ValueError, OSError):
        pass
    spool = tempfile.SpooledTemporaryFile(max_size=limits.spool_bytes)  # noqa: SIM115 - returned open
    while True:
        chunk = stream.read(1024 * 1024)
        if not chunk:
            break
        spool.write(chunk)
    spool.seek(0)
    return spool  # type: ignore[return-value]


def read_exact(stream: BinaryIO, n: int) -> bytes:
    """Read exactly ``n`` bytes or raise EOFError."""
    parts = []
    need = n
    while need > 0:
        chunk = stream.read(need)
        if not chunk:
            raise EOFError(f"unexpected end of data: wanted {n} bytes, got {n - need}")
        parts.append(chunk)
        need -= len(chunk)
    return b"".join(parts)


def skip_up_to(stream: BinaryIO, n: int) -> int:
    """Advance up to ``n`` bytes (seek when possible, read in bounded chunks otherwise); return how many
    bytes there were."""
    try:
        seekable = stream.seekable()
    except (AttributeError, ValueError, OSError):
        seekable = False
    if seekable:
        here = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        moved = max(0, min(n, end - here))
        stream.seek(here + moved)
        return moved
    moved = 0
    while moved < n:
        chunk = stream.read(min(1024 * 1024, n - moved))
        if not chunk:
            break
        moved += len(chunk)
    return moved


def skip_bytes(stream: BinaryIO, n: int) -> None:
    """Advance exactly ``n`` bytes; EOFError if the stream is shorter."""
    moved = skip_up_to(stream, n)
    if moved < n:
        raise EOFError(f"unexpected end of data: wanted {n} bytes, {moved} left")


class StreamWindow(io.RawIOBase):
    """A read-only, seekable view of ``length`` bytes of a seekable stream at ``start`` (no copying).

    It also keeps the CRC-32 of the bytes read in order from the window's start (zip members need it).
    """

    def __init__(self, base: BinaryIO, start: int, length: int) -> None:
        super().__init__()
        self._base = base
        self._start = start
        self._length = max(length, 0)
        self._pos = 0
        self.crc = 0
        self.crc_upto = 0  # bytes [0, crc_upto) are in ``crc``
        self.short = False  # the underlying file ended inside the window
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._length}.get(whence)
        if base is None:
            raise ValueError(f"invalid whence {whence}")
        if base + offset < 0:
            raise OSError("negative seek position")
        self._pos = base + offset
        return self._pos

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        mv = memoryview(b).cast("B")
        want = min(len(mv), self._length - self._pos)
        if want <= 0:
            return 0
        self._base.seek(self._start + self._pos)
        got = 0
        while got < want:
            data = self._base.read(want - got)
            if not data:
                self.short = True
                break
            mv[got : got + len(data)] = data
            if self._pos + got == self.crc_upto:
                self.crc = zlib.crc32(data, self.crc)
                self.crc_upto += len(data)
            got += len(data)
        self._pos += got
        self.read_bytes += got
        return got

    @property
    def length(self) -> int:
        return self._length


def stream_size(stream: BinaryIO) -> int:
    """Size of a seekable stream (its position is left at the end)."""
    return stream.seek(0, io.SEEK_END)


def parse_json_document(
    ctx: ScanContext, raw: bytes, rule: Rule, what: str, *, severity: Severity | None = None
) -> tuple[bool, Any]:
    """``(True, document)`` when ``raw`` is JSON; otherwise ``rule`` is reported (``WHAT is not valid JSON``,
    with the first bytes as evidence) and ``(False, None)`` comes back, so the caller stops there."""
    try:
        return True, json.loads(raw)
    except (ValueError, RecursionError) as exc:
        ctx.report(
            rule,
            f"{what} is not valid JSON: {exc}"[:300],
            location=Location(offset=0),
            evidence=raw[:120].decode("utf-8", "replace"),
            severity=severity,
        )
        return False, None
