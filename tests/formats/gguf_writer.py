"""A small GGUF writer for tests: builds valid files and, on request, precisely broken ones.

    w = GGUFWriter()
    w.string("general.architecture", "llama")
    w.array("tokenizer.ggml.tokens", ValueType.STRING, ["<s>", "</s>"])
    w.tensor("tok.weight", [64, 2], 0)           # F32, zero-filled data, offset computed
    path.write_bytes(w.build())

``raw_kv`` / ``raw_tensor`` take pre-encoded bytes or explicit offsets for negative tests.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from weighbridge.formats.gguf import ValueType, tensor_nbytes

_FORMATS = {
    ValueType.UINT8: "B",
    ValueType.INT8: "b",
    ValueType.UINT16: "H",
    ValueType.INT16: "h",
    ValueType.UINT32: "I",
    ValueType.INT32: "i",
    ValueType.FLOAT32: "f",
    ValueType.BOOL: "?",
    ValueType.UINT64: "Q",
    ValueType.INT64: "q",
    ValueType.FLOAT64: "d",
}


@dataclass
class _Tensor:
    name: bytes
    dims: list[int]
    ggml_type: int
    data: bytes
    offset: int | None


class GGUFWriter:
    def __init__(self, *, version: int = 3, big_endian: bool = False, alignment: int = 32) -> None:
        self.version = version
        self.e = ">" if big_endian else "<"
        self.alignment = alignment
        self._kvs: list[bytes] = []
        self._tensors: list[_Tensor] = []

    # -- encoding -----------------------------------------------------------------------------------------
    def _len(self, n: int) -> bytes:
        return struct.pack(self.e + ("I" if self.version == 1 else "Q"), n)

    def encode_string(self, text: str | bytes) -> bytes:
        raw = text.encode("utf-8") if isinstance(text, str) else text
        return self._len(len(raw)) + raw

    def encode_value(self, vtype: int, value: Any) -> bytes:
        if vtype == ValueType.STRING:
            return self.encode_string(value)
        if vtype == ValueType.ARRAY:
            elem_type, items = value
            body = b"".join(self.encode_value(elem_type, item) for item in items)
            return struct.pack(self.e + "I", elem_type) + self._len(len(items)) + body
        return struct.pack(self.e + _FORMATS[vtype], value)

    # -- metadata -----------------------------------------------------------------------------------------
    def kv(self, key: str | bytes, vtype: int, value: Any) -> GGUFWriter:
        self._kvs.append(
            self.encode_string(key) + struct.pack(self.e + "I", vtype) + self.encode_value(vtype, value)
        )
        return self

    def raw_kv(self, key: str | bytes, vtype: int, payload: bytes) -> GGUFWriter:
        self._kvs.append(self.encode_string(key) + struct.pack(self.e + "I", vtype) + payload)
        return self

    def string(self, key: str, value: str) -> GGUFWriter:
        return self.kv(key, ValueType.STRING, value)

    def u32(self, key: str, value: int) -> GGUFWriter:
        return self.kv(key, ValueType.UINT32, value)

    def array(self, key: str, elem_type: int, items: Sequence[Any]) -> GGUFWriter:
        return self.kv(key, ValueType.ARRAY, (elem_type, list(items)))

    # -- tensors ------------------------------------------------------------------------------------------
    def tensor(
        self,
        name: str | bytes,
        dims: Sequence[int],
        ggml_type: int = 0,
        data: bytes | None = None,
        *,
        offset: int | None = None,
    ) -> GGUFWriter:
        if data is None:
            data = bytes(tensor_nbytes(ggml_type, list(dims)))
        raw_name = name.encode("utf-8") if isinstance(name, str) else name
        self._tensors.append(_Tensor(raw_name, list(dims), ggml_type, data, offset))
        return self

    def _layout(self) -> list[int]:
        offsets, running = [], 0
        for t in self._tensors:
            offsets.append(running if t.offset is None else t.offset)
            if t.offset is None:
                running = _align(running + len(t.data), self.alignment)
            else:
                running = max(running, _align(t.offset + len(t.data), self.alignment))
        return offsets

    def header(self) -> bytes:
        offsets = self._layout()
        out = [
            b"GGUF",
            struct.pack(self.e + "I", self.version),
            self._len(len(self._tensors)),
            self._len(len(self._kvs)),
            *self._kvs,
        ]
        dim = self.e + ("I" if self.version == 1 else "Q")
        for t, offset in zip(self._tensors, offsets, strict=True):
            out.append(
                self.encode_string(t.name)
                + struct.pack(self.e + "I", len(t.dims))
                + b"".join(struct.pack(dim, d) for d in t.dims)
                + struct.pack(self.e + "I", t.ggml_type)
                + struct.pack(self.e + "Q", offset)
            )
        return b"".join(out)

    def build(self, *, trailing: bytes = b"") -> bytes:
        header = self.header()
        offsets = self._layout()
        size = max((o + len(t.data) for t, o in zip(self._tensors, offsets, strict=True)), default=0)
        data = bytearray(_align(size, self.alignment) if self._tensors else 0)
        for t, offset in zip(self._tensors, offsets, strict=True):
            data[offset : offset + len(t.data)] = t.data
        padding = bytes(_align(len(header), self.alignment) - len(header))
        return header + padding + bytes(data) + trailing


def _align(value: int, alignment: int) -> int:
    return (value + alignment - 1) // alignment * alignment
