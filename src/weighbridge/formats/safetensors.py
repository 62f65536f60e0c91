"""safetensors: validate the header the way the Rust reference (huggingface/safetensors ``tensor.rs``) does.

Layout: ``u64-LE N``, ``N`` bytes of UTF-8 JSON (``{name: {dtype, shape, data_offsets}, "__metadata__":
{str: str}}``, space-padded), then the byte buffer. Only the header is read; tensor bytes are left to the
hashing reader. The buffer must be exactly covered by the tensors, in offset order, without holes or
overlaps; bytes past the last tensor are a possible polyglot payload and go back to the dispatcher.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any, BinaryIO

from ..core.findings import Check, Location, Rule, Severity
from ..core.rules import define
from .base import FormatHandler, ScanContext, StreamWindow, read_exact, stream_size

U64_MAX = 2**64 - 1
METADATA_KEY = "__metadata__"
MAX_REPORTED_PER_RULE = 20
MAX_NESTED_REGIONS = 4
_FRAGMENT_CHARS = 200
_JSON_WS = " \t\n\r"

DTYPE_BITS: dict[str, int] = {
    "BOOL": 8,
    "U8": 8,
    "I8": 8,
    "F8_E5M2": 8,
    "F8_E4M3": 8,
    "F8_E8M0": 8,
    "F4": 4,
    "F6_E2M3": 6,
    "F6_E3M2": 6,
    "I16": 16,
    "U16": 16,
    "F16": 16,
    "BF16": 16,
    "I32": 32,
    "U32": 32,
    "F32": 32,
    "F64": 64,
    "I64": 64,
    "U64": 64,
    "C64": 64,
}
_TENSOR_FIELDS = frozenset({"dtype", "shape", "data_offsets"})

BAD_HEADER_LENGTH = define(
    "WB-ST-001",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "safetensors header length is invalid",
    "The 8-byte header length is larger than the scanner's header limit (100 MB, as in the reference "
    "implementation) or than the file itself. The reference loader rejects the file; other parsers may "
    "read past the end or allocate unbounded memory.",
)
BAD_HEADER = define(
    "WB-ST-002",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "safetensors header is not a valid JSON object",
    "The header is not UTF-8, not JSON, not a JSON object, or nests too deeply to parse. The reference "
    "loader rejects it; the file cannot be inspected.",
)
PARSER_DIFFERENTIAL = define(
    "WB-ST-003",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "safetensors header parses differently across parsers",
    "The header repeats a key or uses NaN/Infinity. The format forbids duplicate keys; parsers disagree on "
    "which copy wins (or reject the file), so two tools can see two different models in the same bytes.",
)
BAD_METADATA = define(
    "WB-ST-004",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "safetensors __metadata__ is not a string map",
    "__metadata__ must map strings to strings. The reference loader rejects anything else.",
)
BAD_TENSOR = define(
    "WB-ST-005",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "safetensors tensor entry is malformed",
    "A tensor entry is not an object with a known dtype, a shape of non-negative integers and "
    "data_offsets [begin, end] with begin <= end. The reference loader rejects the file.",
)
BAD_SIZE = define(
    "WB-ST-006",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "safetensors tensor size does not match its byte range",
    "The tensor's byte range does not equal shape x dtype size, the element count overflows 64 bits, or a "
    "sub-byte dtype does not end on a byte boundary. Loaders that trust the shape read the wrong bytes or "
    "overflow.",
)
BAD_LAYOUT = define(
    "WB-ST-007",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "safetensors tensors leave holes or overlap",
    "Sorted by offset, the tensors must cover the data buffer contiguously from 0. Holes can hide a payload "
    "that loaders never look at; overlaps make two tensors alias the same bytes.",
)
OUT_OF_BOUNDS = define(
    "WB-ST-008",
    Check.ARTIFACT,
    Severity.HIGH,
    "safetensors tensor lies beyond the end of the file",
    "A tensor's byte range ends past the end of the file. Loaders that do not check read out of bounds.",
)
TRAILING_DATA = define(
    "WB-ST-009",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Bytes after the safetensors data buffer",
    "The file continues after the last tensor. The reference loader rejects such files; the extra bytes can "
    "carry a second file (polyglot), which is scanned as embedded content.",
)
UNKNOWN_FIELD = define(
    "WB-ST-010",
    Check.ARTIFACT,
    Severity.LOW,
    "safetensors tensor entry has unknown fields",
    "A tensor entry carries fields other than dtype, shape and data_offsets. The reference loader ignores "
    "them; they are not part of the format.",
)


TRUNCATED = define(
    "WB-ST-011",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "safetensors file is truncated",
    "The header declares more tensor data than the file holds: a cut download or a corrupted file. The "
    "reference loader rejects it (a top-level weight file is also reported broken, WB-INT-004).",
)


class _Object(dict[str, Any]):
    """A JSON object that remembers which of its keys appeared more than once."""

    __slots__ = ("duplicates",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__()
        self.duplicates: list[str] = []
        for key, value in pairs:
            if key in self:
                self.duplicates.append(key)
            self[key] = value


@dataclass(slots=True)
class _Entry:
    name: str
    value: Any
    start: int  # character index of the key in the header text
    end: int  # character index after the value


@dataclass(slots=True)
class _Tensor:
    name: str
    begin: int
    end: int
    entry: _Entry


class _HeaderError(Exception):
    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


def _sniff(head: bytes, lowercase_name: str) -> bool:
    if len(head) < 10:
        return False
    # The header length is a little-endian u64 whose top bytes are zero for any real file (and for any header a
    # loader would try to allocate); text with a "{" at byte 8 has printable bytes there instead.
    return 2 <= int.from_bytes(head[:8], "little") < 1 << 48 and head[8] == 0x7B


class _Scan:
    """State of one safetensors scan: the header text and a per-rule report budget."""

    def __init__(self, ctx: ScanContext, header: bytes, text: str) -> None:
        self.ctx = ctx
        self.header = header
        self.text = text
        self.ascii = len(header) == len(text)
        self.reported: dict[str, int] = {}
        self.constants: list[str] = []

    def byte_offset(self, char_index: int) -> int:
        inside = char_index if self.ascii else len(self.text[:char_index].encode("utf-8", "surrogatepass"))
        return 8 + inside

    def fragment(self, start: int, end: int | None = None) -> str:
        stop = start + _FRAGMENT_CHARS if end is None else min(end, start + _FRAGMENT_CHARS)
        return self.text[start:stop]

    def report(
        self,
        rule: Rule,
        detail: str,
        entry: _Entry | None,
        *,
        severity: Severity | None = None,
        key: str | None = None,
        position: int | None = None,
    ) -> None:
        count = self.reported.get(rule.id, 0)
        self.reported[rule.id] = count + 1
        if count >= MAX_REPORTED_PER_RULE:
            return
        if count == MAX_REPORTED_PER_RULE - 1:
            detail += " (further problems of this kind are not listed)"
        start = entry.start if entry is not None else (position if position is not None else 0)
        evidence = self.fragment(start, entry.end if entry is not None else None)
        location = Location(offset=self.byte_offset(start), key=key or (entry.name if entry else None))
        self.ctx.report(rule, detail, location=location, evidence=evidence, severity=severity)


def _scan(ctx: ScanContext, stream: BinaryIO) -> None:
    size = stream_size(stream)
    stream.seek(0)
    prefix = stream.read(8)
    if len(prefix) < 8:
        ctx.report(
            BAD_HEADER_LENGTH,
            f"file is {size} bytes long, too short for the 8-byte header length",
            location=Location(offset=0),
            evidence=prefix.hex(),
        )
        return
    n = int.from_bytes(prefix, "little")
    problem = None
    if n > ctx.limits.max_header_bytes:
        problem = f"header length {n} exceeds the limit of {ctx.limits.max_header_bytes} bytes"
    elif 8 + n > size:
        problem = (
            f"truncated at byte {size} of {8 + n} declared: header length {n} runs past the end of the file"
        )
    elif n < 2:
        problem = f"header length {n} cannot hold a JSON object"
    if problem:
        ctx.report(BAD_HEADER_LENGTH, problem, location=Location(offset=0), evidence=prefix.hex())
        return
    header = read_exact(stream, n)
    try:
        text = header.decode("utf-8")
    except UnicodeDecodeError as exc:
        ctx.report(
            BAD_HEADER,
            f"header is not UTF-8 ({exc.reason} at header byte {exc.start})",
            location=Location(offset=8 + exc.start),
            evidence=repr(header[max(0, exc.start - 40) : exc.start + 40]),
        )
        return
    scan = _Scan(ctx, header, text)
    try:
        entries = _split_object(scan, text)
    except _HeaderError as exc:
        scan.report(BAD_HEADER, f"header is not a valid JSON object: {exc}", None, position=exc.position)
        return
    except RecursionError:
        scan.report(BAD_HEADER, "header nests JSON values too deeply to parse", None, position=0)
        return
    tensors = _check_entries(scan, entries)
    _check_layout(scan, tensors, stream, data_start=8 + n, buffer_len=size - 8 - n)


def _split_object(scan: _Scan, text: str) -> list[_Entry]:
    """Parse the top-level object key by key, keeping where each key and value sit in the text."""
    decoder = json.JSONDecoder(object_pairs_hook=_Object, parse_constant=scan.constants.append)
    if not text.startswith("{"):
        raise _HeaderError("the header does not start with '{'", 0)
    i = _skip_ws(text, 1)
    entries: list[_Entry] = []
    seen: set[str] = set()
    if text.startswith("}", i):
        i += 1
    else:
        while True:  # every iteration consumes at least one key/value pair of the text
            if not text.startswith('"', i):
                raise _HeaderError(f"expected a key at header character {i}", i)
            start = i
            try:
                key, i = decoder.raw_decode(text, i)
                i = _skip_ws(text, i)
                if not text.startswith(":", i):
                    raise _HeaderError(f"expected ':' at header character {i}", i)
                value, i = decoder.raw_decode(text, _skip_ws(text, i + 1))
            except json.JSONDecodeError as exc:
                raise _HeaderError(f"{exc.msg} at header character {exc.pos}", exc.pos) from None
            entry = _Entry(key, value, start, i)
            if key in seen:
                scan.report(PARSER_DIFFERENTIAL, f"key {key!r} appears more than once in the header", entry)
            seen.add(key)
            entries.append(entry)
            i = _skip_ws(text, i)
            if text.startswith(",", i):
                i = _skip_ws(text, i + 1)
                continue
            if text.startswith("}", i):
                i += 1
                break
            raise _HeaderError(f"expected ',' or '}}' at header character {i}", i)
    rest = _skip_ws(text, i)
    if rest != len(text):
        raise _HeaderError(f"content after the header object at header character {rest}", rest)
    if scan.constants:
        scan.report(
            PARSER_DIFFERENTIAL,
            f"header uses non-standard JSON constants {sorted(set(scan.constants))}",
            None,
            position=0,
        )
    return entries


def _skip_ws(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in _JSON_WS:
        i += 1
    return i


def _check_entries(scan: _Scan, entries: list[_Entry]) -> list[_Tensor]:
    tensors: list[_Tensor] = []
    for entry in entries:
        value = entry.value
        if isinstance(value, _Object) and value.duplicates:
            scan.report(
                PARSER_DIFFERENTIAL,
                f"entry {entry.name!r} repeats the field(s) {sorted(set(value.duplicates))}",
                entry,
            )
        if entry.name == METADATA_KEY:
            _check_metadata(scan, entry)
            continue
        tensor = _check_tensor(scan, entry)
        if tensor is not None:
            tensors.append(tensor)
    return tensors


def _check_metadata(scan: _Scan, entry: _Entry) -> None:
    value = entry.value
    if value is None:
        return
    if not isinstance(value, dict):
        scan.report(BAD_METADATA, f"__metadata__ is a {type(value).__name__}, not an object", entry)
        return
    bad = [k for k, v in value.items() if not isinstance(v, str)]
    if bad:
        scan.report(BAD_METADATA, f"__metadata__ values for {bad[:5]} are not strings", entry)


def _is_u64(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= U64_MAX


def _check_tensor(scan: _Scan, entry: _Entry) -> _Tensor | None:
    value = entry.value
    name = entry.name
    if not isinstance(value, dict):
        scan.report(BAD_TENSOR, f"tensor {name!r} is a {type(value).__name__}, not an object", entry)
        return None
    missing = sorted(_TENSOR_FIELDS - value.keys())
    if missing:
        scan.report(BAD_TENSOR, f"tensor {name!r} lacks {missing}", entry)
        return None
    extra = sorted(value.keys() - _TENSOR_FIELDS)
    if extra:
        scan.report(UNKNOWN_FIELD, f"tensor {name!r} has unknown field(s) {extra[:5]}", entry)
    dtype, shape, offsets = value["dtype"], value["shape"], value["data_offsets"]
    tensor = None  # the byte range still counts for the layout when only dtype or shape is wrong
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_u64(o) for o in offsets):
        scan.report(
            BAD_TENSOR,
            f"tensor {name!r} data_offsets is not [begin, end] of non-negative 64-bit integers",
            entry,
        )
    elif offsets[1] < offsets[0]:
        scan.report(BAD_TENSOR, f"tensor {name!r} ends ({offsets[1]}) before it begins ({offsets[0]})", entry)
    else:
        tensor = _Tensor(name, offsets[0], offsets[1], entry)
    bits = DTYPE_BITS.get(dtype) if isinstance(dtype, str) else None
    if bits is None:
        scan.report(BAD_TENSOR, f"tensor {name!r} has unknown dtype {dtype!r}", entry)
    elif not isinstance(shape, list) or not all(_is_u64(d) for d in shape):
        scan.report(BAD_TENSOR, f"tensor {name!r} shape is not a list of non-negative 64-bit integers", entry)
    elif tensor is not None:
        _check_size(scan, entry, bits, shape, tensor.end - tensor.begin)
    return tensor


def _check_size(scan: _Scan, entry: _Entry, bits: int, shape: list[int], nbytes: int) -> None:
    elements = 1
    for dim in shape:
        elements *= dim
        if elements > U64_MAX:
            scan.report(
                BAD_SIZE,
                f"tensor {entry.name!r} element count {shape} overflows 64 bits",
                entry,
                severity=Severity.HIGH,
            )
            return
    total_bits = elements * bits
    if total_bits > U64_MAX:
        scan.report(
            BAD_SIZE, f"tensor {entry.name!r} bit size overflows 64 bits", entry, severity=Severity.HIGH
        )
        return
    if total_bits % 8:
        scan.report(
            BAD_SIZE, f"tensor {entry.name!r} holds {total_bits} bits, not a whole number of bytes", entry
        )
        return
    if total_bits // 8 != nbytes:
        scan.report(
            BAD_SIZE,
            f"tensor {entry.name!r} spans {nbytes} bytes but shape {shape} needs {total_bits // 8}",
            entry,
        )


def _check_layout(
    scan: _Scan, tensors: list[_Tensor], stream: BinaryIO, *, data_start: int, buffer_len: int
) -> None:
    declared = max((t.end for t in tensors), default=0)
    if declared > buffer_len:
        past = sum(1 for t in tensors if t.end > buffer_len)
        scan.ctx.report(
            TRUNCATED,
            f"truncated at byte {data_start + buffer_len} of {data_start + declared} declared "
            f"by the header ({past} of {len(tensors)} tensors end past the end of the file)",
            location=Location(offset=data_start + buffer_len),
            evidence=f"header {data_start} bytes, data buffer {buffer_len} of {declared} bytes",
        )
    covered = 0
    previous: _Tensor | None = None
    nested = 0
    for tensor in sorted(tensors, key=lambda t: (t.begin, t.end)):
        if tensor.begin > covered:
            where = f"after {previous.name!r}" if previous else "at the start of the data buffer"
            scan.report(
                BAD_LAYOUT,
                f"{tensor.begin - covered} unused bytes {where}, before tensor {tensor.name!r}",
                tensor.entry,
            )
            if covered < buffer_len and nested < MAX_NESTED_REGIONS:
                nested += 1
                _scan_region(
                    scan.ctx, stream, data_start + covered, min(tensor.begin, buffer_len) - covered, "gap"
                )
        elif tensor.begin < covered and previous is not None:
            scan.report(
                BAD_LAYOUT,
                f"tensor {tensor.name!r} overlaps {previous.name!r} (begins at "
                f"{tensor.begin}, previous data runs to {covered})",
                tensor.entry,
            )
        if tensor.end > buffer_len:
            scan.report(
                OUT_OF_BOUNDS,
                f"tensor {tensor.name!r} ends at data offset {tensor.end}, past the "
                f"{buffer_len}-byte data buffer",
                tensor.entry,
            )
        if tensor.end >= covered:
            covered, previous = tensor.end, tensor
    if covered < buffer_len:
        start = data_start + covered
        stream.seek(start)
        peek = stream.read(32)
        after = f"after tensor {previous.name!r}" if previous else "after the header (no tensor data)"
        scan.ctx.report(
            TRAILING_DATA,
            f"{buffer_len - covered} bytes at file offset {start} follow the data buffer ({after})",
            location=Location(offset=start, key=previous.name if previous else None),
            evidence=f"{peek.hex()} {peek!r}",
        )
        _scan_region(scan.ctx, stream, start, buffer_len - covered, "trailing")


def _scan_region(ctx: ScanContext, stream: BinaryIO, start: int, length: int, what: str) -> None:
    window = StreamWindow(stream, start, length)
    ctx.scan_nested(io.BufferedReader(window, buffer_size=1024 * 1024), f"{what}@{start}", length)


SAFETENSORS_HANDLER = FormatHandler(name="safetensors", sniff=_sniff, scan=_scan, needs_seek=True)

__all__ = ["DTYPE_BITS", "SAFETENSORS_HANDLER"]
