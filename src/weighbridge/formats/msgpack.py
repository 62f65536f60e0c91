"""MessagePack checkpoints (Flax ``flax.serialization``, orbax aggregate files, msgpack-numpy), parsed by hand.

MessagePack itself carries only data, but the code that restores it decides what extension types and binary
payloads become: msgpack-numpy turns an array of kind ``O`` into ``pickle.loads(data)``, and other hooks
unpickle binary blobs. Every binary or extension payload that is a pickle (or an object array's data) is
therefore handed to the dispatcher, which sends it to the pickle analyser. Flax arrays (extension type 1:
shape, dtype, bytes) are checked for a byte count that matches their shape. Recognised by content: a map with
at least one entry whose first key is a string; the walk is iterative and bounded (depth, items, bytes).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, BinaryIO

from ..core.findings import Check, Location, Severity
from ..core.rules import define
from .base import FormatHandler, ScanContext, StreamWindow
from .flatbuffers import FlatBufferError, WindowReader

MALFORMED = define(
    "WB-MSGPACK-001",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "MessagePack checkpoint could not be parsed",
    "The MessagePack stream is truncated, uses a reserved type byte, nests too deeply or declares more items "
    "than it has bytes; what follows was not inspected.",
)
ARRAY_SIZE = define(
    "WB-MSGPACK-002",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Array payload does not match its shape",
    "A Flax array's byte count differs from what its shape and dtype need; restoring reads a different array "
    "than declared or fails part-way.",
)
UNKNOWN_EXT = define(
    "WB-MSGPACK-003",
    Check.ARTIFACT,
    Severity.LOW,
    "MessagePack extension type outside Flax's",
    "The stream uses extension types other than Flax's arrays, complex numbers and scalars; what they become "
    "depends on the restoring code's extension hook.",
)

MAX_DEPTH = 256
MAX_ITEMS = 50_000_000
MAX_NESTED = 64
SMALL = 4096  # payloads up to this size are read for inspection (dtype strings, keys)
FLAX_EXTS = frozenset({1, 2, 3})
_ITEMSIZE = {
    "bool": 1,
    "int8": 1,
    "uint8": 1,
    "int16": 2,
    "uint16": 2,
    "float16": 2,
    "bfloat16": 2,
    "int32": 4,
    "uint32": 4,
    "float32": 4,
    "int64": 8,
    "uint64": 8,
    "float64": 8,
    "complex64": 8,
    "complex128": 16,
    "float8_e4m3fn": 1,
    "float8_e5m2": 1,
}
_PICKLE_HEADS = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")


class MsgpackError(Exception):
    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"offset {offset}: {reason}")
        self.offset = offset
        self.reason = reason


@dataclass(slots=True)
class Payload:
    kind: str  # "bin" | "ext"
    offset: int  # of the payload bytes
    length: int
    ext: int = 0


def _header(r: WindowReader, pos: int) -> tuple[str, int, int, int]:
    """(kind, value/count/length, extension type, position after the header) of the item at ``pos``."""
    b = r.u8(pos)
    if b <= 0x7F or b >= 0xE0:
        return "int", b, 0, pos + 1
    if 0x80 <= b <= 0x8F:
        return "map", b & 0x0F, 0, pos + 1
    if 0x90 <= b <= 0x9F:
        return "array", b & 0x0F, 0, pos + 1
    if 0xA0 <= b <= 0xBF:
        return "str", b & 0x1F, 0, pos + 1
    if b in (0xC0, 0xC2, 0xC3):
        return "scalar", 0, 0, pos + 1
    if b == 0xC1:
        raise MsgpackError(pos, "reserved type byte 0xc1")
    if b in (0xC4, 0xC5, 0xC6, 0xD9, 0xDA, 0xDB):
        width = {0xC4: 1, 0xC5: 2, 0xC6: 4, 0xD9: 1, 0xDA: 2, 0xDB: 4}[b]
        n = int.from_bytes(r.read(pos + 1, width), "big")
        return ("bin" if b <= 0xC6 else "str"), n, 0, pos + 1 + width
    if b in (0xC7, 0xC8, 0xC9):
        width = {0xC7: 1, 0xC8: 2, 0xC9: 4}[b]
        n = int.from_bytes(r.read(pos + 1, width), "big")
        return "ext", n, r.read(pos + 1 + width, 1)[0], pos + 2 + width
    if 0xD4 <= b <= 0xD8:
        return "ext", 1 << (b - 0xD4), r.u8(pos + 1), pos + 2
    if b in (0xCA, 0xCB, 0xCC, 0xCD, 0xCE, 0xCF, 0xD0, 0xD1, 0xD2, 0xD3):
        width = {0xCA: 4, 0xCB: 8, 0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8, 0xD0: 1, 0xD1: 2, 0xD2: 4, 0xD3: 8}[b]
        r.read(pos + 1, width)
        return "scalar", 0, 0, pos + 1 + width
    if b in (0xDC, 0xDD, 0xDE, 0xDF):
        width = 2 if b in (0xDC, 0xDE) else 4
        n = int.from_bytes(r.read(pos + 1, width), "big")
        return ("array" if b <= 0xDD else "map"), n, 0, pos + 1 + width
    raise MsgpackError(pos, f"invalid type byte 0x{b:02x}")


def walk(
    r: WindowReader,
    start: int,
    end: int,
    payloads: list[Payload],
    strings: list[tuple[int, str]],
    max_items: int = MAX_ITEMS,
) -> int:
    """Walk one value at ``start``; collect binary/extension payloads and short strings (offset, text).
    Returns the position after the value."""
    pos = start
    pending = [1]  # items still to read at each open container level
    items = 0
    while pending:
        if pending[-1] == 0:
            pending.pop()
            continue
        pending[-1] -= 1
        if pos >= end:
            raise MsgpackError(pos, "data ends inside a value")
        items += 1
        if items > max_items:
            raise MsgpackError(pos, f"more than {max_items} items")
        kind, n, ext, after = _header(r, pos)
        if kind in ("map", "array"):
            count = n * 2 if kind == "map" else n
            if count > end - after:
                raise MsgpackError(pos, f"{kind} declares {n} entries, only {end - after} bytes follow")
            if len(pending) >= MAX_DEPTH:
                raise MsgpackError(pos, f"containers nested deeper than {MAX_DEPTH}")
            pending.append(count)
            pos = after
        elif kind in ("str", "bin", "ext"):
            if after + n > end:
                raise MsgpackError(pos, f"{kind} of {n} bytes runs past the end of the data")
            if kind == "str" and n <= 256 and len(strings) < 100_000:
                strings.append((pos, r.read(after, n).decode("utf-8", "replace")))
            elif kind != "str":
                payloads.append(Payload(kind, after, n, ext))
            pos = after + n
        else:
            pos = after
    return pos


def _small_value(r: WindowReader, p: Payload) -> list[Any] | None:
    """Decode a Flax extension payload ([shape, dtype, data] or [dtype, data]) shallowly."""
    if p.length > SMALL * 16 and p.ext != 1:
        return None
    try:
        kind, n, _, after = _header(r, p.offset)
    except (MsgpackError, FlatBufferError):
        return None
    if kind != "array" or n not in (2, 3):
        return None
    out: list[Any] = []
    pos = after
    for _ in range(n):
        kind, value, _, after = _header(r, pos)
        if kind == "array":
            dims = []
            pos = after
            for _ in range(min(value, 64)):
                k, v, _, pos = _header(r, pos)
                if k != "int":
                    return None
                dims.append(v)
            out.append(tuple(dims))
        elif kind == "str":
            out.append(r.read(after, min(value, 64)).decode("utf-8", "replace"))
            pos = after + value
        elif kind == "bin":
            out.append(value)  # the byte count
            pos = after + value
        else:
            return None
    return out


def _sniff(head: bytes, name: str) -> bool:
    if not head:
        return False
    b = head[0]
    if 0x81 <= b <= 0x8F:
        key = 1
    elif b in (0xDE, 0xDF) and len(head) > 5:
        width = 2 if b == 0xDE else 4
        if int.from_bytes(head[1 : 1 + width], "big") == 0:
            return False
        key = 1 + width
    else:
        return False
    if len(head) <= key or not (0xA0 <= head[key] <= 0xBF or head[key] in (0xD9, 0xDA, 0xDB)):
        return False
    reader = WindowReader(io.BytesIO(head), len(head))
    cut = len(head) >= 4096  # the head is a prefix of a longer stream
    try:
        end = walk(reader, 0, len(head), [], [], max_items=4096)
    except MsgpackError as exc:
        # a checkpoint is one map spanning the whole file: in a prefix it can only run out of bytes
        return cut and (
            exc.reason.startswith(("data ends", "str of", "bin of", "ext of")) or "declares" in exc.reason
        )
    except FlatBufferError:
        return cut
    return not cut and end == len(head)  # a map that ends early is followed by something else: not msgpack


def _scan(ctx: ScanContext, stream: BinaryIO) -> None:
    reader = WindowReader(stream)
    payloads: list[Payload] = []
    strings: list[tuple[int, str]] = []
    try:
        end = walk(reader, 0, reader.size, payloads, strings)
        if end < reader.size:
            ctx.report(
                MALFORMED,
                f"{reader.size - end} bytes follow the MessagePack value",
                location=Location(offset=end),
                evidence=f"value ends at {end} of {reader.size}",
            )
            ctx.scan_nested(
                StreamWindow(stream, end, reader.size - end),  # type: ignore[arg-type]
                f"<data at offset {end}>",
                reader.size - end,
            )
    except (MsgpackError, FlatBufferError) as exc:
        offset = getattr(exc, "offset", 0)
        ctx.report(
            MALFORMED,
            f"MessagePack invalid: {getattr(exc, 'reason', exc)}",
            location=Location(offset=offset),
            evidence=f"stopped at byte {offset} of {reader.size}",
        )
    _check_payloads(ctx, stream, reader, payloads, strings)


def _check_payloads(
    ctx: ScanContext,
    stream: BinaryIO,
    reader: WindowReader,
    payloads: list[Payload],
    strings: list[tuple[int, str]],
) -> None:
    object_data = _object_array_data(strings)
    unknown: dict[int, int] = {}
    nested = 0
    for p in payloads:
        if p.kind == "ext" and p.ext not in FLAX_EXTS:
            unknown[p.ext] = unknown.get(p.ext, 0) + 1
        if p.kind == "ext" and p.ext == 1:
            _check_array(ctx, reader, p)
        head = reader.read(p.offset, min(2, p.length)) if p.length else b""
        is_object = any(0 < p.offset - at < 64 for at in object_data)
        if (head in _PICKLE_HEADS or is_object) and nested < MAX_NESTED:
            nested += 1
            ctx.scan_nested(
                StreamWindow(stream, p.offset, p.length),  # type: ignore[arg-type]
                f"<msgpack {p.kind} at offset {p.offset}>",
                p.length,
            )
    for ext, count in sorted(unknown.items())[:10]:
        ctx.report(UNKNOWN_EXT, f"{count} value(s) of extension type {ext}", evidence=f"ext type {ext}")


def _object_array_data(strings: list[tuple[int, str]]) -> list[int]:
    """Offsets of msgpack-numpy ``data`` keys that belong to object arrays (``kind: "O"`` just before)."""
    out: list[int] = []
    for i, (_, text) in enumerate(strings):
        if text == "kind" and i + 1 < len(strings) and strings[i + 1][1] in ("O", "|O"):
            for at, later in strings[i + 2 : i + 8]:
                if later == "data":
                    out.append(at)
                    break
    return out


def _check_array(ctx: ScanContext, reader: WindowReader, p: Payload) -> None:
    value = _small_value(reader, p)
    if not value or len(value) != 3 or not isinstance(value[0], tuple) or not isinstance(value[1], str):
        return
    shape, dtype, nbytes = value
    itemsize = _ITEMSIZE.get(dtype)
    if itemsize is None or not isinstance(nbytes, int):
        return
    count = 1
    for d in shape:
        count *= d
    if count * itemsize != nbytes:
        ctx.report(
            ARRAY_SIZE,
            f"array of shape {shape} and dtype {dtype} needs {count * itemsize} bytes, payload has {nbytes}",
            location=Location(offset=p.offset),
            evidence=f"shape={shape} dtype={dtype}",
        )


MSGPACK_HANDLER = FormatHandler(name="msgpack", sniff=_sniff, scan=_scan, needs_seek=True)

__all__ = ["MSGPACK_HANDLER", "MsgpackError", "Payload", "walk"]
