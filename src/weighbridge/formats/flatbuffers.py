"""A bounds-checked FlatBuffers reader over a seekable stream (TFLite and ExecuTorch files).

Only what the schema-aware callers ask for is read: a table's vtable, scalar fields, strings and vector
elements, each through ``WindowReader`` with every offset checked against the file size. Nothing is mapped or
trusted: an offset outside the file, a vtable that does not fit or a vector longer than the data raises
``FlatBufferError``, which callers report (fail closed).
"""

from __future__ import annotations

import io
import struct
from typing import BinaryIO

_WINDOW = 64 * 1024


class FlatBufferError(Exception):
    """The bytes are not a valid flatbuffer at ``offset``."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"offset {offset}: {reason}")
        self.offset = offset
        self.reason = reason


class WindowReader:
    """Random access to a seekable stream through one bounded buffer."""

    def __init__(self, stream: BinaryIO, size: int | None = None) -> None:
        self._stream = stream
        self.size = stream.seek(0, io.SEEK_END) if size is None else size
        self._buf = b""
        self._start = 0

    def read(self, pos: int, n: int) -> bytes:
        if pos < 0 or n < 0 or pos + n > self.size:
            raise FlatBufferError(pos, f"{n} bytes at {pos} lie outside the {self.size}-byte file")
        rel = pos - self._start
        if rel >= 0 and rel + n <= len(self._buf):
            return self._buf[rel : rel + n]
        self._stream.seek(pos)
        want = max(n, min(_WINDOW, self.size - pos))
        data = self._stream.read(want)
        if len(data) < n:
            raise FlatBufferError(pos, "unexpected end of data")
        self._buf, self._start = data, pos
        return data[:n]

    def u8(self, pos: int) -> int:
        return self.read(pos, 1)[0]

    def u16(self, pos: int) -> int:
        return int(struct.unpack("<H", self.read(pos, 2))[0])

    def u32(self, pos: int) -> int:
        return int(struct.unpack("<I", self.read(pos, 4))[0])

    def i32(self, pos: int) -> int:
        return int(struct.unpack("<i", self.read(pos, 4))[0])

    def u64(self, pos: int) -> int:
        return int(struct.unpack("<Q", self.read(pos, 8))[0])


class Table:
    """One flatbuffer table: field ``i`` is the i-th field of the schema (vtable slot ``4 + 2*i``)."""

    def __init__(self, reader: WindowReader, pos: int) -> None:
        self.r = reader
        self.pos = pos
        vtable = pos - reader.i32(pos)
        vsize = reader.u16(vtable)
        if vsize < 4 or vsize % 2 or vtable + vsize > reader.size:
            raise FlatBufferError(vtable, f"vtable of size {vsize} is invalid")
        self.vtable = vtable
        self.vsize = vsize
        self.tsize = reader.u16(vtable + 2)

    def _field(self, index: int) -> int | None:
        slot = 4 + 2 * index
        if slot + 2 > self.vsize:
            return None
        offset = self.r.u16(self.vtable + slot)
        if offset == 0:
            return None
        if offset >= max(self.tsize, 4):
            raise FlatBufferError(self.pos, f"field {index} lies outside its table")
        return self.pos + offset

    def scalar(self, index: int, fmt: str, default: int = 0) -> int:
        at = self._field(index)
        if at is None:
            return default
        return int(struct.unpack("<" + fmt, self.r.read(at, struct.calcsize(fmt)))[0])

    def _target(self, index: int) -> int | None:
        at = self._field(index)
        return None if at is None else at + self.r.u32(at)

    def string(self, index: int, cap: int = 4096) -> str | None:
        at = self._target(index)
        return None if at is None else read_string(self.r, at, cap)

    def table(self, index: int) -> Table | None:
        at = self._target(index)
        return None if at is None else Table(self.r, at)

    def vector(self, index: int) -> tuple[int, int] | None:
        """(position of the first element, element count)."""
        at = self._target(index)
        if at is None:
            return None
        count = self.r.u32(at)
        return at + 4, count

    def tables(self, index: int, limit: int) -> list[Table]:
        """The tables of a vector of tables (at most ``limit``; FlatBufferError when there are more)."""
        vec = self.vector(index)
        if vec is None:
            return []
        start, count = vec
        if count > limit:
            raise FlatBufferError(start - 4, f"vector of {count} tables exceeds the limit of {limit}")
        if start + 4 * count > self.r.size:
            raise FlatBufferError(start - 4, f"vector of {count} elements runs past the end of the file")
        return [Table(self.r, start + 4 * i + self.r.u32(start + 4 * i)) for i in range(count)]


def read_string(reader: WindowReader, at: int, cap: int = 4096) -> str:
    length = reader.u32(at)
    if at + 4 + length > reader.size:
        raise FlatBufferError(at, f"string of {length} bytes runs past the end of the file")
    raw = reader.read(at + 4, min(length, cap))
    text = raw.decode("utf-8", errors="replace")
    return text + "…" if length > cap else text


def root(reader: WindowReader) -> Table:
    return Table(reader, reader.u32(0))
