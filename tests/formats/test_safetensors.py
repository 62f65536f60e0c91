"""safetensors handler: reference-grade header validation, located findings, polyglot tails, fuzzing."""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weighbridge.core.findings import Finding, Severity
from weighbridge.formats.base import Limits, ScanContext, StreamWindow
from weighbridge.formats.safetensors import DTYPE_BITS, SAFETENSORS_HANDLER


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int | None, bytes]] = []

    def __call__(self, ctx: ScanContext, stream: BinaryIO, name: str, size: int | None) -> str:
        self.calls.append((name, size, stream.read()))
        return "recorded"


def build(
    tensors: dict[str, tuple[str, list[int]]],
    *,
    metadata: dict[str, Any] | None = None,
    pad: int = 0,
    trailing: bytes = b"",
) -> bytes:
    """A safetensors file laid out like the reference writer (contiguous, in insertion order)."""
    header: dict[str, Any] = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset, chunks = 0, []
    for name, (dtype, shape) in tensors.items():
        elements = 1
        for d in shape:
            elements *= d
        nbytes = elements * DTYPE_BITS[dtype] // 8
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + nbytes]}
        chunks.append(bytes(range(256)) * (nbytes // 256) + bytes(nbytes % 256))
        offset += nbytes
    return raw(json.dumps(header).encode() + b" " * pad, b"".join(chunks) + trailing)


def raw(header: bytes, data: bytes = b"") -> bytes:
    return struct.pack("<Q", len(header)) + header + data


def scan(data: bytes, *, limits: Limits | None = None, recorder: Recorder | None = None) -> ScanContext:
    ctx = ScanContext(path="model.safetensors", limits=limits or Limits(), nested=recorder or Recorder())
    SAFETENSORS_HANDLER.scan(ctx, io.BytesIO(data))
    return ctx


def only(ctx: ScanContext, rule: str) -> Finding:
    found = [f for f in ctx.findings if f.rule == rule]
    assert found, f"expected {rule}, got {[(f.rule, f.detail) for f in ctx.findings]}"
    return found[0]


def header_with(entries: str, data: bytes = b"") -> bytes:
    return raw(("{" + entries + "}").encode(), data)


VALID = {
    "embed.weight": ("F32", [4, 8]),
    "norm": ("BF16", [8]),
    "mask": ("BOOL", [3]),
    "fp4": ("F4", [2, 4]),
    "fp6": ("F6_E2M3", [4]),
    "fp6b": ("F6_E3M2", [8]),
    "scale": ("F8_E8M0", [2]),
    "c": ("C64", [2]),
    "scalar": ("I64", []),
    "empty": ("U16", [0, 5]),
    "f8": ("F8_E4M3", [5]),
    "f8b": ("F8_E5M2", [1]),
    "u8": ("U8", [1]),
    "i8": ("I8", [2]),
    "i16": ("I16", [1]),
    "f16": ("F16", [3]),
    "i32": ("I32", [1]),
    "u32": ("U32", [1]),
    "f64": ("F64", [1]),
    "u64": ("U64", [2]),
}


# -- valid files ---------------------------------------------------------------------------------------
def test_valid_file_with_every_dtype_is_clean(tmp_path: Path) -> None:
    assert set(DTYPE_BITS) == {dtype for dtype, _ in VALID.values()}
    path = tmp_path / "model.safetensors"
    path.write_bytes(build(VALID, metadata={"format": "pt"}, pad=5))
    ctx = ScanContext(path=path.name, limits=Limits(), nested=Recorder())
    with open(path, "rb") as f:
        SAFETENSORS_HANDLER.scan(ctx, f)
    assert ctx.findings == []


def test_empty_header_and_null_metadata_are_clean() -> None:
    assert scan(raw(b"{}")).findings == []
    assert scan(raw(b'{"__metadata__": null}')).findings == []


def test_only_the_header_is_read() -> None:
    data = build({"w": ("F32", [1024, 1024])})
    header_len = struct.unpack("<Q", data[:8])[0]

    class Counting(io.BytesIO):
        furthest = 0

        def read(self, n: int | None = -1) -> bytes:
            chunk = super().read(n)
            Counting.furthest = max(Counting.furthest, self.tell())
            return chunk

    ctx = ScanContext(path="m", limits=Limits(), nested=Recorder())
    SAFETENSORS_HANDLER.scan(ctx, Counting(data))
    assert ctx.findings == [] and Counting.furthest == 8 + header_len


def test_hashing_reader_reads_only_the_header_then_hashes_the_rest(tmp_path: Path) -> None:
    import hashlib

    from weighbridge.integrity.reader import HashingReader

    data = build({"w": ("F32", [512, 512])})
    path = tmp_path / "m.safetensors"
    path.write_bytes(data)
    ctx = ScanContext(path=path.name, limits=Limits(), nested=Recorder(), fs_path=str(path))
    with HashingReader(path) as reader:
        SAFETENSORS_HANDLER.scan(ctx, reader)  # type: ignore[arg-type]
        assert reader.bytes_read == 8 + struct.unpack("<Q", data[:8])[0]
        assert reader.finish() == hashlib.sha256(data).hexdigest()
    assert ctx.findings == []


def test_sniff() -> None:
    data = build({"w": ("F32", [2])})
    assert SAFETENSORS_HANDLER.sniff(data[:4096], "anything.bin")
    assert not SAFETENSORS_HANDLER.sniff(struct.pack("<Q", 1) + b"{}", "x.safetensors")
    assert not SAFETENSORS_HANDLER.sniff(struct.pack("<Q", 2) + b" {", "x.safetensors")
    assert not SAFETENSORS_HANDLER.sniff(b"\x80\x02}q\x00.", "x.safetensors")
    assert SAFETENSORS_HANDLER.needs_seek


# -- header length and JSON -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "limits", "words"),
    [
        (struct.pack("<Q", 200) + b"{}", Limits(), "past the end"),
        (struct.pack("<Q", 2000) + b"{" + b" " * 2100, Limits(max_header_bytes=1000), "exceeds the limit"),
        (b"\x02\x00\x00", Limits(), "too short"),
    ],
)
def test_header_length(data: bytes, limits: Limits, words: str) -> None:
    finding = only(scan(data, limits=limits), "WB-ST-001")
    assert words in finding.detail and finding.location.offset == 0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("header", "words"),
    [
        (b'{"a": \xff}', "not UTF-8"),
        (b'{"a": }', "not a valid JSON object"),
        (b'["a", "b"]', "does not start with"),
        (b' {"a": 1}', "does not start with"),
        (b'{"a": 1} x', "content after"),
        (b'{"a": 1,}', "expected a key"),
        (b'{"a" 1}', "expected ':'"),
        (b'{"a": 1 "b": 2}', "expected ','"),
        (b'{"a": 1}\x00', "content after"),
        (b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nests"),
    ],
)
def test_header_not_a_json_object(header: bytes, words: str) -> None:
    finding = only(scan(raw(header)), "WB-ST-002")
    assert words in finding.detail
    assert finding.location is not None and finding.location.offset is not None


def test_trailing_whitespace_in_header_is_allowed() -> None:
    assert scan(build({"w": ("F32", [2])}, pad=100)).findings == []
    assert scan(raw(b'{"__metadata__": {"a": "b"}}\n\t\r ')).findings == []


def test_duplicate_keys_are_a_parser_differential() -> None:
    entry = '"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}'
    ctx = scan(header_with(f"{entry}, {entry}", b"\0" * 4))
    finding = only(ctx, "WB-ST-003")
    assert finding.location.key == "w" and finding.evidence.startswith('"w"')  # type: ignore[union-attr]
    ctx = scan(
        header_with('"w": {"dtype": "F32", "dtype": "I32", "shape": [1], "data_offsets": [0, 4]}', b"\0" * 4)
    )
    assert "repeats the field(s) ['dtype']" in only(ctx, "WB-ST-003").detail


def test_nan_constant_is_a_parser_differential() -> None:
    ctx = scan(raw(b'{"__metadata__": {"x": "y"}, "junk": NaN}'))
    assert "NaN" in only(ctx, "WB-ST-003").detail


# -- metadata and tensor entries ------------------------------------------------------------------------------
@pytest.mark.parametrize("metadata", ['{"a": 1}', '["a"]', '"text"', '{"a": {"b": "c"}}'])
def test_metadata_must_map_strings_to_strings(metadata: str) -> None:
    finding = only(scan(header_with(f'"__metadata__": {metadata}')), "WB-ST-004")
    assert finding.location.key == "__metadata__" and finding.location.offset == 9  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ('"x"', "not an object"),
        ('{"dtype": "F32", "shape": [1]}', "lacks ['data_offsets']"),
        ('{"dtype": "F16X", "shape": [1], "data_offsets": [0, 4]}', "unknown dtype 'F16X'"),
        ('{"dtype": "f32", "shape": [1], "data_offsets": [0, 4]}', "unknown dtype 'f32'"),
        ('{"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}', "shape"),
        ('{"dtype": "F32", "shape": [1.0], "data_offsets": [0, 4]}', "shape"),
        ('{"dtype": "F32", "shape": [true], "data_offsets": [0, 4]}', "shape"),
        ('{"dtype": "F32", "shape": [18446744073709551616], "data_offsets": [0, 4]}', "shape"),
        ('{"dtype": "F32", "shape": 1, "data_offsets": [0, 4]}', "shape"),
        ('{"dtype": "F32", "shape": [1], "data_offsets": [0, 4, 8]}', "data_offsets"),
        ('{"dtype": "F32", "shape": [1], "data_offsets": ["0", 4]}', "data_offsets"),
        ('{"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}', "ends (0) before it begins (4)"),
    ],
)
def test_malformed_tensor_entries(entry: str, words: str) -> None:
    finding = only(scan(header_with(f'"bad.tensor": {entry}', b"\0" * 4)), "WB-ST-005")
    assert words in finding.detail and "'bad.tensor'" in finding.detail
    assert finding.location.key == "bad.tensor" and finding.evidence.startswith('"bad.tensor"')  # type: ignore[union-attr]


def test_bad_dtype_keeps_its_byte_range_in_the_layout() -> None:
    ctx = scan(header_with('"w": {"dtype": "X99", "shape": [2], "data_offsets": [0, 4]}', b"\0" * 4))
    assert [f.rule for f in ctx.findings] == ["WB-ST-005"]


def test_unknown_tensor_field_is_low() -> None:
    ctx = scan(header_with('"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "x": 1}', b"\0" * 4))
    assert only(ctx, "WB-ST-010").severity == Severity.LOW and len(ctx.findings) == 1


@pytest.mark.parametrize(
    ("entry", "words", "severity"),
    [
        ('{"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}', "needs 8", Severity.MEDIUM),
        (
            '{"dtype": "F4", "shape": [3], "data_offsets": [0, 2]}',
            "not a whole number of bytes",
            Severity.MEDIUM,
        ),
        ('{"dtype": "F6_E2M3", "shape": [3], "data_offsets": [0, 2]}', "not a whole number", Severity.MEDIUM),
        (
            '{"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 4]}',
            "overflows",
            Severity.HIGH,
        ),
        (
            '{"dtype": "F64", "shape": [4294967296, 536870912], "data_offsets": [0, 4]}',
            "bit size overflows",
            Severity.HIGH,
        ),
    ],
)
def test_size_must_match_shape_and_dtype(entry: str, words: str, severity: Severity) -> None:
    finding = only(scan(header_with(f'"w": {entry}', b"\0" * 4)), "WB-ST-006")
    assert words in finding.detail and finding.severity == severity


# -- layout ---------------------------------------------------------------------------------------------------
def _entry(name: str, begin: int, end: int) -> str:
    return f'"{name}": {{"dtype": "U8", "shape": [{end - begin}], "data_offsets": [{begin}, {end}]}}'


def test_gap_between_tensors_is_reported_and_scanned() -> None:
    recorder = Recorder()
    data = header_with(f"{_entry('a', 0, 4)}, {_entry('b', 10, 14)}", b"AAAA" + b"HIDDEN" + b"BBBB")
    ctx = scan(data, recorder=recorder)
    finding = only(ctx, "WB-ST-007")
    assert "6 unused bytes after 'a'" in finding.detail and finding.location.key == "b"  # type: ignore[union-attr]
    assert recorder.calls == [(f"gap@{len(data) - 10}", 6, b"HIDDEN")]


def test_gap_at_the_start_and_overlap() -> None:
    ctx = scan(header_with(f"{_entry('a', 2, 6)}, {_entry('b', 4, 8)}", b"\0" * 8))
    details = [f.detail for f in ctx.findings if f.rule == "WB-ST-007"]
    assert any("at the start of the data buffer" in d for d in details)
    assert any("'b' overlaps 'a'" in d for d in details)


def test_tensor_past_the_end_of_the_file_is_high() -> None:
    finding = only(scan(header_with(_entry("w", 0, 1000), b"\0" * 10)), "WB-ST-008")
    assert finding.severity == Severity.HIGH and finding.location.key == "w"  # type: ignore[union-attr]


def test_trailing_bytes_are_reported_and_scanned_as_a_polyglot() -> None:
    payload = b"\x80\x02cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03."
    recorder = Recorder()
    data = build({"w": ("F32", [4])}, trailing=payload)
    ctx = scan(data, recorder=recorder)
    finding = only(ctx, "WB-ST-009")
    start = len(data) - len(payload)
    assert finding.location.offset == start and finding.location.key == "w"  # type: ignore[union-attr]
    assert payload[:8].hex() in (finding.evidence or "")
    assert recorder.calls == [(f"trailing@{start}", len(payload), payload)]


def test_header_without_tensors_but_with_data_is_trailing() -> None:
    recorder = Recorder()
    ctx = scan(raw(b"{}", b"PK\x03\x04rest"), recorder=recorder)
    assert "no tensor data" in only(ctx, "WB-ST-009").detail and recorder.calls[0][2] == b"PK\x03\x04rest"


def test_many_problems_are_capped() -> None:
    entries = ", ".join(
        f'"t{i}": {{"dtype": "BAD", "shape": [1], "data_offsets": [0, 1]}}' for i in range(100)
    )
    ctx = scan(header_with(entries))
    bad = [f for f in ctx.findings if f.rule == "WB-ST-005"]
    assert len(bad) == 20 and "not listed" in bad[-1].detail


def test_non_ascii_names_locate_the_right_byte() -> None:
    data = header_with(
        f'"ä": {{"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, {_entry("ö", 4, 9)}', b"\0" * 8
    )
    finding = only(scan(data), "WB-ST-008")
    offset = finding.location.offset  # type: ignore[union-attr]
    assert offset is not None and data[offset : offset + 3] == '"ö'.encode()


def test_stream_window_reads_only_its_slice() -> None:
    window = StreamWindow(io.BytesIO(b"0123456789"), 3, 4)
    assert window.read() == b"3456" and window.read() == b""
    window.seek(-2, io.SEEK_END)
    assert window.read(10) == b"56" and window.tell() == 4


# -- fuzzing ----------------------------------------------------------------------------------------------------
_VALID_BYTES = build({"a": ("F32", [2, 2]), "b": ("F4", [4]), "c": ("BF16", [3])}, metadata={"k": "v"})


def _assert_contained(data: bytes) -> None:
    ctx = scan(data)
    for f in ctx.findings:
        assert f.rule.startswith("WB-ST") and f.location is not None and f.severity >= Severity.LOW


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=1024))
def test_fuzz_random_bytes(data: bytes) -> None:
    _assert_contained(data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(0, len(_VALID_BYTES) - 1), st.integers(0, 255)), min_size=1, max_size=6),
    st.integers(0, len(_VALID_BYTES)),
)
def test_fuzz_mutations_of_a_valid_file(flips: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(_VALID_BYTES)
    for pos, value in flips:
        data[pos] = value
    _assert_contained(bytes(data[:cut]))


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.text(max_size=10), _json_values, max_size=6), st.binary(max_size=64))
def test_fuzz_structured_headers(header: dict[str, Any], data: bytes) -> None:
    _assert_contained(raw(json.dumps(header).encode(), data))


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from([*DTYPE_BITS, "X", ""]),
    st.lists(st.integers(0, 2**66), max_size=4),
    st.integers(0, 2**65),
    st.integers(0, 2**65),
)
def test_fuzz_tensor_fields(dtype: str, shape: list[int], begin: int, end: int) -> None:
    entry = {"t": {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}}
    _assert_contained(raw(json.dumps(entry).encode(), b"\0" * 16))


# -- through the dispatcher ------------------------------------------------------------------------------------
def _dispatcher() -> Callable[..., str]:
    try:
        from weighbridge.scanning.dispatch import scan_stream
    except ImportError as exc:  # other handlers are still being written
        pytest.skip(f"dispatcher not importable yet: {exc}")
    return scan_stream


def test_dispatcher_routes_safetensors_and_scans_the_tail(tmp_path: Path) -> None:
    scan_stream = _dispatcher()
    path = tmp_path / "weights.bin"
    path.write_bytes(build({"w": ("F32", [4])}, trailing=b"\x80\x02cos\nsystem\nq\x00."))
    ctx = ScanContext(path=path.name, limits=Limits(), nested=scan_stream)
    with open(path, "rb") as f:
        assert scan_stream(ctx, f, path.name) == "safetensors"
    assert "WB-ST-009" in {f.rule for f in ctx.findings}
    assert len(ctx.formats) == 2


@pytest.mark.slow
def test_real_minilm_safetensors_scans_clean() -> None:
    from tests.artifacts import minilm_folder

    from weighbridge.integrity.reader import HashingReader

    path = minilm_folder() / "model.safetensors"
    ctx = ScanContext(path=path.name, limits=Limits(), nested=Recorder(), fs_path=str(path))
    with HashingReader(path) as reader:
        SAFETENSORS_HANDLER.scan(ctx, reader)  # type: ignore[arg-type]
        assert reader.bytes_read < 64 * 1024  # the header only
        reader.finish()
    assert ctx.findings == []
