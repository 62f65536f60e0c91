"""MessagePack structure check (Flax ``flax_model.msgpack``): does the stream hold exactly one complete object?

MessagePack has no magic bytes, so nothing routes a stream here by content; ``weighbridge.scan.weights``
asks when a file's name promises a msgpack checkpoint. Nothing is decoded: every type byte is read, its
length fields bounded by what is left of the stream, payloads skipped. Containers only add to a count of
objects still to read (no recursion), and every object takes at least one byte, so the walk is bounded by
the stream's size.
"""

from __future__ import annotations

from typing import BinaryIO

# type byte -> (width of the length field, extra bytes before the payload) for str, bin and ext families
_SIZED = {0xC4: (1, 0), 0xC5: (2, 0), 0xC6: (4, 0), 0xC7: (1, 1), 0xC8: (2, 1), 0xC9: (4, 1),
          0xD9: (1, 0), 0xDA: (2, 0), 0xDB: (4, 0)}
# type byte -> fixed payload bytes (numbers, fixext with its type byte)
_FIXED = {0xCA: 4, 0xCB: 8, 0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8, 0xD0: 1, 0xD1: 2, 0xD2: 4, 0xD3: 8,
          0xD4: 2, 0xD5: 3, 0xD6: 5, 0xD7: 9, 0xD8: 17}
# type byte -> (width of the count field, objects per counted entry) for array16/32 and map16/32
_COUNTED = {0xDC: (2, 1), 0xDD: (4, 1), 0xDE: (2, 2), 0xDF: (4, 2)}


class _Short(Exception):
    pass


def check_msgpack(stream: BinaryIO, size: int) -> str | None:
    """``None`` when ``stream`` (seekable and buffered, ``size`` bytes, positioned at 0) is exactly one complete MessagePack object;
    otherwise what is wrong, naming the byte offset."""
    reader = stream
    pos = 0
    remaining = 1

    def take(n: int) -> bytes:
        nonlocal pos
        if n > size - pos:
            raise _Short(f"truncated at byte {size}: {n} byte(s) needed at offset {pos}, {size - pos} left")
        data = reader.read(n)
        if len(data) < n:
            raise _Short(f"truncated at byte {pos + len(data)}: the stream ended early")
        pos += n
        return data

    def skip(n: int, what: str, at: int) -> None:
        nonlocal pos
        if n > size - pos:
            raise _Short(f"truncated at byte {size} of {pos + n} declared: {what} at offset {at} needs {n} "
                         f"byte(s), {size - pos} left")
        reader.seek(pos + n)
        pos += n

    try:
        while remaining:
            at = pos
            kind = take(1)[0]
            remaining -= 1
            if kind <= 0x7F or kind >= 0xE0 or kind in (0xC0, 0xC2, 0xC3):
                continue
            if kind == 0xC1:
                return f"byte 0xc1 at offset {at} is not a MessagePack type"
            count = 0
            if 0x80 <= kind <= 0x8F:
                count = 2 * (kind & 0x0F)
            elif 0x90 <= kind <= 0x9F:
                count = kind & 0x0F
            elif 0xA0 <= kind <= 0xBF:
                skip(kind & 0x1F, "a string", at)
            elif kind in _FIXED:
                skip(_FIXED[kind], f"a value of type 0x{kind:02x}", at)
            elif kind in _SIZED:
                width, extra = _SIZED[kind]
                length = int.from_bytes(take(width), "big")
                skip(length + extra, f"a {length}-byte payload", at)
            else:
                width, per = _COUNTED[kind]
                count = int.from_bytes(take(width), "big") * per
            if count:
                if count > size - pos:
                    return (f"truncated at byte {size}: a container at offset {at} holds {count} object(s), more "
                            f"than the {size - pos} byte(s) left")
                remaining += count
    except _Short as exc:
        return str(exc)
    if pos < size:
        return f"{size - pos} byte(s) follow the MessagePack object that ends at offset {pos}"
    return None
