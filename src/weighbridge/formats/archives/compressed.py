"""Compressed single streams, detected the way joblib detects them, decompressed in bounded chunks.

``joblib.load`` sniffs the first bytes (``joblib/numpy_pickle_utils.py::_detect_compressor``) and
transparently decompresses zlib, gzip, bz2, xz, lzma-alone, lz4 frames and its legacy ``ZF`` z-file before
unpickling, so a compressed pickle runs code like a plain one. This module hands the decompressed bytes
to the dispatcher as a stream (nothing is held whole in memory) and enforces the bomb limits.

It also provides :class:`DecompressReader`, the bounded streaming decoder the zip reader reuses.
"""

from __future__ import annotations

import bz2
import io
import lzma
import re
import zlib
from collections.abc import Callable
from typing import BinaryIO, Protocol

from ...core.findings import Check, Location, Severity
from ...core.rules import define
from ..base import Budget, FormatHandler, Limits, PrefixedStream, ScanContext

try:
    import lz4.frame as _lz4_frame
except ImportError:  # optional extra: weighbridge[lz4]
    _lz4_frame = None

CHUNK = 256 * 1024  # compressed bytes fed to a decoder at a time
MAX_OUT = 1024 * 1024  # decompressed bytes produced per decoder call
RATIO_FLOOR = 1024 * 1024  # below this much output nothing is called a bomb, whatever the ratio
LZMA_MAX_DICT = 256 * 1024 * 1024  # liblzma allocates the declared dictionary: larger ones are refused

CORRUPT = define(
    "WB-CMP-001",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Compressed stream is corrupt or truncated",
    "The compressed stream could not be decompressed to its end. A loader that decompresses on the fly "
    "(joblib) may still execute what comes before the damage, and what comes after was not inspected.",
)
BOMB_RATIO = define(
    "WB-CMP-002",
    Check.ARTIFACT,
    Severity.HIGH,
    "Decompression bomb (expansion ratio)",
    "The stream expands far beyond the configured ratio of decompressed to compressed bytes. Expansion "
    "was stopped; the rest of the content was not inspected.",
)
BOMB_BUDGET = define(
    "WB-CMP-003",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Decompressed size budget exhausted",
    "The total number of decompressed bytes for this file exceeds the configured limit. Expansion was "
    "stopped; the rest of the content was not inspected.",
)
TRAILING = define(
    "WB-CMP-004",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Data after the end of the compressed stream",
    "Bytes follow the end of the compressed stream. Loaders ignore them, but they can hide a second "
    "payload (polyglot); they were routed to the scanner as a separate stream.",
)
LZ4_MISSING = define(
    "WB-CMP-005",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "LZ4 stream not inspected",
    "The file is an LZ4 frame (joblib compress='lz4') but the lz4 module is not installed, so its content "
    "was not inspected. Install weighbridge[lz4].",
)
SIZE_MISMATCH = define(
    "WB-CMP-006",
    Check.ARTIFACT,
    Severity.LOW,
    "Declared length differs from the decompressed length",
    "A joblib ZF z-file declares its decompressed length in its header; the stream decompressed to a "
    "different length. joblib refuses such a file; it is malformed or tampered with.",
)


class Decoder(Protocol):
    """What zlib (through :class:`ZlibDecoder`), bz2, lzma and lz4 decompressor objects have in common."""

    @property
    def eof(self) -> bool: ...

    @property
    def unused_data(self) -> bytes: ...

    def decompress(self, data: bytes, max_length: int = -1, /) -> bytes: ...


class ZlibDecoder:
    """zlib's decompressobj with the bz2/lzma calling convention (pending input is kept internally)."""

    def __init__(self, wbits: int) -> None:
        self._d = zlib.decompressobj(wbits)
        self._tail = b""

    @property
    def eof(self) -> bool:
        return self._d.eof

    @property
    def unused_data(self) -> bytes:
        return self._d.unused_data

    def decompress(self, data: bytes, max_length: int = -1, /) -> bytes:
        buf = self._tail + data if self._tail else data
        out = self._d.decompress(buf, max(max_length, 0))
        self._tail = self._d.unconsumed_tail
        return out


class DecompressReader(io.RawIOBase):
    """A read-only stream of the decompressed bytes of ``source``, produced on demand in bounded chunks.

    Never raises for bad input: decoding errors, truncation and exceeded limits end the stream and are left
    in ``error``, ``truncated`` and ``limit`` for the owner to report. ``restart`` is asked, when a stream
    ends, whether the following bytes start another member (gzip/bz2/xz/lz4 concatenation).
    """

    def __init__(
        self,
        source: BinaryIO,
        decoder: Decoder,
        *,
        budget: Budget,
        limits: Limits,
        restart: Callable[[bytes], Decoder | None] | None = None,
    ) -> None:
        super().__init__()
        self._source = source
        self._decoder = decoder
        self._budget = budget
        self._limits = limits
        self._restart = restart
        self._feed_next = True  # the last call did not fill its output: the decoder needs more input
        self.fed = 0  # bytes taken from ``source``
        self.produced = 0
        self.crc = 0
        self.members = 1
        self.error: str | None = None
        self.truncated = False
        self.limit: str | None = None  # "ratio" or "budget"
        self.finished = False  # the (last) compressed stream ended properly
        self.unused = b""  # bytes after the end of the last stream, already taken from ``source``
        self._pushback = b""  # bytes taken from ``source`` that the next member starts with
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        mv = memoryview(b).cast("B")
        got = 0
        while got < len(mv) and not self._done:
            out = self._step(min(len(mv) - got, MAX_OUT))
            if out:
                mv[got : got + len(out)] = out
                got += len(out)
        return got

    def _read_source(self, n: int) -> bytes:
        if self._pushback:
            data, self._pushback = self._pushback[:n], self._pushback[n:]
            return data
        data = self._source.read(n)
        self.fed += len(data)
        return data

    def _step(self, want: int) -> bytes:
        """One bounded move: either some output, or input consumed, or the end of the stream."""
        if self._decoder.eof:
            self._next_member()
            return b""
        data = b""
        if self._feed_next:
            try:
                data = self._read_source(CHUNK)
            except Exception as exc:  # noqa: BLE001 - a failing source ends the stream, reported by the owner
                self.error = f"read error: {type(exc).__name__}: {exc}"[:300]
                self._done = True
                return b""
            if not data:
                self.truncated = True
                self._done = True
                return b""
        try:
            out = self._decoder.decompress(data, want)
        except Exception as exc:  # noqa: BLE001 - every decoder has its own error type
            self.error = f"{type(exc).__name__}: {exc}"[:300]
            self._done = True
            return b""
        self._feed_next = len(out) < want
        if not out:
            return b""
        if self._budget.expanded_bytes + len(out) > self._limits.max_expanded_bytes:
            self.limit = "budget"
            self._done = True
            return b""
        self._budget.expanded_bytes += len(out)
        self.produced += len(out)
        if self.produced > RATIO_FLOOR and self.produced > self._limits.max_ratio * max(self.fed, 1):
            self.limit = "ratio"
            self._done = True
            return b""
        self.crc = zlib.crc32(out, self.crc)
        return out

    def _next_member(self) -> None:
        leftover = (self._decoder.unused_data or b"") + self._pushback
        self._pushback = b""
        if self._restart is not None:
            try:
                while len(leftover) < 16:
                    more = self._read_source(16 - len(leftover))
                    if not more:
                        break
                    leftover += more
            except Exception as exc:  # noqa: BLE001
                self.error = f"read error: {type(exc).__name__}: {exc}"[:300]
                self._done = True
                return
            nxt = self._restart(leftover) if leftover else None
            if nxt is not None:
                self._decoder = nxt
                self.members += 1
                self._pushback = leftover
                self._feed_next = True
                return
        self.unused = leftover
        self.finished = True
        self._done = True

    @property
    def end_offset(self) -> int:
        """Offset in ``source`` just past the last compressed stream (once finished)."""
        return self.fed - len(self.unused) - len(self._pushback)

    def drain(self) -> None:
        """Read (and discard) whatever the consumer left, so that errors and CRC cover the whole stream."""
        while self.read(MAX_OUT):
            pass


def fail_severity(ctx: ScanContext) -> Severity:
    """MEDIUM for content that could not be inspected to the end, HIGH if something dangerous was seen."""
    worst = ctx.max_severity()
    return Severity.HIGH if worst is not None and worst >= Severity.HIGH else Severity.MEDIUM


# -- detection (joblib's _detect_compressor, with checks so that other formats are not taken) ---------------

_ZF_HEADER = 2 + len(hex(2**64))  # b"ZF" + the hex length padded with spaces
_XZ_MAGIC = b"\xfd7zXZ\x00"
_LZ4_MAGIC = b"\x04\x22\x4d\x18"
_ZF_LENGTH = re.compile(rb"0x[0-9a-fA-F]{1,17} *")


def _zlib_starts(data: bytes, wbits: int = 15) -> bool:
    if len(data) < 3 or data[0] & 0x0F != 8 or data[0] >> 4 > 7 or (data[0] << 8 | data[1]) % 31:
        return False
    if data[1] & 0x20:  # preset dictionary: joblib cannot read it either
        return False
    try:
        out = zlib.decompressobj(wbits).decompress(data, 64)
    except zlib.error:
        return False
    return len(out) > 0


def _zf_payload_offset(head: bytes) -> int | None:
    if not head.startswith(b"ZF") or not _ZF_LENGTH.fullmatch(head[2:_ZF_HEADER]):
        return None
    start = _ZF_HEADER + (1 if head[_ZF_HEADER : _ZF_HEADER + 1] == b" " else 0)
    return start if _zlib_starts(head[start:]) else None


def _lzma_alone_starts(head: bytes) -> bool:
    try:
        lzma.LZMADecompressor(lzma.FORMAT_ALONE, memlimit=LZMA_MAX_DICT + MAX_OUT).decompress(head, 64)
    except lzma.LZMAError as exc:
        return "memory usage limit" in str(exc).lower()  # a valid header asking for a huge dictionary
    return True


def detect(head: bytes) -> str | None:
    """The compressor joblib would pick for these first bytes, or None."""
    if head.startswith(b"ZF"):
        return "zf" if _zf_payload_offset(head) is not None else None
    if head[:1] == b"\x78":
        return "zlib" if _zlib_starts(head) else None
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if (
        head.startswith(b"BZh")
        and head[3:4].isdigit()
        and head[3:4] != b"0"
        and head[4:10] in (b"1AY&SY", b"\x17rE8P\x90")
    ):
        return "bz2"
    if (
        head.startswith(_XZ_MAGIC)
        and len(head) >= 12
        and zlib.crc32(head[6:8]) == int.from_bytes(head[8:12], "little")
    ):
        return "xz"
    if head.startswith(b"\x5d\x00\x00") and len(head) >= 13 and _lzma_alone_starts(head):
        return "lzma"
    if head.startswith(_LZ4_MAGIC):
        return "lz4"
    return None


def _sniff(head: bytes, name: str) -> bool:
    return detect(head) is not None


def _restart_on(magic: bytes, factory: Callable[[], Decoder]) -> Callable[[bytes], Decoder | None]:
    def restart(following: bytes) -> Decoder | None:
        return factory() if following.startswith(magic) else None

    return restart


def _lz4_decoder() -> Decoder:
    if _lz4_frame is None:  # callers check first; kept for the type checker
        raise RuntimeError("lz4 is not installed")
    decoder: Decoder = _lz4_frame.LZ4FrameDecompressor()
    return decoder


def _xz() -> Decoder:
    return lzma.LZMADecompressor(lzma.FORMAT_XZ, memlimit=LZMA_MAX_DICT + MAX_OUT)


def _decoders(kind: str) -> tuple[Decoder, Callable[[bytes], Decoder | None] | None]:
    if kind in ("zf", "zlib"):
        return ZlibDecoder(15), None
    if kind == "gzip":
        return ZlibDecoder(31), _restart_on(b"\x1f\x8b", lambda: ZlibDecoder(31))
    if kind == "bz2":
        return bz2.BZ2Decompressor(), _restart_on(b"BZh", bz2.BZ2Decompressor)
    if kind == "xz":
        return _xz(), _restart_on(_XZ_MAGIC, _xz)
    if kind == "lzma":
        return lzma.LZMADecompressor(lzma.FORMAT_ALONE, memlimit=LZMA_MAX_DICT + MAX_OUT), None
    return _lz4_decoder(), _restart_on(_LZ4_MAGIC, _lz4_decoder)


def report_limit(ctx: ScanContext, reader: DecompressReader, what: str, location: Location) -> None:
    """Report an exceeded bomb limit of ``reader`` with the WB-CMP rules."""
    if reader.limit == "ratio":
        ctx.report(
            BOMB_RATIO,
            f"{what} expanded beyond {ctx.limits.max_ratio}:1 "
            f"({reader.produced} bytes from {reader.fed} compressed); expansion stopped",
            location=location,
        )
    elif reader.limit == "budget":
        ctx.report(
            BOMB_BUDGET,
            f"{what}: decompressed bytes for this file exceed "
            f"{ctx.limits.max_expanded_bytes}; expansion stopped",
            location=location,
        )


def _read_zf_header(ctx: ScanContext, stream: BinaryIO) -> tuple[int | None, BinaryIO]:
    """Consume the ZF header; return the declared length (None after reporting a broken header)."""
    header = stream.read(_ZF_HEADER)
    if _ZF_LENGTH.fullmatch(header[2:]) is None:
        ctx.report(
            CORRUPT,
            "joblib ZF header is malformed",
            location=Location(offset=0),
            evidence=header[:32].hex(),
            severity=fail_severity(ctx),
        )
        return None, stream
    declared = int(header[2:].strip(), 16)
    nxt = stream.read(1)  # joblib <= 0.8.4 wrote one more space
    if nxt != b" ":
        stream = PrefixedStream(nxt, stream)  # type: ignore[assignment]
    return declared, stream


def _seekable(stream: BinaryIO) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, ValueError, OSError):
        return False


def _scan_trailing(
    ctx: ScanContext, reader: DecompressReader, source: BinaryIO, base: int, kind: str
) -> None:
    """Skip zero padding after the stream; anything else is reported and routed."""
    rest: BinaryIO = PrefixedStream(reader.unused, source)  # type: ignore[assignment]
    offset = base + reader.end_offset
    while True:  # ends with the stream: every pass consumes input
        chunk = rest.read(CHUNK)
        if not chunk:
            return
        stripped = chunk.lstrip(b"\x00")
        offset += len(chunk) - len(stripped)
        if stripped:
            ctx.report(
                TRAILING,
                f"data follows the end of the {kind} stream (starting {stripped[:8].hex()})",
                location=Location(offset=offset),
                evidence=stripped[:32].hex(),
            )
            ctx.scan_nested(PrefixedStream(stripped, rest), "<trailing>", None)  # type: ignore[arg-type]
            return


def _scan(ctx: ScanContext, stream: BinaryIO) -> None:
    head = stream.read(4096)
    kind = detect(head)
    if _seekable(stream):
        stream.seek(-len(head), io.SEEK_CUR)
        source: BinaryIO = stream
    else:
        source = PrefixedStream(head, stream)  # type: ignore[assignment]
    if kind is None:
        ctx.report(
            CORRUPT,
            "stream no longer looks compressed",
            location=Location(offset=0),
            evidence=head[:16].hex(),
            severity=fail_severity(ctx),
        )
        return
    if kind == "lz4" and _lz4_frame is None:
        ctx.report(
            LZ4_MISSING,
            "LZ4 frame not inspected: the lz4 module is not installed (install weighbridge[lz4])",
            location=Location(offset=0),
            evidence=head[:4].hex(),
        )
        return
    declared: int | None = None
    base = 0
    if kind == "zf":
        declared, source = _read_zf_header(ctx, source)
        if declared is None:
            return
        base = _ZF_HEADER
    decoder, restart = _decoders(kind)
    reader = DecompressReader(source, decoder, budget=ctx.budget, limits=ctx.limits, restart=restart)
    ctx.formats.append(f"compressed:{kind}")
    ctx.scan_nested(reader, "<decompressed>", None)  # type: ignore[arg-type]
    reader.drain()
    where = Location(offset=base + reader.fed)
    if reader.limit is not None:
        report_limit(ctx, reader, f"{kind} stream", where)
        return
    if reader.error is not None:
        ctx.report(
            CORRUPT,
            f"{kind} stream is corrupt after {reader.produced} decompressed bytes: {reader.error}",
            location=where,
            severity=fail_severity(ctx),
        )
        return
    if reader.truncated:
        ctx.report(
            CORRUPT,
            f"{kind} stream ends early (truncated after {reader.produced} decompressed bytes)",
            location=where,
            severity=fail_severity(ctx),
        )
        return
    if declared is not None and declared != reader.produced:
        ctx.report(
            SIZE_MISMATCH,
            f"ZF header declares {declared} bytes, stream holds {reader.produced}",
            location=Location(offset=2),
            evidence=f"0x{declared:x}",
        )
    _scan_trailing(ctx, reader, source, base, kind)


COMPRESSED_HANDLER = FormatHandler(name="compressed", sniff=_sniff, scan=_scan)
