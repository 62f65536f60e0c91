"""Read the ``general.*`` metadata of a GGUF file: identity, authorship, licence, source and lineage keys.

The scanner's parser (``formats/gguf.py``) checks the whole file but keeps no values; this reader walks the
same key/value section with its cursor and the same bounds (``MAX_KV``, ``MAX_KEY_BYTES``, ``MAX_ARRAY_DEPTH``,
every length checked against the bytes left) and keeps only ``general.*`` values (and ``tokenizer.ggml.model``):
strings up to ``MAX_VALUE_BYTES``, string arrays up to ``MAX_ARRAY_ITEMS``. Everything else (tokenizer
vocabularies included) is skipped through the cursor's read window, never held. It stops before the tensor
infos. Bad input becomes a ``MetadataProblem``.
"""

from __future__ import annotations

import os
import re
import struct
from typing import BinaryIO

from ..core.provenance import GGUFBaseModel, GGUFGeneral, GGUFValue, MetadataProblem
from ..core.report import SnapshotFile
from ..formats.gguf import (
    MAGIC,
    MAX_ARRAY_DEPTH,
    MAX_KEY_BYTES,
    MAX_KV,
    Cursor,
    MetadataHeader,
    NotGGUF,
    Truncated,
    ValueType,
    read_metadata_header,
)

MAX_VALUE_BYTES = 64 * 1024
MAX_ARRAY_ITEMS = 256
PREFIX = "general."
KEPT_KEYS = frozenset({"tokenizer.ggml.model"})  # outside general.*: says the file carries its tokenizer
_BASE_MODEL_KEY = re.compile(
    r"general\.base_model\.(\d{1,4})\.(name|organization|author|version|repo_url|url)"
)
_MAX_BASE_MODELS = 64
_FLOATS = frozenset({ValueType.FLOAT32, ValueType.FLOAT64})


def is_gguf(path: str | os.PathLike[str]) -> bool:
    """Whether the file starts with the GGUF magic (whatever its name: Ollama blobs have no suffix)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == MAGIC
    except OSError:
        return False


def read_gguf_general(file: SnapshotFile) -> GGUFGeneral:
    try:
        with open(file.abspath, "rb") as fh:
            size = fh.seek(0, 2)
            fh.seek(0)
            return _Reader(fh, size, file.rel).run()
    except OSError as exc:
        return GGUFGeneral(
            file=file.rel,
            complete=False,
            problems=(
                MetadataProblem(
                    file.rel, f"GGUF file could not be read: {exc.strerror or type(exc).__name__}"
                ),
            ),
        )


class _Invalid(Exception):
    """The metadata cannot be walked past this point; the message says why."""


class _Reader:
    def __init__(self, stream: BinaryIO, size: int, rel: str) -> None:
        self.stream, self.size, self.rel = stream, size, rel
        self.values: dict[str, GGUFValue] = {}
        self.offsets: dict[str, int] = {}
        self.problems: list[MetadataProblem] = []

    def _problem(self, message: str, key: str | None = None) -> None:
        self.problems.append(MetadataProblem(self.rel, message, key=key))

    def run(self) -> GGUFGeneral:
        complete = True
        try:
            self._walk(read_metadata_header(self.stream, self.size))
        except Truncated as exc:
            complete = False
            self._problem(f"GGUF metadata ends early and could not be read to the end: {exc}")
        except (NotGGUF, _Invalid) as exc:
            complete = False
            self._problem(f"GGUF metadata cannot be read further: {exc}")
        return GGUFGeneral(
            file=self.rel,
            values=self.values,
            offsets=self.offsets,
            base_models=_base_models(self.values),
            complete=complete,
            problems=tuple(self.problems),
        )

    def _walk(self, header: MetadataHeader) -> None:
        cur, length = header.cursor, header.length
        if header.kv_count > MAX_KV or header.kv_count > cur.remaining() // (length.size + 5):
            raise _Invalid(f"metadata count {header.kv_count} exceeds the file or the limit of {MAX_KV}")
        for _ in range(header.kv_count):
            self._kv(cur, length)

    def _kv(self, cur: Cursor, length: struct.Struct) -> None:
        at = cur.pos
        size = cur.uint(length)
        if size > MAX_KEY_BYTES:
            raise _Invalid(f"metadata key at offset {at} is {size} bytes long (limit {MAX_KEY_BYTES})")
        key = cur.take(size).decode("utf-8", "replace")
        vtype = cur.uint(cur.u32)
        if not key.startswith(PREFIX) and key not in KEPT_KEYS:
            _skip(cur, length, vtype, 0, key)
            return
        value = self._value(cur, length, vtype, key)
        if value is None:
            return
        if key in self.values:
            self._problem(
                f"{key!r} appears more than once; the first value is used (readers disagree on which "
                "copy counts)",
                key=key,
            )
            return
        self.values[key] = value
        self.offsets[key] = at

    def _value(self, cur: Cursor, length: struct.Struct, vtype: int, key: str) -> GGUFValue | None:
        st = cur.fixed.get(vtype)
        if st is not None:
            number = cur.unpack(st)
            if vtype == ValueType.BOOL:
                return bool(number)
            return float(number) if vtype in _FLOATS else int(number)
        if vtype == ValueType.STRING:
            return self._string(cur, length, key)
        if vtype == ValueType.ARRAY:
            return self._array(cur, length, key)
        raise _Invalid(f"value of {key!r} has unknown type {vtype}")

    def _string(self, cur: Cursor, length: struct.Struct, key: str) -> str | None:
        size = cur.uint(length)
        if size > MAX_VALUE_BYTES:
            cur.skip(size)
            self._problem(f"{key!r} is {size} bytes long (limit {MAX_VALUE_BYTES}); not read", key=key)
            return None
        raw = cur.take(size)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self._problem(f"{key!r} is not UTF-8; undecodable bytes were replaced", key=key)
            return raw.decode("utf-8", "replace")

    def _array(self, cur: Cursor, length: struct.Struct, key: str) -> tuple[str, ...] | None:
        at = cur.pos
        etype = cur.uint(cur.u32)
        count = cur.uint(length)
        if etype != ValueType.STRING or count > MAX_ARRAY_ITEMS:
            cur.pos = at
            _skip(cur, length, ValueType.ARRAY, 0, key)
            return None
        items = [self._string(cur, length, key) for _ in range(count)]
        return tuple(item for item in items if item is not None)


def _skip(cur: Cursor, length: struct.Struct, vtype: int, depth: int, key: str) -> None:
    st = cur.fixed.get(vtype)
    if st is not None:
        cur.skip(st.size)
    elif vtype == ValueType.STRING:
        cur.skip(cur.uint(length))
    elif vtype == ValueType.ARRAY:
        if depth + 1 >= MAX_ARRAY_DEPTH:
            raise _Invalid(f"arrays in {key!r} nest deeper than {MAX_ARRAY_DEPTH} levels")
        etype = cur.uint(cur.u32)
        count = cur.uint(length)
        element = cur.fixed.get(etype)
        minimum = element.size if element is not None else length.size
        if element is None and etype not in (ValueType.STRING, ValueType.ARRAY):
            raise _Invalid(f"array {key!r} has unknown element type {etype}")
        if count * minimum > cur.remaining():
            raise _Invalid(f"array {key!r} claims {count} elements, more than the file holds")
        if element is not None:
            cur.skip(count * element.size)
        elif etype == ValueType.STRING:
            cur.skip_strings(count, length)
        else:
            for _ in range(count):
                _skip(cur, length, etype, depth + 1, key)
    else:
        raise _Invalid(f"value of {key!r} has unknown type {vtype}")


def _base_models(values: dict[str, GGUFValue]) -> tuple[GGUFBaseModel, ...]:
    fields: dict[int, dict[str, str]] = {}
    for key, value in values.items():
        match = _BASE_MODEL_KEY.fullmatch(key)
        if match is not None and isinstance(value, str) and value.strip():
            index = int(match.group(1))
            if index < _MAX_BASE_MODELS:
                fields.setdefault(index, {})[match.group(2)] = value.strip()
    count = values.get("general.base_model.count")
    if isinstance(count, int) and not isinstance(count, bool):
        for index in range(min(count, _MAX_BASE_MODELS)):
            fields.setdefault(index, {})
    return tuple(GGUFBaseModel(index=i, **fields[i]) for i in sorted(fields))
