"""NumPy ``.npy`` arrays: a bounded header parsed without evaluation, then data that is only measured.

``numpy.load`` reads a Python-literal header (``{'descr': ..., 'fortran_order': ..., 'shape': ...}``), then
either ``prod(shape) * itemsize`` raw bytes or — when the dtype holds Python objects — a pickle, unpickled
only with ``allow_pickle=True``. The pickle is handed to the pickle analyser; raw data is skipped (never read
into memory) and must have exactly the declared length.
"""

from __future__ import annotations

import ast
import re
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO

from ..core.findings import Check, Location, Severity
from ..core.rules import define
from .base import FormatHandler, PrefixedStream, ScanContext, skip_up_to
from .pickle.analyser import analyse_pickles

MAGIC = b"\x93NUMPY"
NUMPY_HEADER_LIMIT = 10_000  # numpy.load refuses longer headers unless allow_pickle=True
HARD_HEADER_LIMIT = 1024 * 1024  # longer headers are not parsed at all
MAX_NBYTES = 1 << 62
MAX_DTYPE_DEPTH = 32
MAX_FIELDS = 100_000
CHUNK = 1024 * 1024

MALFORMED = define(
    "WB-NPY-001",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Malformed .npy header",
    "The .npy header is not one numpy accepts (version, length, dictionary keys, dtype, shape or "
    "fortran_order). The array data was not validated.",
)
OBJECT_ARRAY = define(
    "WB-NPY-002",
    Check.ARTIFACT,
    Severity.LOW,
    "Object array: loading requires allow_pickle",
    "The dtype holds Python objects, so the array data is a pickle that numpy.load only unpickles with "
    "allow_pickle=True — which lets the file run code. The pickle was analysed.",
)
TRUNCATED = define(
    "WB-NPY-003",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Array data truncated",
    "The file ends before prod(shape) * itemsize bytes of array data.",
)
TRAILING = define(
    "WB-NPY-004",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Data after the array",
    "Bytes follow the array data. numpy ignores them, but they can hide a second payload (polyglot); they "
    "were routed to the scanner.",
)
LARGE_HEADER = define(
    "WB-NPY-005",
    Check.ARTIFACT,
    Severity.LOW,
    "Header larger than numpy's default limit",
    "The header is longer than the 10000 bytes numpy.load accepts by default; loading it needs "
    "allow_pickle=True or a raised max_header_size.",
)
UNKNOWN_DTYPE = define(
    "WB-NPY-006",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Unrecognised dtype",
    "The dtype description is not one the scanner can size, so the array data was not validated; it was "
    "routed to the scanner as unknown content.",
)

_CHAR_SIZES = {
    "?": 1,
    "b": 1,
    "B": 1,
    "h": 2,
    "H": 2,
    "i": 4,
    "I": 4,
    "l": 8,
    "L": 8,
    "q": 8,
    "Q": 8,
    "p": 8,
    "P": 8,
    "e": 2,
    "f": 4,
    "d": 8,
    "g": 16,
    "F": 8,
    "D": 16,
    "G": 32,
    "O": 8,
    "M": 8,
    "m": 8,
    "c": 1,
}
_SIZED_KINDS = {
    "b": {1},
    "i": {1, 2, 4, 8},
    "u": {1, 2, 4, 8},
    "f": {2, 4, 8, 10, 12, 16},
    "c": {8, 16, 20, 24, 32},
    "O": {4, 8},
    "M": {8},
    "m": {8},
}
_NAMES = {
    "bool": 1,
    "bool_": 1,
    "int8": 1,
    "uint8": 1,
    "int16": 2,
    "uint16": 2,
    "int32": 4,
    "uint32": 4,
    "int64": 8,
    "uint64": 8,
    "float16": 2,
    "float32": 4,
    "float64": 8,
    "float128": 16,
    "complex64": 8,
    "complex128": 16,
    "complex256": 32,
    "half": 2,
    "single": 4,
    "double": 8,
    "longdouble": 16,
    "float": 8,
    "complex": 16,
    "int": 8,
    "intp": 8,
    "uintp": 8,
    "byte": 1,
    "ubyte": 1,
    "short": 2,
    "ushort": 2,
    "intc": 4,
    "uintc": 4,
    "long": 8,
    "ulong": 8,
    "longlong": 8,
    "ulonglong": 8,
    "object": 8,
    "object_": 8,
    "datetime64": 8,
    "timedelta64": 8,
    "str": 0,
    "bytes": 0,
    "void": 0,
}
_DTYPE_STR = re.compile(r"(?P<kind>[a-zA-Z?])(?P<size>\d{0,18})(?P<unit>\[\d*[A-Za-z]+\])?")


class DTypeError(ValueError):
    """The descr is not a dtype numpy would build."""


class UnknownDType(ValueError):
    """The descr may be valid for numpy, but the scanner cannot size it."""


@dataclass(frozen=True, slots=True)
class DType:
    itemsize: int
    has_object: bool


def _simple_dtype(text: str) -> DType:
    body = text[1:] if text[:1] in "<>|=" else text
    if body in _NAMES:
        return DType(_NAMES[body], body.startswith("object"))
    unit = re.fullmatch(r"(datetime64|timedelta64)\[\d*[A-Za-z]+\]", body)
    if unit:
        return DType(8, False)
    match = _DTYPE_STR.fullmatch(body)
    if match is None:
        raise UnknownDType(f"unrecognised dtype {text!r}")
    kind, size_text, has_unit = match.group("kind"), match.group("size"), match.group("unit")
    if has_unit and kind not in "Mm":
        raise DTypeError(f"dtype {text!r} has a unit but is not a datetime")
    if not size_text:
        if kind in "SaUV":
            return DType(0, False)
        if kind in _CHAR_SIZES:
            return DType(_CHAR_SIZES[kind], kind == "O")
        raise UnknownDType(f"unrecognised dtype {text!r}")
    size = int(size_text)
    if kind in "SaV":
        return DType(size, False)
    if kind == "U":
        return DType(4 * size, False)
    if kind in _SIZED_KINDS:
        if size not in _SIZED_KINDS[kind]:
            raise DTypeError(f"dtype {text!r} has an invalid item size")
        return DType(size, kind == "O")
    raise UnknownDType(f"unrecognised dtype {text!r}")


def _shape_count(shape: Any) -> int:
    dims = (shape,) if isinstance(shape, int) else shape
    if not isinstance(dims, tuple) or not all(isinstance(d, int) and d >= 0 for d in dims):
        raise DTypeError(f"invalid sub-array shape {shape!r}")
    count = 1
    for d in dims:
        count *= d
        if count > MAX_NBYTES:
            raise DTypeError("sub-array is impossibly large")
    return count


def parse_descr(descr: Any, depth: int = 0, fields: list[int] | None = None) -> DType:
    """Item size and object-ness of a numpy ``descr`` (string, (base, shape) tuple, or field list)."""
    fields = fields if fields is not None else [0]
    if depth > MAX_DTYPE_DEPTH:
        raise DTypeError("dtype nested too deeply")
    if isinstance(descr, str):
        return _simple_dtype(descr)
    if isinstance(descr, tuple) and len(descr) == 2:
        base = parse_descr(descr[0], depth + 1, fields)
        return DType(base.itemsize * _shape_count(descr[1]), base.has_object)
    if not isinstance(descr, list):
        raise DTypeError(f"descr must be a string or a list, not {type(descr).__name__}")
    itemsize, has_object = 0, False
    for item in descr:
        fields[0] += 1
        if fields[0] > MAX_FIELDS:
            raise DTypeError("too many dtype fields")
        if not isinstance(item, tuple) or len(item) not in (2, 3):
            raise DTypeError(f"structured dtype field {item!r} is not (name, descr[, shape])")
        name = item[0]
        if not (
            isinstance(name, str)
            or (isinstance(name, tuple) and len(name) == 2 and all(isinstance(n, str) for n in name))
        ):
            raise DTypeError(f"structured dtype field name {name!r} is invalid")
        sub = parse_descr(item[1], depth + 1, fields)
        count = _shape_count(item[2]) if len(item) == 3 else 1
        itemsize += sub.itemsize * count
        has_object = has_object or sub.has_object
        if itemsize > MAX_NBYTES:
            raise DTypeError("structured dtype is impossibly large")
    return DType(itemsize, has_object)


@dataclass(frozen=True, slots=True)
class Header:
    dtype: DType | None  # None: valid-looking but unsized descr
    shape: tuple[int, ...]
    fortran_order: bool
    data_offset: int
    descr_text: str


def _sniff(head: bytes, name: str) -> bool:
    return head.startswith(MAGIC)


def _read_header(ctx: ScanContext, stream: BinaryIO) -> Header | None:
    prefix = stream.read(10)
    if len(prefix) < 10 or not prefix.startswith(MAGIC):
        ctx.report(
            MALFORMED,
            "file ends inside the .npy preamble",
            location=Location(offset=0),
            evidence=prefix.hex(),
        )
        return None
    version = (prefix[6], prefix[7])
    if version not in ((1, 0), (2, 0), (3, 0)):
        ctx.report(
            MALFORMED,
            f"unsupported .npy format version {version[0]}.{version[1]}",
            location=Location(offset=6),
            evidence=prefix[6:8].hex(),
        )
        return None
    if version == (1, 0):
        hlen, start = struct.unpack_from("<H", prefix, 8)[0], 10
    else:
        more = stream.read(2)
        if len(more) < 2:
            ctx.report(MALFORMED, "file ends inside the header length", location=Location(offset=8))
            return None
        hlen, start = struct.unpack("<I", prefix[8:] + more)[0], 12
    if hlen > HARD_HEADER_LIMIT:
        ctx.report(
            MALFORMED,
            f"header length {hlen} exceeds {HARD_HEADER_LIMIT} bytes; not parsed",
            location=Location(offset=8),
            evidence=str(hlen),
        )
        return None
    if hlen > NUMPY_HEADER_LIMIT:
        ctx.report(
            LARGE_HEADER,
            f"header is {hlen} bytes (numpy's default limit is {NUMPY_HEADER_LIMIT})",
            location=Location(offset=8),
            evidence=str(hlen),
        )
    raw = stream.read(hlen)
    if len(raw) < hlen:
        ctx.report(
            MALFORMED,
            f"file ends inside the header ({len(raw)} of {hlen} bytes)",
            location=Location(offset=start),
        )
        return None
    return _parse_header(ctx, raw, version, start)


def _parse_header(ctx: ScanContext, raw: bytes, version: tuple[int, int], start: int) -> Header | None:
    where = Location(offset=start)
    evidence = raw[:200].decode("latin-1")
    try:
        text = raw.decode("utf-8" if version == (3, 0) else "latin-1")
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError, UnicodeDecodeError) as exc:
        ctx.report(
            MALFORMED,
            f"header is not a Python literal: {type(exc).__name__}: {exc}"[:300],
            location=where,
            evidence=evidence,
        )
        return None
    if not isinstance(value, dict) or set(value) != {"descr", "fortran_order", "shape"}:
        keys = sorted(map(repr, value)) if isinstance(value, dict) else type(value).__name__
        ctx.report(
            MALFORMED,
            f"header must be a dict with keys descr, fortran_order, shape (got {keys})"[:300],
            location=where,
            evidence=evidence,
        )
        return None
    shape, fortran = value["shape"], value["fortran_order"]
    if not isinstance(shape, tuple) or not all(isinstance(d, int) and d >= 0 for d in shape):
        ctx.report(
            MALFORMED,
            "shape is not a tuple of non-negative integers",
            location=where,
            evidence=repr(shape)[:200],
        )
        return None
    if not isinstance(fortran, bool):
        ctx.report(MALFORMED, "fortran_order is not a bool", location=where, evidence=repr(fortran)[:200])
        return None
    descr = value["descr"]
    try:
        dtype: DType | None = parse_descr(descr)
    except UnknownDType:
        dtype = None
    except DTypeError as exc:
        ctx.report(
            MALFORMED, f"descr is not a valid dtype: {exc}"[:300], location=where, evidence=repr(descr)[:200]
        )
        return None
    return Header(dtype, shape, fortran, start + len(raw), repr(descr)[:200])


def _nbytes(shape: tuple[int, ...], itemsize: int) -> int | None:
    total = itemsize
    for d in shape:
        total *= d
        if total > MAX_NBYTES:
            return None
    return total


def _route_rest(ctx: ScanContext, stream: BinaryIO, offset: int, rule_detail: str) -> None:
    first = stream.read(CHUNK)
    if not first:
        return
    ctx.report(
        TRAILING,
        f"{rule_detail} at offset {offset}",
        location=Location(offset=offset),
        evidence=first[:32].hex(),
    )
    ctx.scan_nested(PrefixedStream(first, stream), f"<data after array at offset {offset}>", None)  # type: ignore[arg-type]


def _scan_object_array(ctx: ScanContext, stream: BinaryIO, header: Header) -> None:
    ctx.report(
        OBJECT_ARRAY,
        f"dtype {header.descr_text} holds Python objects: the data is a pickle and "
        "numpy.load needs allow_pickle=True",
        location=Location(offset=header.data_offset, key="descr"),
        evidence=header.descr_text,
    )
    summary = analyse_pickles(ctx, stream, max_pickles=1)
    if not summary.complete:
        return
    try:
        seekable = stream.seekable()
    except (AttributeError, ValueError, OSError):
        seekable = False
    if seekable:
        end = header.data_offset + summary.end_offset
        stream.seek(end)
        _route_rest(ctx, stream, end, "data follows the object array's pickle")


def _scan(ctx: ScanContext, stream: BinaryIO) -> None:
    header = _read_header(ctx, stream)
    if header is None:
        return
    if header.dtype is None:
        ctx.report(
            UNKNOWN_DTYPE,
            f"dtype {header.descr_text} cannot be sized; the data was routed as unknown content",
            location=Location(offset=header.data_offset, key="descr"),
            evidence=header.descr_text,
        )
        ctx.scan_nested(stream, "<array data>", None)
        return
    if header.dtype.has_object:
        _scan_object_array(ctx, stream, header)
        return
    nbytes = _nbytes(header.shape, header.dtype.itemsize)
    if nbytes is None:
        ctx.report(
            MALFORMED,
            f"shape {header.shape} of {header.dtype.itemsize}-byte items is impossibly large",
            location=Location(offset=header.data_offset, key="shape"),
            evidence=repr(header.shape)[:200],
        )
        return
    present = skip_up_to(stream, nbytes)
    if present < nbytes:
        ctx.report(
            TRUNCATED,
            f"array needs {nbytes} bytes of data ({header.descr_text}, shape {header.shape}), "
            f"the file has {present}",
            location=Location(offset=header.data_offset + present),
            evidence=f"{present}/{nbytes}",
        )
        return
    _route_rest(ctx, stream, header.data_offset + nbytes, "data follows the array")


NPY_HANDLER = FormatHandler(name="npy", sniff=_sniff, scan=_scan)
