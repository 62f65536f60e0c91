"""Byte-level writers for the non-pickle containers the corpus needs.

GGUF v3, safetensors, ``.npy`` headers and zip patching are written by hand so that malformed and hostile
variants can be produced exactly (libraries refuse to write them).
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from collections.abc import Iterable
from typing import Any

# --- GGUF v3 --------------------------------------------------------------------------------------------

GGUF_UINT8, GGUF_INT8, GGUF_UINT16, GGUF_INT16, GGUF_UINT32, GGUF_INT32 = 0, 1, 2, 3, 4, 5
GGUF_FLOAT32, GGUF_BOOL, GGUF_STRING, GGUF_ARRAY, GGUF_UINT64, GGUF_INT64, GGUF_FLOAT64 = (
    6,
    7,
    8,
    9,
    10,
    11,
    12,
)
GGML_F32 = 0
GGML_F16 = 1

_SCALAR_FMT = {
    GGUF_UINT8: "<B",
    GGUF_INT8: "<b",
    GGUF_UINT16: "<H",
    GGUF_INT16: "<h",
    GGUF_UINT32: "<I",
    GGUF_INT32: "<i",
    GGUF_FLOAT32: "<f",
    GGUF_BOOL: "<?",
    GGUF_UINT64: "<Q",
    GGUF_INT64: "<q",
    GGUF_FLOAT64: "<d",
}


def gguf_str(s: str | bytes) -> bytes:
    b = s.encode("utf-8") if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def _gguf_value(vtype: int, value: Any) -> bytes:
    if vtype == GGUF_STRING:
        return gguf_str(value)
    if vtype == GGUF_ARRAY:
        etype, items = value
        return struct.pack("<IQ", etype, len(items)) + b"".join(_gguf_value(etype, v) for v in items)
    return struct.pack(_SCALAR_FMT[vtype], value)


def _guess_type(value: Any) -> tuple[int, Any]:
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], int) and value[0] in range(13):
        return value  # explicit (type, value)
    if isinstance(value, bool):
        return GGUF_BOOL, value
    if isinstance(value, int):
        return GGUF_UINT32, value
    if isinstance(value, float):
        return GGUF_FLOAT32, value
    if isinstance(value, str):
        return GGUF_STRING, value
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            return GGUF_ARRAY, (GGUF_STRING, value)
        if all(isinstance(v, float) for v in value):
            return GGUF_ARRAY, (GGUF_FLOAT32, value)
        return GGUF_ARRAY, (GGUF_INT32, value)
    raise TypeError(type(value))


def gguf_bytes(
    metadata: dict[str, Any],
    tensors: Iterable[tuple[str, tuple[int, ...], bytes]] = (),
    *,
    alignment: int = 32,
    version: int = 3,
    tensor_count: int | None = None,
    kv_count: int | None = None,
) -> bytes:
    """A GGUF file. ``tensors`` are (name, dims, f32 bytes); counts can be overridden to lie."""
    tensors = list(tensors)
    kv = b""
    for key, raw in metadata.items():
        vtype, value = _guess_type(raw)
        kv += gguf_str(key) + struct.pack("<I", vtype) + _gguf_value(vtype, value)
    infos = b""
    offset = 0
    blobs = b""
    for name, dims, data in tensors:
        infos += gguf_str(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        infos += struct.pack("<IQ", GGML_F32, offset)
        pad = (-len(data)) % alignment
        blobs += data + b"\0" * pad
        offset += len(data) + pad
    head = b"GGUF" + struct.pack(
        "<IQQ",
        version,
        len(tensors) if tensor_count is None else tensor_count,
        len(metadata) if kv_count is None else kv_count,
    )
    body = head + kv + infos
    body += b"\0" * ((-len(body)) % alignment)
    return body + blobs


# --- safetensors ---------------------------------------------------------------------------------------


def safetensors_bytes(
    header: dict[str, Any], data: bytes, *, declared_len: int | None = None, trailing: bytes = b""
) -> bytes:
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((-len(raw)) % 8)
    n = len(raw) if declared_len is None else declared_len
    return struct.pack("<Q", n) + raw + data + trailing


def safetensors_from_arrays(arrays: dict[str, Any], metadata: dict[str, str] | None = None) -> bytes:
    """Proper safetensors from numpy arrays (contiguous, sorted offsets)."""
    dtypes = {
        "float32": "F32",
        "float16": "F16",
        "float64": "F64",
        "int64": "I64",
        "int32": "I32",
        "int8": "I8",
        "uint8": "U8",
        "bool": "BOOL",
        "int16": "I16",
    }
    header: dict[str, Any] = {}
    if metadata:
        header["__metadata__"] = metadata
    data = b""
    for name, arr in arrays.items():
        b = arr.tobytes()
        header[name] = {
            "dtype": dtypes[str(arr.dtype)],
            "shape": list(arr.shape),
            "data_offsets": [len(data), len(data) + len(b)],
        }
        data += b
    return safetensors_bytes(header, data)


# --- numpy .npy ----------------------------------------------------------------------------------------


def npy_header(descr: str, shape: tuple[int, ...], fortran: bool = False) -> bytes:
    d = f"{{'descr': {descr!r}, 'fortran_order': {fortran}, 'shape': {shape!r}, }}"
    total = 10 + len(d) + 1
    d += " " * ((-total) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(d)) + d.encode("latin-1")


# --- zip -----------------------------------------------------------------------------------------------


def zip_bytes(members: Iterable[tuple[str, bytes]], *, compression: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = compression
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


def zip_set_flags(
    data: bytes, member: str, flag_bits: int, *, local: bool = True, central: bool = True
) -> bytes:
    """OR general-purpose flag bits into the local and/or central header of one member."""
    out = bytearray(data)
    name = member.encode()
    pos = 0
    while True:
        pos = out.find(b"PK\x03\x04", pos)
        if pos < 0:
            break
        nlen = struct.unpack_from("<H", out, pos + 26)[0]
        if local and bytes(out[pos + 30 : pos + 30 + nlen]) == name:
            flags = struct.unpack_from("<H", out, pos + 6)[0]
            struct.pack_into("<H", out, pos + 6, flags | flag_bits)
        pos += 4
    pos = 0
    while True:
        pos = out.find(b"PK\x01\x02", pos)
        if pos < 0:
            break
        nlen = struct.unpack_from("<H", out, pos + 28)[0]
        if central and bytes(out[pos + 46 : pos + 46 + nlen]) == name:
            flags = struct.unpack_from("<H", out, pos + 8)[0]
            struct.pack_into("<H", out, pos + 8, flags | flag_bits)
        pos += 4
    return bytes(out)


def zip_rename_local(data: bytes, member: str, new_name: str) -> bytes:
    """Rewrite only the local-header name of one member (same length), leaving the central directory."""
    assert len(member) == len(new_name)
    out = bytearray(data)
    name = member.encode()
    pos = out.find(b"PK\x03\x04")
    while pos >= 0:
        nlen = struct.unpack_from("<H", out, pos + 26)[0]
        if bytes(out[pos + 30 : pos + 30 + nlen]) == name:
            out[pos + 30 : pos + 30 + nlen] = new_name.encode()
            return bytes(out)
        pos = out.find(b"PK\x03\x04", pos + 4)
    raise ValueError(member)


def zip_member_data_offset(data: bytes, member: str) -> tuple[int, int]:
    """(offset of the member's stored bytes, compressed size) from its local header."""
    name = member.encode()
    pos = data.find(b"PK\x03\x04")
    while pos >= 0:
        csize, _usize, nlen, xlen = struct.unpack_from("<IIHH", data, pos + 18)
        if data[pos + 30 : pos + 30 + nlen] == name:
            return pos + 30 + nlen + xlen, csize
        pos = data.find(b"PK\x03\x04", pos + 4)
    raise ValueError(member)


# --- PyTorch -------------------------------------------------------------------------------------------


def torch_zip_members(obj: object | None = None) -> list[tuple[str, bytes]]:
    """The members of a real ``torch.save`` zip (default: a tiny state_dict), in archive order."""
    import torch

    buf = io.BytesIO()
    torch.save(obj if obj is not None else {"weight": torch.zeros(2, 2), "bias": torch.zeros(2)}, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        return [(i.filename, zf.read(i)) for i in zf.infolist()]


def torch_zip_with_pickle(
    data_pkl: bytes,
    *,
    prefix: str = "archive",
    extra: Iterable[tuple[str, bytes]] = (),
    compression: int = zipfile.ZIP_STORED,
) -> bytes:
    """A PyTorch zip checkpoint whose ``data.pkl`` is replaced (other members are real torch output)."""
    members = []
    for name, data in torch_zip_members():
        rest = name.split("/", 1)[1]
        if rest == "data.pkl":
            data = data_pkl
        members.append((f"{prefix}/{rest}", data))
    members.extend(extra)
    return zip_bytes(members, compression=compression)
