"""Read the ``general.*`` metadata of a GGUF file: identity, authorship, licence, source and lineage keys.

The scanner's parser (``formats/gguf.py``) checks the whole file but keeps no values; this reader walks the
same key/value section with the same bounds (``MAX_KV``, ``MAX_KEY_BYTES``, ``MAX_ARRAY_DEPTH``, every length
checked against the bytes left) and keeps only ``general.*`` values (and ``tokenizer.ggml.model``): strings up to ``MAX_VALUE_BYTES``, string
arrays up to ``MAX_ARRAY_ITEMS``. Everything else (tokenizer vocabularies included) is skipped through a small
read window, never held. It stops before the tensor infos. Bad input becomes a ``MetadataProblem``.
"""

from __future__ import annotations

import re
import struct
from typing import BinaryIO

from ..core.types import GGUFBaseModel, GGUFGeneral, GGUFValue, MetadataProblem, Snapshot, SnapshotFile
from ..formats.base import read_exact
from ..formats.gguf import MAGIC, MAX_ARRAY_DEPTH, MAX_KEY_BYTES, MAX_KV, ValueType

MAX_VALUE_BYTES = 64 * 1024
MAX_ARRAY_ITEMS = 256
MAX_GGUF_FILES = 16  # GGUF files of one snapshot read for provenance
PREFIX = "general."
KEPT_KEYS = frozenset({"tokenizer.ggml.model"})  # outside general.*: says the file carries its tokenizer
_WINDOW = 1 << 20
_BASE_MODEL_KEY = re.compile(r"general\.base_model\.(\d{1,4})\.(name|organization|author|version|repo_url|url)")
_MAX_BASE_MODELS = 64

_FIXED = {ValueType.UINT8: "B", ValueType.INT8: "b", ValueType.UINT16: "H", ValueType.INT16: "h",
          ValueType.UINT32: "I", ValueType.INT32: "i", ValueType.FLOAT32: "f", ValueType.BOOL: "B",
          ValueType.UINT64: "Q", ValueType.INT64: "q", ValueType.FLOAT64: "d"}
_FLOATS = frozenset({ValueType.FLOAT32, ValueType.FLOAT64})

# llama.cpp ``llama_ftype`` / gguf-py ``LlamaFileType``: what ``general.file_type`` says about the weights.
FILE_TYPES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 4: "Q4_1_SOME_F16", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
              10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
              17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS",
              24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS",
              31: "IQ1_M", 32: "BF16", 33: "Q4_0_4_4", 34: "Q4_0_4_8", 35: "Q4_0_8_8", 36: "TQ1_0", 37: "TQ2_0",
              38: "MXFP4_MOE", 39: "NVFP4", 40: "Q1_0"}
UNQUANTIZED_FILE_TYPES = frozenset({0, 1, 32})


def file_type_name(gguf: GGUFGeneral) -> str | None:
    code = gguf.integer("general.file_type")
    return None if code is None else FILE_TYPES.get(code, f"unknown ({code})")


def is_quantized(gguf: GGUFGeneral) -> bool | None:
    """True for quantized weights, False for F32/F16/BF16 conversions, None when the file does not say."""
    code = gguf.integer("general.file_type")
    return None if code is None else code not in UNQUANTIZED_FILE_TYPES


def find_gguf_files(snapshot: Snapshot) -> list[SnapshotFile]:
    """Files of the snapshot that start with the GGUF magic, whatever their name (Ollama names none .gguf)."""
    found = []
    for file in snapshot.files:
        try:
            with open(file.abspath, "rb") as fh:
                if fh.read(4) == MAGIC:
                    found.append(file)
        except OSError:
            continue
    return found


def read_gguf_general(file: SnapshotFile) -> GGUFGeneral:
    try:
        with open(file.abspath, "rb") as fh:
            size = fh.seek(0, 2)
            fh.seek(0)
            return _Reader(fh, size, file.rel).run()
    except OSError as exc:
        return GGUFGeneral(file=file.rel, complete=False, problems=(
            MetadataProblem(file.rel, f"GGUF file could not be read: {exc.strerror or type(exc).__name__}"),))


class _Short(Exception):
    def __init__(self, offset: int, wanted: int) -> None:
        super().__init__(f"needs {wanted} bytes at offset {offset} beyond the end of the file")


class _Invalid(Exception):
    """The metadata cannot be walked past this point; the message says why."""


class _Cursor:
    """Sequential reads through a 1 MiB window of a seekable file; never past ``size``."""

    def __init__(self, stream: BinaryIO, size: int, endian: str) -> None:
        self.stream, self.size, self.endian = stream, size, endian
        self.pos = 8
        self._buf = b""
        self._at = 0
        self.u32 = struct.Struct(endian + "I")
        self.u64 = struct.Struct(endian + "Q")

    def remaining(self) -> int:
        return self.size - self.pos

    def _window(self, n: int) -> int:
        if n > self.size - self.pos:
            raise _Short(self.pos, n)
        rel = self.pos - self._at
        if rel >= 0 and rel + n <= len(self._buf):
            return rel
        self.stream.seek(self.pos)
        try:
            self._buf = read_exact(self.stream, min(max(n, _WINDOW), self.size - self.pos))
        except EOFError:
            raise _Short(self.pos, n) from None
        self._at = self.pos
        return 0

    def take(self, n: int) -> bytes:
        rel = self._window(n)
        self.pos += n
        return self._buf[rel:rel + n]

    def unpack(self, st: struct.Struct) -> int | float:
        rel = self._window(st.size)
        self.pos += st.size
        value: int | float = st.unpack_from(self._buf, rel)[0]
        return value

    def uint(self, st: struct.Struct) -> int:
        return int(self.unpack(st))

    def skip(self, n: int) -> None:
        if n > self.size - self.pos:
            raise _Short(self.pos, n)
        self.pos += n

    def skip_strings(self, count: int, length: struct.Struct) -> None:
        """Skip ``count`` length-prefixed strings (tokenizer vocabularies) without a call per string."""
        for _ in range(count):
            rel = self.pos - self._at
            if rel < 0 or rel + length.size > len(self._buf):
                rel = self._window(length.size)
            n = length.unpack_from(self._buf, rel)[0]
            self.pos += length.size
            if n > self.size - self.pos:
                raise _Short(self.pos, n)
            self.pos += n


class _Reader:
    def __init__(self, stream: BinaryIO, size: int, rel: str) -> None:
        self.stream, self.size, self.rel = stream, size, rel
        self.values: dict[str, GGUFValue] = {}
        self.offsets: dict[str, int] = {}
        self.problems: list[MetadataProblem] = []
        self.cur = _Cursor(stream, size, "<")
        self.fixed = {t: struct.Struct("<" + f) for t, f in _FIXED.items()}
        self.v1 = False

    def _problem(self, message: str, key: str | None = None) -> None:
        self.problems.append(MetadataProblem(self.rel, message, key=key))

    def run(self) -> GGUFGeneral:
        complete = True
        try:
            self._walk()
        except _Short as exc:
            complete = False
            self._problem(f"GGUF metadata ends early: {exc}")
        except _Invalid as exc:
            complete = False
            self._problem(f"GGUF metadata cannot be read further: {exc}")
        return GGUFGeneral(file=self.rel, values=self.values, offsets=self.offsets,
                           base_models=_base_models(self.values), complete=complete, problems=tuple(self.problems))

    def _length_struct(self) -> struct.Struct:
        return self.cur.u32 if self.v1 else self.cur.u64

    def _walk(self) -> None:
        head = self.stream.read(8)
        if len(head) < 8 or head[:4] != MAGIC:
            raise _Invalid("the file does not start with a GGUF header")
        little, big = int.from_bytes(head[4:8], "little"), int.from_bytes(head[4:8], "big")
        if little in (1, 2, 3):
            version, endian = little, "<"
        elif big in (1, 2, 3):
            version, endian = big, ">"
        else:
            raise _Invalid(f"GGUF version {little} is not 1, 2 or 3")
        self.v1 = version == 1
        self.cur = _Cursor(self.stream, self.size, endian)
        self.fixed = {t: struct.Struct(endian + f) for t, f in _FIXED.items()}
        width = self._length_struct().size
        self.cur.uint(self._length_struct())  # tensor count: not needed here
        kv_count = self.cur.uint(self._length_struct())
        if kv_count > MAX_KV or kv_count > self.cur.remaining() // (width + 5):
            raise _Invalid(f"metadata count {kv_count} exceeds the file or the limit of {MAX_KV}")
        for _ in range(kv_count):
            self._kv()

    def _kv(self) -> None:
        at = self.cur.pos
        length = self.cur.uint(self._length_struct())
        if length > MAX_KEY_BYTES:
            raise _Invalid(f"metadata key at offset {at} is {length} bytes long (limit {MAX_KEY_BYTES})")
        key = self.cur.take(length).decode("utf-8", "replace")
        vtype = self.cur.uint(self.cur.u32)
        if not key.startswith(PREFIX) and key not in KEPT_KEYS:
            self._skip(vtype, 0, key)
            return
        value = self._value(vtype, key)
        if value is None:
            return
        if key in self.values:
            self._problem(f"{key!r} appears more than once; the first value is used (readers disagree on which "
                          "copy counts)", key=key)
            return
        self.values[key] = value
        self.offsets[key] = at

    def _value(self, vtype: int, key: str) -> GGUFValue | None:
        st = self.fixed.get(vtype)
        if st is not None:
            number = self.cur.unpack(st)
            if vtype == ValueType.BOOL:
                return bool(number)
            return float(number) if vtype in _FLOATS else int(number)
        if vtype == ValueType.STRING:
            return self._string(key)
        if vtype == ValueType.ARRAY:
            return self._array(key)
        raise _Invalid(f"value of {key!r} has unknown type {vtype}")

    def _string(self, key: str) -> str | None:
        length = self.cur.uint(self._length_struct())
        if length > MAX_VALUE_BYTES:
            self.cur.skip(length)
            self._problem(f"{key!r} is {length} bytes long (limit {MAX_VALUE_BYTES}); not read", key=key)
            return None
        raw = self.cur.take(length)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self._problem(f"{key!r} is not UTF-8; undecodable bytes were replaced", key=key)
            return raw.decode("utf-8", "replace")

    def _array(self, key: str) -> tuple[str, ...] | None:
        at = self.cur.pos
        etype = self.cur.uint(self.cur.u32)
        count = self.cur.uint(self._length_struct())
        if etype != ValueType.STRING or count > MAX_ARRAY_ITEMS:
            self.cur.pos = at
            self._skip(ValueType.ARRAY, 0, key)
            return None
        items = [self._string(key) for _ in range(count)]
        return tuple(item for item in items if item is not None)

    def _skip(self, vtype: int, depth: int, key: str) -> None:
        st = self.fixed.get(vtype)
        if st is not None:
            self.cur.skip(st.size)
        elif vtype == ValueType.STRING:
            self.cur.skip(self.cur.uint(self._length_struct()))
        elif vtype == ValueType.ARRAY:
            if depth + 1 >= MAX_ARRAY_DEPTH:
                raise _Invalid(f"arrays in {key!r} nest deeper than {MAX_ARRAY_DEPTH} levels")
            etype = self.cur.uint(self.cur.u32)
            count = self.cur.uint(self._length_struct())
            element = self.fixed.get(etype)
            minimum = element.size if element is not None else self._length_struct().size
            if etype not in self.fixed and etype not in (ValueType.STRING, ValueType.ARRAY):
                raise _Invalid(f"array {key!r} has unknown element type {etype}")
            if count * minimum > self.cur.remaining():
                raise _Invalid(f"array {key!r} claims {count} elements, more than the file holds")
            if element is not None:
                self.cur.skip(count * element.size)
            elif etype == ValueType.STRING:
                self.cur.skip_strings(count, self._length_struct())
            else:
                for _ in range(count):
                    self._skip(etype, depth + 1, key)
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
