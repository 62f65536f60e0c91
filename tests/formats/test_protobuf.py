"""The protobuf wire walker and the generic protobuf handler (SentencePiece-style models)."""

from __future__ import annotations

import io
import json
import random
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from weighbridge.core.findings import Severity
from weighbridge.formats.base import Limits, ScanContext
from weighbridge.formats.onnx import PROTOBUF_HANDLER
from weighbridge.formats.protobuf import (
    LEN,
    VARINT,
    ProtobufError,
    TruncatedError,
    WireReader,
    parse_head,
)


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def tag(number: int, wire: int) -> bytes:
    return varint(number << 3 | wire)


def len_field(number: int, payload: bytes) -> bytes:
    return tag(number, LEN) + varint(len(payload)) + payload


def sentencepiece_model(pieces: int = 300) -> bytes:
    out = bytearray()
    for i in range(pieces):
        piece = (
            len_field(1, f"▁tok{i}".encode())
            + tag(2, 5)
            + struct.pack("<f", -float(i))
            + tag(3, 0)
            + varint(1)
        )
        out += len_field(1, piece)
    out += len_field(
        2, len_field(1, b"corpus.txt") + tag(3, VARINT) + varint(1) + tag(4, VARINT) + varint(8000)
    )
    out += len_field(
        3, len_field(1, b"nmt_nfkc") + len_field(2, bytes(range(256)) * 4) + tag(3, VARINT) + varint(1)
    )
    return bytes(out)


def _reader(data: bytes) -> WireReader:
    return WireReader(io.BytesIO(data))


def _scan(data: bytes) -> ScanContext:
    ctx = ScanContext(path="tokenizer.model", limits=Limits(), nested=lambda c, s, n, z: "recorded")
    PROTOBUF_HANDLER.scan(ctx, io.BytesIO(data))
    return ctx


# -- walker -------------------------------------------------------------------------------------------------


def test_varints_and_fixed_values() -> None:
    data = (
        tag(1, VARINT) + varint(300) + tag(2, 1) + struct.pack("<Q", 2**63) + tag(3, 5) + b"\x01\x00\x00\x00"
    )
    fields = list(_reader(data).fields(0, len(data)))
    assert [(f.number, f.wire_type, f.value) for f in fields] == [(1, 0, 300), (2, 1, 2**63), (3, 5, 1)]
    assert fields[0].offset == 0 and fields[1].offset == 3 and fields[-1].end == len(data)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (tag(1, 3) + b"\x00", "groups"),
        (tag(1, 4), "groups"),
        (tag(1, 6), "invalid wire type"),
        (b"\x00\x01", "invalid field number 0"),
        (tag(1, VARINT) + b"\xff" * 10 + b"\x01", "longer than 10 bytes"),
        (tag(1, VARINT) + b"\xff" * 9 + b"\x7f", "larger than 64 bits"),
    ],
)
def test_invalid_wire_format(data: bytes, reason: str) -> None:
    with pytest.raises(ProtobufError, match=reason):
        list(_reader(data).fields(0, len(data)))


def test_truncation_and_overrun_are_told_apart() -> None:
    inner = len_field(1, b"abcdef")
    outer = len_field(2, inner)
    with pytest.raises(TruncatedError):
        list(_reader(outer[:-2]).fields(0, len(outer) - 2))
    reader = _reader(outer + b"\x00")
    sub = next(reader.fields(0, len(outer)))
    # a child field that claims more than its parent holds is an error, not truncation
    bad = len_field(2, tag(1, LEN) + varint(50) + b"abc") + b"\x00" * 60
    r2 = _reader(bad)
    parent = next(r2.fields(0, len(bad)))
    with pytest.raises(ProtobufError) as info:
        list(r2.fields(parent.value_offset, parent.end, 1))
    assert not isinstance(info.value, TruncatedError)
    assert [f.number for f in reader.fields(sub.value_offset, sub.end, 1)] == [1]


def test_depth_is_bounded() -> None:
    data = b"x"
    for _ in range(100):
        data = len_field(1, data)
    reader = _reader(data)

    def descend(start: int, end: int, depth: int) -> int:
        for f in reader.fields(start, end, depth, max_depth=20):
            if f.wire_type == LEN and f.value > 1:
                return descend(f.value_offset, f.end, depth + 1)
        return depth

    with pytest.raises(ProtobufError, match="nested deeper than 20"):
        descend(0, len(data), 0)


def test_large_payloads_are_skipped_not_read() -> None:
    payload = b"\0" * (8 * 1024 * 1024)
    data = len_field(1, payload) + tag(2, VARINT) + varint(7)

    class Counting(io.BytesIO):
        total = 0

        def read(self, n: int | None = -1) -> bytes:
            chunk = super().read(n)
            Counting.total += len(chunk)
            return chunk

    reader = WireReader(Counting(data))
    fields = list(reader.fields(0, reader.size))
    assert [f.number for f in fields] == [1, 2] and fields[1].value == 7
    assert Counting.total < 256 * 1024


def test_parse_head_allows_a_cut_only_when_more_follows() -> None:
    data = tag(1, VARINT) + varint(3) + len_field(2, b"a" * 100)
    assert parse_head(data[:20], whole=False) is not None
    assert parse_head(data[:20], whole=False).cut  # type: ignore[union-attr]
    assert parse_head(data[:20], whole=True) is None
    full = parse_head(data, whole=True)
    assert full is not None and not full.cut and [f.number for f in full.fields] == [1, 2]


# -- handler ------------------------------------------------------------------------------------------------


def test_sentencepiece_model_is_info_only() -> None:
    data = sentencepiece_model()
    assert PROTOBUF_HANDLER.sniff(data[:4096], "tokenizer.model")
    assert PROTOBUF_HANDLER.sniff(data[:4096], "anything")
    ctx = _scan(data)
    assert [(f.rule, f.severity) for f in ctx.findings] == [("WB-PB-002", Severity.INFO)]
    assert "SentencePiece" in ctx.findings[0].detail and "field 1×300" in (ctx.findings[0].evidence or "")


def test_small_complete_message_is_claimed() -> None:
    data = sentencepiece_model(pieces=3)
    assert len(data) < 4096
    assert PROTOBUF_HANDLER.sniff(data, "x")
    assert not PROTOBUF_HANDLER.sniff(data[:-3], "x")  # a whole file must parse to its last byte


def test_truncated_message_is_medium() -> None:
    data = sentencepiece_model()
    ctx = _scan(data[: len(data) - 100])
    assert [(f.rule, f.severity) for f in ctx.findings] == [("WB-PB-001", Severity.MEDIUM)]
    assert ctx.findings[0].location is not None and ctx.findings[0].location.offset is not None


def test_other_formats_are_not_claimed() -> None:
    rng = random.Random(1234)
    for _ in range(300):
        blob = bytes(rng.getrandbits(8) for _ in range(rng.choice([40, 300, 4096])))
        assert not PROTOBUF_HANDLER.sniff(blob, "tokenizer.model")
    header = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
    others = [
        b"Hello, this is a README file.\n" * 20,
        json.dumps({"model_type": "llama", "vocab_size": 32000}).encode() * 5,
        b"\x80\x04\x95" + b"\x00" * 200,
        b"PK\x03\x04" + b"\x00" * 200,
        b"GGUF\x03\x00\x00\x00" + b"\x00" * 200,
        struct.pack("<Q", len(header)) + header + b"\x00" * 8,
        b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }" + b" " * 60,
        b"\x89HDF\r\n\x1a\n" + b"\x00" * 200,
        b"\x7fELF\x02\x01\x01" + b"\x00" * 200,
        b"\x00" * 512,
    ]
    for blob in others:
        assert not PROTOBUF_HANDLER.sniff(blob[:4096], "tokenizer.model"), blob[:16]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4096))
def test_random_bytes_never_escape(data: bytes) -> None:
    PROTOBUF_HANDLER.sniff(data, "x")
    ctx = _scan(data)
    assert len(ctx.findings) == 1 and ctx.findings[0].rule in ("WB-PB-001", "WB-PB-002")


_SAMPLE = sentencepiece_model(pieces=20)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, len(_SAMPLE) - 1), st.integers(0, 255)), min_size=1, max_size=8),
    st.integers(0, len(_SAMPLE)),
)
def test_mutations_end_in_a_finding(flips: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(_SAMPLE)
    for pos, value in flips:
        data[pos] = value
    blob = bytes(data[:cut]) if cut else bytes(data)
    claimed = PROTOBUF_HANDLER.sniff(blob[:4096], "tokenizer.model")
    ctx = _scan(blob)
    assert len(ctx.findings) == 1
    if claimed:
        assert ctx.findings[0].rule == "WB-PB-002"  # the sniff demands a complete parse of a whole short file


def test_through_the_dispatcher() -> None:
    from weighbridge.scanning.dispatch import scan_stream

    ctx = ScanContext(path="tokenizer.model", limits=Limits(), nested=scan_stream)
    assert scan_stream(ctx, io.BytesIO(sentencepiece_model()), "tokenizer.model") == "protobuf"
    assert [f.severity for f in ctx.findings] == [Severity.INFO]
