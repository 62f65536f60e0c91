"""joblib-style compressed streams: detection as joblib does it, streaming decompression, limits.

Real joblib dumps of benign objects are scanned; malicious pickles are raw opcodes with a harmless command,
compressed in the test. Nothing is ever unpickled or loaded.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import pickle
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import joblib
import lz4.frame
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from weighbridge.core.findings import Finding, Severity
from weighbridge.formats.archives import compressed
from weighbridge.formats.archives.compressed import COMPRESSED_HANDLER, detect
from weighbridge.formats.archives.tar import TAR_HANDLER
from weighbridge.formats.archives.zip import ZIP_HANDLER
from weighbridge.formats.base import FormatHandler, Limits, ScanContext, make_seekable
from weighbridge.formats.numpy import NPY_HANDLER
from weighbridge.formats.pickle.handler import PICKLE_HANDLER

MALICIOUS = b"\x80\x02cos\nsystem\nq\x00X\x0b\x00\x00\x00echo bypassq\x01\x85q\x02Rq\x03."
HANDLERS: tuple[FormatHandler, ...] = (
    NPY_HANDLER,
    ZIP_HANDLER,
    TAR_HANDLER,
    COMPRESSED_HANDLER,
    PICKLE_HANDLER,
)

COMPRESSORS = {
    "zlib": zlib.compress,
    "gzip": gzip.compress,
    "bz2": bz2.compress,
    "xz": lzma.compress,
    "lzma": lambda data: lzma.compress(data, format=lzma.FORMAT_ALONE),
    "lz4": lz4.frame.compress,
}


@dataclass
class Result:
    findings: list[Finding]
    routed: list[tuple[str, str, bytes]] = field(default_factory=list)  # (name, handler, content or head)

    def rules(self) -> set[str]:
        return {f.rule for f in self.findings}

    def of(self, rule: str) -> list[Finding]:
        return [f for f in self.findings if f.rule == rule]

    def at_least(self, severity: Severity) -> bool:
        return any(f.severity >= severity for f in self.findings)


def scan(data: bytes, limits: Limits | None = None) -> Result:
    result = Result(findings=[])

    def route(ctx: ScanContext, stream: BinaryIO, name: str, size: int | None) -> str:
        if ctx.depth > ctx.limits.max_depth:
            return "too-deep"
        seekable = make_seekable(stream, ctx.limits)
        head = seekable.read(4096)
        seekable.seek(0)
        for handler in HANDLERS:
            if handler.sniff(head, name.lower()):
                result.routed.append((name, handler.name, head))
                handler.scan(ctx, seekable)
                return handler.name
        result.routed.append((name, "other", seekable.read()))
        return "other"

    ctx = ScanContext(path="model.joblib", limits=limits or Limits(), nested=route)
    COMPRESSED_HANDLER.scan(ctx, io.BytesIO(data))
    result.findings = ctx.findings
    return result


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
def test_real_joblib_dumps_are_decompressed_and_clean(tmp_path: Path, kind: str) -> None:
    model = LogisticRegression().fit(np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1]))
    path = tmp_path / f"model.{kind}"
    joblib.dump(model, path, compress=(kind, 3))
    data = path.read_bytes()
    assert detect(data[:4096]) == kind
    assert COMPRESSED_HANDLER.sniff(data[:4096], path.name)
    result = scan(data)
    assert [(name, handler) for name, handler, _ in result.routed][:1] == [("<decompressed>", "pickle")]
    assert not any(f.rule.startswith("WB-CMP") for f in result.findings), result.findings
    assert not result.at_least(Severity.HIGH), result.findings


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
def test_compressed_malicious_pickle_is_found(kind: str) -> None:  # bypass D8
    result = scan(COMPRESSORS[kind](MALICIOUS))
    assert result.routed[0][:2] == ("<decompressed>", "pickle")
    assert result.at_least(Severity.HIGH)


def _zfile(payload: bytes, *, declared: int | None = None, extra_space: bool = False) -> bytes:
    length = hex(len(payload) if declared is None else declared).encode().ljust(len(hex(2**64)))
    return b"ZF" + length + (b" " if extra_space else b"") + zlib.compress(payload)


@pytest.mark.parametrize("extra_space", [False, True])
def test_joblib_legacy_zfile(extra_space: bool) -> None:
    data = _zfile(MALICIOUS, extra_space=extra_space)
    assert detect(data) == "zf"
    result = scan(data)
    assert result.routed[0][:2] == ("<decompressed>", "pickle")
    assert result.at_least(Severity.HIGH)
    assert "WB-CMP-006" not in result.rules()


def test_zfile_declared_length_mismatch() -> None:
    result = scan(_zfile(b"\x80\x02K\x01.", declared=99))
    mismatch = result.of("WB-CMP-006")
    assert len(mismatch) == 1 and mismatch[0].evidence == "0x63"


def test_multi_member_gzip_and_xz_are_read_to_the_end() -> None:
    for data in (
        gzip.compress(b"a" * 100) + gzip.compress(b"b" * 100),
        lzma.compress(b"a" * 100) + lzma.compress(b"b" * 100),
        bz2.compress(b"a" * 100) + bz2.compress(b"b" * 100),
    ):
        result = scan(data)
        assert result.routed[0][2] == b"a" * 100 + b"b" * 100
        assert result.findings == []


def test_zero_padding_is_not_trailing_data() -> None:
    assert scan(gzip.compress(b"abc") + b"\x00" * 1000).findings == []


def test_trailing_data_is_reported_and_routed() -> None:
    result = scan(gzip.compress(b"hello") + b"\x00\x00" + MALICIOUS)
    trailing = result.of("WB-CMP-004")
    assert len(trailing) == 1 and trailing[0].evidence == MALICIOUS[:32].hex()
    assert ("<trailing>", "pickle") in [(name, handler) for name, handler, _ in result.routed]
    assert result.at_least(Severity.HIGH)


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
def test_truncated_stream_is_medium(kind: str) -> None:
    data = COMPRESSORS[kind](os.urandom(20000))
    result = scan(data[: len(data) // 2])
    broken = result.of("WB-CMP-001")
    assert len(broken) == 1 and broken[0].severity == Severity.MEDIUM
    assert broken[0].location is not None and broken[0].location.offset is not None


def test_truncated_after_payload_is_high() -> None:
    data = gzip.compress(MALICIOUS + os.urandom(5000))
    result = scan(data[:-2000])
    broken = result.of("WB-CMP-001")
    assert broken and broken[0].severity == Severity.HIGH


def test_corrupt_deflate_data() -> None:
    data = bytearray(zlib.compress(os.urandom(5000)))
    data[100:140] = b"\xff" * 40
    result = scan(bytes(data))
    assert "WB-CMP-001" in result.rules()


def test_ratio_bomb_stops_expansion() -> None:
    result = scan(gzip.compress(b"\x00" * (20 * 1024 * 1024)), Limits(max_ratio=50))
    bomb = result.of("WB-CMP-002")
    assert len(bomb) == 1 and bomb[0].severity == Severity.HIGH


def test_expansion_budget() -> None:
    result = scan(bz2.compress(os.urandom(300_000)), Limits(max_expanded_bytes=100_000))
    assert "WB-CMP-003" in result.rules()


def test_missing_lz4_module_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compressed, "_lz4_frame", None)
    result = scan(lz4.frame.compress(MALICIOUS))
    missing = result.of("WB-CMP-005")
    assert len(missing) == 1 and "weighbridge[lz4]" in missing[0].detail
    assert result.routed == []


def test_compressed_tar_is_routed_to_the_tar_reader() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        info = tarfile.TarInfo("checkpoint/data.pkl")
        info.size = len(MALICIOUS)
        tf.addfile(info, io.BytesIO(MALICIOUS))
    result = scan(buf.getvalue())
    assert [(name, handler) for name, handler, _ in result.routed] == [
        ("<decompressed>", "tar"),
        ("checkpoint/data.pkl", "pickle"),
    ]
    assert result.at_least(Severity.HIGH)


# -- sniffing must not take other formats ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "head",
    [
        b'\x78\x9c\x00\x00\x00\x00\x00\x00{"__metadata__": {}}',  # safetensors header length 0x9c78
        b"\x78\xda" + b"\xff" * 40,
        b"BZh9" + b"\x00" * 40,
        b"\x5d\x00\x00\x80\x00" + b"\xff" * 40,
        b"\xfd7zXZ\x00\x00\x04" + b"\x00" * 40,
        b"ZF0x10 zzz",
        pickle.dumps({"a": 1}, protocol=2),
        b"\x93NUMPY\x01\x00",
    ],
)
def test_sniff_rejects_look_alikes(head: bytes) -> None:
    assert not COMPRESSED_HANDLER.sniff(head, "x.bin")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=512))
def test_sniff_never_raises(head: bytes) -> None:
    COMPRESSED_HANDLER.sniff(head, "x")


_MAGICS = [
    b"\x78\x9c",
    b"\x1f\x8b\x08\x00",
    b"BZh91AY&SY",
    b"\xfd7zXZ\x00",
    b"\x5d\x00\x00\x80\x00",
    b"\x04\x22\x4d\x18",
    b"ZF0x20" + b" " * 15,
]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_MAGICS), st.binary(max_size=2048))
def test_random_streams_never_raise(magic: bytes, tail: bytes) -> None:
    scan(magic + tail)


_VALID = {kind: fn(MALICIOUS + b"\x00" * 3000) for kind, fn in COMPRESSORS.items()}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(sorted(_VALID)),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=6),
    st.integers(1, 10_000),
)
def test_mutated_streams_never_raise(kind: str, flips: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(_VALID[kind])
    for pos, value in flips:
        data[pos % len(data)] = value
    scan(bytes(data[:cut]))


def test_joblib_dump_through_the_dispatcher(tmp_path: Path) -> None:
    dispatch = pytest.importorskip("weighbridge.scanning.dispatch")
    path = tmp_path / "evil.joblib"
    path.write_bytes(gzip.compress(MALICIOUS))
    ctx = ScanContext(path=path.name, limits=Limits(), nested=dispatch.scan_stream)
    with open(path, "rb") as f:
        assert dispatch.scan_stream(ctx, f, path.name) == "compressed"
    assert "pickle" in ctx.formats
    assert any(
        f.severity >= Severity.HIGH and f.location is not None and f.location.member == "<decompressed>"
        for f in ctx.findings
    )
    assert "WB-SCAN-002" not in {f.rule for f in ctx.findings}


def test_lzma_header_asking_for_a_huge_dictionary_is_refused() -> None:
    data = bytearray(lzma.compress(b"hello" * 100, format=lzma.FORMAT_ALONE))
    data[1:5] = (3 << 30).to_bytes(4, "little")
    assert detect(bytes(data)) == "lzma"
    result = scan(bytes(data))
    assert any("memory usage limit" in f.detail.lower() for f in result.of("WB-CMP-001"))
