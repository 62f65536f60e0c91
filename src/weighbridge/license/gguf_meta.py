"""The ``general.*`` string metadata of a GGUF file, read with the GGUF parser's own cursor.

Only the key/value section is read; tokenizer arrays are skipped string by string, never held, and tensor
data is never touched. Values are bounded; anything malformed ends the reading with what was read so far.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

from ..formats.gguf import _FIXED_SIZES, MAGIC, MAX_KV, ValueType, _Cursor, _Truncated

MAX_VALUE_BYTES = 64 * 1024
MAX_ARRAY_DEPTH = 8


@dataclass(slots=True)
class GGUFMetadata:
    values: dict[str, str] = field(default_factory=dict)
    error: str | None = None


class _Malformed(Exception):
    pass


def is_gguf(path: str | Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == MAGIC
    except OSError:
        return False


def read_general_strings(path: str | Path, prefix: str = "general.") -> GGUFMetadata:
    """Every string value whose key starts with ``prefix`` (``general.license``, ``general.name``…)."""
    meta = GGUFMetadata()
    try:
        with open(path, "rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            head = stream.read(8)
            if len(head) < 8 or head[:4] != MAGIC:
                meta.error = "not a GGUF file"
                return meta
            version = int.from_bytes(head[4:8], "little")
            endian = "<" if version in (1, 2, 3) else ">"
            if endian == ">" and int.from_bytes(head[4:8], "big") not in (1, 2, 3):
                meta.error = f"unsupported GGUF version {version}"
                return meta
            v1 = (version if endian == "<" else int.from_bytes(head[4:8], "big")) == 1
            cur = _Cursor(stream, size, endian, 8)
            length = cur.u32 if v1 else cur.u64
            cur.uint(length)  # tensor count
            kv_count = cur.uint(length)
            if kv_count > MAX_KV:
                meta.error = f"metadata count {kv_count} exceeds {MAX_KV}"
                return meta
            for _ in range(kv_count):
                _pair(cur, length, prefix, meta)
    except (_Truncated, _Malformed, OSError, struct.error) as exc:
        meta.error = f"GGUF metadata could not be read to the end: {exc}"
    return meta


def _pair(cur: _Cursor, length: struct.Struct, prefix: str, meta: GGUFMetadata) -> None:
    key = _string(cur, length, 65_535)
    vtype = cur.uint(cur.u32)
    if vtype == ValueType.STRING and key is not None and key.startswith(prefix):
        value = _string(cur, length, MAX_VALUE_BYTES)
        if value is not None:
            meta.values[key] = value
        return
    _skip(cur, length, vtype, 0)


def _string(cur: _Cursor, length: struct.Struct, limit: int) -> str | None:
    n = cur.uint(length)
    if n > limit:
        cur.skip(n)
        return None
    return cur.take(n).decode("utf-8", "replace")


def _skip(cur: _Cursor, length: struct.Struct, vtype: int, depth: int) -> None:
    fixed = _FIXED_SIZES.get(vtype)
    if fixed is not None:
        cur.skip(fixed)
    elif vtype == ValueType.STRING:
        cur.skip(cur.uint(length))
    elif vtype == ValueType.ARRAY:
        if depth >= MAX_ARRAY_DEPTH:
            raise _Malformed("arrays nest too deeply")
        etype = cur.uint(cur.u32)
        count = cur.uint(length)
        size = _FIXED_SIZES.get(etype)
        if size is not None:
            cur.skip(count * size)
        elif etype == ValueType.STRING:
            cur.skip_strings(count, length)
        elif etype == ValueType.ARRAY:
            if count > cur.remaining():
                raise _Malformed(f"array of {count} arrays cannot fit")
            for _ in range(count):
                _skip(cur, length, ValueType.ARRAY, depth + 1)
        else:
            raise _Malformed(f"unknown array element type {etype}")
    else:
        raise _Malformed(f"unknown value type {vtype}")
