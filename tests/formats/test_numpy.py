"""NumPy .npy files: header parsed without evaluation, dtype sizing against numpy itself, data measured.

Benign arrays are written with np.save (never loaded back); malicious object arrays are hand-built headers
followed by raw pickle opcodes with a harmless command. Nothing is unpickled.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.lib import format as npformat

from weighbridge.core.findings import Finding, Severity
from weighbridge.formats.base import Limits, ScanContext
from weighbridge.formats.numpy import NPY_HANDLER, DTypeError, UnknownDType, parse_descr
from weighbridge.formats.pickle.handler import PICKLE_HANDLER

MALICIOUS = b"\x80\x02cos\nsystem\nq\x00X\x0b\x00\x00\x00echo bypassq\x01\x85q\x02Rq\x03."


@dataclass
class Result:
    findings: list[Finding]
    routed: list[tuple[str, bytes]] = field(default_factory=list)

    def rules(self) -> set[str]:
        return {f.rule for f in self.findings}

    def of(self, rule: str) -> list[Finding]:
        return [f for f in self.findings if f.rule == rule]

    def at_least(self, severity: Severity) -> bool:
        return any(f.severity >= severity for f in self.findings)


class Unseekable(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        super().__init__()
        self._inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        return self._inner.readinto(b)


def scan(data: bytes, *, seekable: bool = True) -> Result:
    result = Result(findings=[])

    def route(ctx: ScanContext, stream: BinaryIO, name: str, size: int | None) -> str:
        content = stream.read()
        result.routed.append((name, content))
        if PICKLE_HANDLER.sniff(content[:4096], name):
            PICKLE_HANDLER.scan(ctx, io.BytesIO(content))
            return "pickle"
        return "other"

    ctx = ScanContext(path="array.npy", limits=Limits(), nested=route)
    stream: BinaryIO = io.BytesIO(data) if seekable else Unseekable(data)  # type: ignore[assignment]
    NPY_HANDLER.scan(ctx, stream)
    result.findings = ctx.findings
    return result


def saved(array: np.ndarray[Any, Any], version: tuple[int, int] | None = None) -> bytes:
    buf = io.BytesIO()
    if version is None:
        np.save(buf, array, allow_pickle=True)
    else:
        npformat.write_array(buf, array, version=version, allow_pickle=True)
    return buf.getvalue()


def npy(header: str, data: bytes = b"", version: tuple[int, int] = (1, 0)) -> bytes:
    """A hand-made .npy: magic, version, length, the header text padded to 64 bytes, then ``data``."""
    raw = header.encode("utf-8" if version == (3, 0) else "latin-1")
    fixed = 10 if version == (1, 0) else 12
    raw += b" " * ((-(fixed + len(raw) + 1)) % 64) + b"\n"
    length = struct.pack("<H" if version == (1, 0) else "<I", len(raw))
    return b"\x93NUMPY" + bytes(version) + length + raw + data


DTYPES: list[Any] = [
    "?",
    "i1",
    "i2",
    "i4",
    "i8",
    "u1",
    "u2",
    "u4",
    "u8",
    "f2",
    "f4",
    "f8",
    "f16",
    "c8",
    "c16",
    "c32",
    "S7",
    "U5",
    "V3",
    "M8[ns]",
    "m8[D]",
    "M8",
    "O",
    ">i4",
    "<f8",
    [("a", "<f4"), ("b", "O")],
    [("a", "<f4", (2, 3)), ("b", [("x", "i2"), ("y", "S3")])],
    {"names": ["a", "b"], "formats": ["i1", "f8"], "offsets": [0, 8], "itemsize": 24},
    (np.int32, (2, 2)),
    [(("a title", "n"), "i4")],
]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_descr_sizes_match_numpy(dtype: Any) -> None:
    expected = np.dtype(dtype)
    got = parse_descr(npformat.dtype_to_descr(expected))
    assert (got.itemsize, got.has_object) == (expected.itemsize, expected.hasobject)


@pytest.mark.parametrize(
    "array",
    [
        np.arange(10),
        np.zeros((3, 0)),
        np.ones((2, 3), order="F"),
        np.array(3.5),
        np.array([b"ab", b"c"]),
        np.array(["unicode", "ü"]),
        np.zeros(4, dtype=[("a", "<f4", (2,)), ("b", "S3")]),
        np.array(["2020-01-01"], dtype="M8[D]"),
    ],
    ids=lambda a: f"{a.dtype}{a.shape}",
)
def test_benign_arrays_are_clean(array: np.ndarray[Any, Any]) -> None:
    assert NPY_HANDLER.sniff(saved(array), "x.npy")
    assert scan(saved(array)).findings == []
    assert scan(saved(array), seekable=False).findings == []


@pytest.mark.parametrize("version", [(1, 0), (2, 0), (3, 0)])
def test_format_versions(version: tuple[int, int]) -> None:
    dtype = np.dtype([("ü", "<i4")]) if version == (3, 0) else np.dtype("<i4")
    assert scan(saved(np.zeros(5, dtype=dtype), version)).findings == []


def test_object_array_is_low_and_its_pickle_analysed() -> None:
    result = scan(saved(np.array([1, "x", None], dtype=object)))
    note = result.of("WB-NPY-002")
    assert len(note) == 1 and note[0].severity == Severity.LOW and note[0].evidence == "'|O'"
    assert not result.at_least(Severity.MEDIUM), result.findings


@pytest.mark.parametrize("descr", ["'|O'", "[('a', '<f4'), ('payload', '|O')]", "('|O', (2,))"])
def test_malicious_object_array_is_high(descr: str) -> None:
    result = scan(npy(f"{{'descr': {descr}, 'fortran_order': False, 'shape': (1,), }}", MALICIOUS))
    assert "WB-NPY-002" in result.rules()
    assert result.at_least(Severity.HIGH)


def test_data_after_object_pickle_is_routed() -> None:
    result = scan(saved(np.array([1, 2], dtype=object)) + MALICIOUS)
    assert "WB-NPY-004" in result.rules()
    assert result.at_least(Severity.HIGH)


@pytest.mark.parametrize("seekable", [True, False])
def test_truncated_data(seekable: bool) -> None:
    data = saved(np.arange(100, dtype="<i8"))
    result = scan(data[:-10], seekable=seekable)
    truncated = result.of("WB-NPY-003")
    assert len(truncated) == 1 and truncated[0].evidence == "790/800"


@pytest.mark.parametrize("seekable", [True, False])
def test_trailing_pickle_is_routed(seekable: bool) -> None:
    data = saved(np.arange(4, dtype="<i8"))
    result = scan(data + MALICIOUS, seekable=seekable)
    trailing = result.of("WB-NPY-004")
    assert (
        len(trailing) == 1 and trailing[0].location is not None and trailing[0].location.offset == len(data)
    )
    assert result.routed and result.routed[0][1] == MALICIOUS
    assert result.at_least(Severity.HIGH)


@pytest.mark.parametrize(
    "header",
    [
        "{'descr': '<i4', 'fortran_order': False}",
        "{'descr': '<i4', 'fortran_order': False, 'shape': (1,), 'extra': 1}",
        "{'descr': '<i4', 'fortran_order': 'no', 'shape': (1,)}",
        "{'descr': '<i4', 'fortran_order': False, 'shape': (-1,)}",
        "{'descr': '<i4', 'fortran_order': False, 'shape': [1]}",
        "{'descr': '<i3', 'fortran_order': False, 'shape': (1,)}",
        "{'descr': 5, 'fortran_order': False, 'shape': (1,)}",
        "{'descr': [('a',)], 'fortran_order': False, 'shape': (1,)}",
        "{'descr': '<i4', 'fortran_order': False, 'shape': (" + "9" * 5000 + ",)}",
        "__import__('os').system('echo bypass')",
        "[" * 5000 + "]" * 5000,
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1 << 40, 1 << 40)}",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4611686018427387904)}",
    ],
)
def test_malformed_headers(header: str) -> None:
    result = scan(npy(header, b"\x00" * 16))
    assert "WB-NPY-001" in result.rules()
    assert result.routed == []


def test_unsupported_version_and_truncated_header() -> None:
    assert "WB-NPY-001" in scan(b"\x93NUMPY\x04\x00\x10\x00{}").rules()
    assert "WB-NPY-001" in scan(saved(np.arange(3))[:40]).rules()
    assert "WB-NPY-001" in scan(b"\x93NUMPY\x02\x00\xff\xff\xff\x7f").rules()


def test_header_over_numpy_limit_is_low() -> None:
    header = "{'descr': '<i1', 'fortran_order': False, 'shape': (2,)}" + " " * 12_000
    result = scan(npy(header, b"\x01\x02", version=(2, 0)))
    assert [f.rule for f in result.findings] == ["WB-NPY-005"]


def test_unknown_dtype_routes_the_data() -> None:
    result = scan(npy("{'descr': 'T', 'fortran_order': False, 'shape': (1,)}", MALICIOUS))
    assert "WB-NPY-006" in result.rules()
    assert result.routed == [("<array data>", MALICIOUS)]
    assert result.at_least(Severity.HIGH)


def test_parse_descr_errors() -> None:
    with pytest.raises(UnknownDType):
        parse_descr("quaternion")
    with pytest.raises(DTypeError):
        parse_descr([("a", "<f4", (-1,))])
    with pytest.raises(DTypeError):
        parse_descr({"a": 1})
    nested: Any = "<f4"
    for _ in range(100):
        nested = [("f", nested)]
    with pytest.raises(DTypeError):
        parse_descr(nested)


_VALID = saved(np.zeros(3, dtype=[("a", "<f4"), ("b", "S2")]))
_OBJECT = saved(np.array([1, "x"], dtype=object))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([_VALID, _OBJECT]),
    st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), min_size=1, max_size=6),
    st.integers(0, 400),
    st.booleans(),
)
def test_mutated_files_never_raise(
    base: bytes, flips: list[tuple[int, int]], cut: int, seekable: bool
) -> None:
    data = bytearray(base)
    for pos, value in flips:
        data[pos % len(data)] = value
    scan(bytes(data[:cut]), seekable=seekable)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300), st.binary(max_size=64), st.booleans())
def test_random_headers_never_raise_and_are_never_silent(header: str, data: bytes, utf8: bool) -> None:
    if not utf8:
        header = header.encode("latin-1", errors="replace").decode("latin-1")
    result = scan(npy(header, data, version=(3, 0) if utf8 else (1, 0)))
    assert result.findings


def test_npz_with_object_array_through_the_dispatcher(tmp_path: Path) -> None:
    dispatch = pytest.importorskip("weighbridge.scanning.dispatch")
    path = tmp_path / "arrays.npz"
    np.savez_compressed(path, weights=np.arange(6.0), objects=np.array([1, "x"], dtype=object))
    ctx = ScanContext(path=path.name, limits=Limits(), nested=dispatch.scan_stream)
    with open(path, "rb") as f:
        assert dispatch.scan_stream(ctx, f, path.name) == "zip"
    assert ctx.formats.count("npy") == 2
    assert [f.rule for f in ctx.findings] == ["WB-NPY-002"]
    assert ctx.findings[0].location is not None and ctx.findings[0].location.member == "objects.npy"
