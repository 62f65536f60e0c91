"""A streaming protobuf wire-format walker over a seekable binary stream, and the generic protobuf check.

Nothing here knows a schema. ``WireReader`` reads tags and scalar values through a small window buffer and
never reads a length-delimited payload unless asked to: a caller that knows the schema descends into the
sub-messages it cares about (``fields(start, end, depth)``) and leaves the rest (tensor bytes) unread, so
memory stays bounded by the window whatever the file size. Groups (wire types 3 and 4) are rejected: no
format Weighbridge parses uses them, and accepting them would make random bytes look like protobuf.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from ..core.findings import Check, Location, Severity
from ..core.rules import define
from .base import ScanContext

VARINT = 0
I64 = 1
LEN = 2
I32 = 5

MAX_FIELD_NUMBER = (1 << 29) - 1
DEFAULT_MAX_DEPTH = 64
_WINDOW = 64 * 1024
_WIRE_NAMES = {0: "varint", 1: "i64", 2: "len", 3: "start-group", 4: "end-group", 5: "i32"}


class ProtobufError(Exception):
    """The bytes are not valid protobuf wire format at ``offset``."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"offset {offset}: {reason}")
        self.offset = offset
        self.reason = reason


class TruncatedError(ProtobufError):
    """The data ended in the middle of a field."""


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a message. For LEN fields ``value`` is the payload length; payload bytes are not read."""

    number: int
    wire_type: int
    offset: int  # where the tag starts
    value_offset: int  # where the value (for LEN: the payload after the length prefix) starts
    value: int  # varint / fixed value, or the payload length for LEN
    end: int  # first byte after the field
    truncated: bool = False  # a salvaged LEN field whose payload runs past the end of the data

    @property
    def wire_name(self) -> str:
        return _WIRE_NAMES.get(self.wire_type, str(self.wire_type))


class WireReader:
    """Random access to a seekable stream through one bounded read window."""

    def __init__(self, stream: BinaryIO, size: int | None = None) -> None:
        self._stream = stream
        if size is None:
            here = stream.tell()
            size = stream.seek(0, io.SEEK_END)
            stream.seek(here)
        self.size = size
        self._buf = b""
        self._buf_start = 0

    def _fill(self, pos: int) -> None:
        self._stream.seek(pos)
        parts: list[bytes] = []
        need = min(_WINDOW, self.size - pos)
        while need > 0:
            chunk = self._stream.read(need)
            if not chunk:
                break
            parts.append(chunk)
            need -= len(chunk)
        self._buf = b"".join(parts)
        self._buf_start = pos

    def byte_at(self, pos: int, end: int) -> int:
        if pos >= self.size:
            raise TruncatedError(pos, "unexpected end of data")
        if pos >= end:
            raise ProtobufError(pos, "field runs past the end of its message")
        rel = pos - self._buf_start
        if rel < 0 or rel >= len(self._buf):
            self._fill(pos)
            rel = 0
            if not self._buf:
                raise TruncatedError(pos, "unexpected end of data")
        return self._buf[rel]

    def varint(self, pos: int, end: int) -> tuple[int, int]:
        """Decode a varint at ``pos``; returns (value, position after it)."""
        value = 0
        for i in range(10):
            b = self.byte_at(pos + i, end)
            value |= (b & 0x7F) << (7 * i)
            if not b & 0x80:
                if value >> 64:
                    raise ProtobufError(pos, "varint larger than 64 bits")
                return value, pos + i + 1
        raise ProtobufError(pos, "varint longer than 10 bytes")

    def read(self, pos: int, n: int, end: int) -> bytes:
        """Read ``n`` bytes at ``pos`` (the caller bounds ``n``)."""
        if pos + n > self.size:
            raise TruncatedError(pos, f"{n} bytes requested, {max(self.size - pos, 0)} left")
        if n < 0 or pos + n > end:
            raise ProtobufError(pos, f"{n} bytes requested past the end of the message")
        rel = pos - self._buf_start
        if rel >= 0 and rel + n <= len(self._buf):
            return self._buf[rel : rel + n]
        if n <= _WINDOW:
            self._fill(pos)
            if len(self._buf) < n:
                raise TruncatedError(pos, "unexpected end of data")
            return self._buf[:n]
        self._stream.seek(pos)
        parts: list[bytes] = []
        need = n
        while need > 0:
            chunk = self._stream.read(need)
            if not chunk:
                raise TruncatedError(pos, "unexpected end of data")
            parts.append(chunk)
            need -= len(chunk)
        return b"".join(parts)

    def field_at(self, pos: int, end: int, salvage: bool = False) -> Field:
        tag, vpos = self.varint(pos, end)
        number, wire = tag >> 3, tag & 7
        if number == 0 or number > MAX_FIELD_NUMBER:
            raise ProtobufError(pos, f"invalid field number {number}")
        if wire == VARINT:
            value, after = self.varint(vpos, end)
            return Field(number, wire, pos, vpos, value, after)
        if wire in (I64, I32):
            width = 8 if wire == I64 else 4
            if vpos + width > min(end, self.size):
                err = TruncatedError if vpos + width > self.size else ProtobufError
                raise err(pos, f"field {number}: fixed-width value runs past the end of the message")
            value = int.from_bytes(self.read(vpos, width, end), "little")
            return Field(number, wire, pos, vpos, value, vpos + width)
        if wire == LEN:
            length, start = self.varint(vpos, end)
            if salvage and start + length > self.size and end >= self.size:
                return Field(number, wire, pos, start, length, self.size, truncated=True)
            if start + length > min(end, self.size):
                err = TruncatedError if start + length > self.size else ProtobufError
                raise err(
                    pos,
                    f"field {number}: length {length} runs past the end of the message "
                    f"({end - start} bytes left)",
                )
            return Field(number, wire, pos, start, length, start + length)
        if wire in (3, 4):
            raise ProtobufError(pos, f"field {number}: groups (wire type {wire}) are not accepted")
        raise ProtobufError(pos, f"field {number}: invalid wire type {wire}")

    def fields(
        self, start: int, end: int, depth: int = 0, max_depth: int = DEFAULT_MAX_DEPTH, salvage: bool = False
    ) -> Iterator[Field]:
        """Yield the fields of the message occupying [start, end). ``depth`` is the caller's nesting level.

        With ``salvage``, a length-delimited field cut short by the end of the data is still yielded (marked
        ``truncated``, ending at the end of the data) so the caller can inspect what is there; TruncatedError
        follows once the caller is done with it."""
        if depth > max_depth:
            raise ProtobufError(start, f"messages nested deeper than {max_depth}")
        if end > self.size:
            raise ProtobufError(
                self.size, f"message claims to end at {end}, past the end of data ({self.size})"
            )
        pos = start
        while pos < end:
            f = self.field_at(pos, end, salvage)
            yield f
            if f.truncated:
                raise TruncatedError(
                    f.offset,
                    f"field {f.number}: length {f.value} runs past the end of the data "
                    f"({self.size - f.value_offset} bytes left)",
                )
            pos = f.end

    def string(self, f: Field, cap: int) -> tuple[str, bool]:
        """Decode a LEN field as UTF-8 text, reading at most ``cap`` bytes; returns (text, truncated)."""
        n = min(f.value, cap, f.end - f.value_offset)
        raw = self.read(f.value_offset, n, f.end)
        return raw.decode("utf-8", errors="replace"), f.value > cap


@dataclass(slots=True)
class HeadParse:
    """The top-level fields found in the first bytes of a stream."""

    fields: list[Field]
    cut: bool  # the head ended inside the last field (more data follows)


def parse_head(head: bytes, whole: bool) -> HeadParse | None:
    """Parse ``head`` as the start of a message. ``whole`` says the head is the entire stream, in which case
    it must parse to its last byte. Returns None when the bytes are not wire format."""
    unbounded = 1 << 62
    reader = WireReader(io.BytesIO(head), unbounded)  # a LEN field may run past the head: it is returned
    out: list[Field] = []
    pos = 0
    while pos < len(head):
        try:
            f = reader.field_at(pos, unbounded)
        except TruncatedError:
            return None if whole else HeadParse(out, True)
        except ProtobufError:
            return None
        out.append(f)
        if f.end > len(head):
            return None if whole else HeadParse(out, True)
        pos = f.end
    return HeadParse(out, False)


# -- the generic handler: a complete message with an unknown schema (SentencePiece models, ...) ----------
PROTOBUF_INCOMPLETE = define(
    "WB-PB-001",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Protobuf message could not be parsed to the end",
    "The file began like a protobuf message but is truncated or invalid further on, so it could not be "
    "inspected completely.",
)
PROTOBUF_GENERIC = define(
    "WB-PB-002",
    Check.ARTIFACT,
    Severity.INFO,
    "Protobuf message with an unknown schema",
    "The file is a complete protobuf message (for example a SentencePiece tokenizer model). Its wire format "
    "was validated; its fields were not interpreted.",
)

MAX_SANE_FIELD = 1000
MIN_PROTOBUF_BYTES = 32
MIN_COMPLETE_FIELDS = 8
STRUCTURE_DEPTH = 3


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(c.isprintable() or c in "\t\n\r" for c in text)


def _structure(data: bytes, whole: bool, depth: int) -> tuple[int, bool] | None:
    """Complete fields found in ``data`` (descending into LEN payloads that parse as messages), and whether a
    sub-message was found; None when ``data`` is not wire format with sane field numbers."""
    parsed = parse_head(data, whole)
    if parsed is None or not parsed.fields:
        return None
    count, nested = 0, False
    for f in parsed.fields:
        if f.number > MAX_SANE_FIELD:
            return None
        complete = f.end <= len(data)
        count += complete
        if f.wire_type == LEN and f.value and depth < STRUCTURE_DEPTH:
            inner = _structure(data[f.value_offset : min(f.end, len(data))], complete, depth + 1)
            if inner is not None:
                count += inner[0]
                nested = True
    return count, nested


def sniff_protobuf(head: bytes, name: str) -> bool:
    """Strict: the head parses cleanly (a whole short file to its last byte), has sub-messages and enough
    complete fields that random bytes and other formats do not pass by chance."""
    if len(head) < MIN_PROTOBUF_BYTES or _looks_like_text(head):
        return False
    found = _structure(head, len(head) < 4096, 0)
    if found is None:
        return False
    count, nested = found
    return nested and count >= MIN_COMPLETE_FIELDS


def scan_protobuf(ctx: ScanContext, stream: BinaryIO) -> None:
    reader = WireReader(stream)
    counts: dict[int, int] = {}
    try:
        for f in reader.fields(0, reader.size):
            if f.number in counts or len(counts) < 256:
                counts[f.number] = counts.get(f.number, 0) + 1
    except ProtobufError as exc:
        ctx.report(
            PROTOBUF_INCOMPLETE,
            f"protobuf wire format invalid: {exc.reason}",
            location=Location(offset=exc.offset),
            evidence=f"stopped at byte {exc.offset} of {reader.size}",
        )
        return
    summary = ", ".join(f"field {n}×{c}" for n, c in sorted(counts.items())[:20])
    kind = (
        "SentencePiece-like model" if counts.get(1, 0) > 1 and set(counts) <= {1, 2, 3, 4, 5} else "message"
    )
    ctx.report(
        PROTOBUF_GENERIC,
        f"complete protobuf {kind} of {reader.size} bytes; schema not interpreted",
        location=Location(offset=0),
        evidence=summary,
    )
