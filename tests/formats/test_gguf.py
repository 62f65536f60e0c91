"""GGUF handler: valid models stay clean, every bound is enforced with a located finding, fuzzing never escapes."""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.formats.gguf_writer import GGUFWriter

from weighbridge.core.findings import Finding, Severity
from weighbridge.formats.base import Limits, ScanContext
from weighbridge.formats.gguf import (
    GGML_TYPES,
    GGUF_HANDLER,
    MAX_ARRAY_DEPTH,
    REMOVED_TYPES,
    ValueType,
    tensor_nbytes,
)

CHATML = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] | trim"
    " + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
SSTI = "{{ cycler.__init__.__globals__.os.popen('id').read() }}"
V = ValueType


class Recorder:
    """Stands in for the dispatcher: remembers what was handed back as embedded content."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int | None, bytes]] = []

    def __call__(self, ctx: ScanContext, stream: BinaryIO, name: str, size: int | None) -> str:
        self.calls.append((name, size, stream.read(4096)))
        return "recorded"


def scan(data: bytes, *, limits: Limits | None = None, recorder: Recorder | None = None) -> ScanContext:
    ctx = ScanContext(path="model.gguf", limits=limits or Limits(), nested=recorder or Recorder())
    GGUF_HANDLER.scan(ctx, io.BytesIO(data))
    return ctx


def rules(ctx: ScanContext) -> set[str]:
    return {f.rule for f in ctx.findings}


def only(ctx: ScanContext, rule: str) -> Finding:
    found = [f for f in ctx.findings if f.rule == rule]
    assert found, f"expected {rule}, got {[(f.rule, f.detail) for f in ctx.findings]}"
    return found[0]


def model(
    *,
    version: int = 3,
    big_endian: bool = False,
    alignment: int = 32,
    tokens: int = 300,
    template: str = CHATML,
) -> GGUFWriter:
    w = GGUFWriter(version=version, big_endian=big_endian, alignment=alignment)
    w.string("general.architecture", "llama").string("general.name", "tiny test model")
    if alignment != 32:
        w.u32("general.alignment", alignment)
    w.u32("llama.context_length", 2048).kv("llama.block_count", V.UINT64, 2)
    w.kv("llama.rope.freq_base", V.FLOAT32, 10000.0).kv(
        "llama.attention.layer_norm_rms_epsilon", V.FLOAT64, 1e-5
    )
    w.kv("general.file_type", V.INT32, 3).kv("x.i8", V.INT8, -3).kv("x.u16", V.UINT16, 7)
    w.kv("x.i16", V.INT16, -7).kv("x.i64", V.INT64, -1).kv("x.u8", V.UINT8, 255)
    w.kv("tokenizer.ggml.add_bos_token", V.BOOL, True)
    w.array("tokenizer.ggml.tokens", V.STRING, [f"tok{i}" for i in range(tokens)])
    w.array("tokenizer.ggml.scores", V.FLOAT32, [0.5] * tokens)
    w.array("tokenizer.ggml.token_type", V.INT32, [1] * tokens)
    w.array("tokenizer.ggml.merges", V.STRING, ["a b", "c d"])
    w.array("x.nested", V.ARRAY, [(V.UINT8, [1, 2, 3]), (V.STRING, ["x"]), (V.ARRAY, [(V.BOOL, [True])])])
    w.string("tokenizer.chat_template", template)
    w.string("tokenizer.chat_template.tool_use", CHATML)
    w.tensor("token_embd.weight", [64, 4], 0).tensor("blk.0.attn_q.weight", [64, 2], 1)
    w.tensor("blk.0.ffn.weight", [256, 2], 12).tensor("blk.0.q4.weight", [32, 3], 2)
    w.tensor("output_norm.weight", [7], 0)  # 28 bytes: the next tensor needs padding
    w.tensor("output.weight", [64], 30)
    return w


# -- valid files ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("version", "big_endian"), [(1, False), (2, False), (3, False), (3, True), (2, True)]
)
def test_valid_model_is_clean_in_every_version_and_byte_order(version: int, big_endian: bool) -> None:
    ctx = scan(model(version=version, big_endian=big_endian).build())
    assert ctx.findings == []
    assert ctx.formats.count("chat-template") == 2


def test_valid_model_written_to_disk_is_clean(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(model(alignment=64).build())
    ctx = ScanContext(path="m.gguf", limits=Limits(), nested=Recorder())
    with open(path, "rb") as f:
        GGUF_HANDLER.scan(ctx, f)
    assert ctx.findings == []


def test_every_ggml_type_is_sized_correctly() -> None:
    w = GGUFWriter()
    for type_id, info in GGML_TYPES.items():
        w.tensor(f"t{type_id}", [info.block_size * 2, 3], type_id)
    assert scan(w.build()).findings == []
    assert tensor_nbytes(2, [64, 3]) == 2 * 18 * 3  # Q4_0: 32 elements per 18-byte block
    assert tensor_nbytes(12, [512]) == 2 * 144  # Q4_K
    assert tensor_nbytes(39, [64]) == 2 * 17  # MXFP4
    assert tensor_nbytes(34, [256]) == 54  # TQ1_0


def test_model_without_tensors_is_clean() -> None:
    w = GGUFWriter().string("general.architecture", "none")
    assert scan(w.build()).findings == []
    assert scan(w.header()).findings == []  # no padding written at all is fine too


def test_sniff() -> None:
    assert GGUF_HANDLER.sniff(b"GGUF\x03\x00\x00\x00", "x.bin")
    assert not GGUF_HANDLER.sniff(b"GGML\x03\x00\x00\x00", "x.gguf")
    assert GGUF_HANDLER.needs_seek


# -- header and counts -----------------------------------------------------------------------------------
def test_not_gguf_and_unknown_version() -> None:
    assert only(scan(b"GGU"), "WB-GGUF-001").location.offset == 0  # type: ignore[union-attr]
    bad = bytearray(model().build())
    bad[4:8] = struct.pack("<I", 7)
    finding = only(scan(bytes(bad)), "WB-GGUF-002")
    assert "7" in finding.detail and finding.evidence == "07000000"


@pytest.mark.parametrize("field", ["tensor", "kv"])
def test_counts_larger_than_the_file(field: str) -> None:
    head = bytearray(model().build())
    offset = 8 if field == "tensor" else 16
    head[offset : offset + 8] = struct.pack("<Q", 2**62)
    finding = only(scan(bytes(head)), "WB-GGUF-003")
    assert finding.location.offset == offset  # type: ignore[union-attr]


def test_array_length_larger_than_the_file_is_refused_before_allocation() -> None:
    w = GGUFWriter().raw_kv(
        "tokenizer.ggml.tokens", V.ARRAY, struct.pack("<IQ", V.STRING, 2**60) + b"\0" * 64
    )
    tracemalloc.start()
    ctx = scan(w.build())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert only(ctx, "WB-GGUF-003").location.key == "tokenizer.ggml.tokens"  # type: ignore[union-attr]
    assert peak < 4 * 1024 * 1024


def test_tokenizer_arrays_are_streamed_not_held() -> None:
    w = GGUFWriter().array("tokenizer.ggml.tokens", V.STRING, [f"token-{i:06d}" for i in range(200_000)])
    w.array("tokenizer.ggml.scores", V.FLOAT32, [0.0] * 200_000).tensor("w", [32], 0)
    data = w.build()
    tracemalloc.start()
    started = time.perf_counter()
    ctx = scan(data)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert ctx.findings == []
    assert len(data) > 4 * 1024 * 1024
    assert peak < 3 * 1024 * 1024  # the 1 MiB read window plus bookkeeping, not the 4+ MB of tokens
    assert elapsed < 5


def test_every_truncation_is_a_finding() -> None:
    data = model(tokens=4).build()
    for cut in range(len(data)):
        ctx = scan(data[:cut])
        assert ctx.findings, f"truncation at {cut} of {len(data)} bytes went unnoticed"
        assert all(f.severity >= Severity.MEDIUM for f in ctx.findings if f.rule.startswith("WB-GGUF"))


# -- strings, values, keys -------------------------------------------------------------------------------
def test_key_longer_than_the_format_allows() -> None:
    ctx = scan(GGUFWriter().string("k" * 70_000, "v").build())
    assert "70000 bytes" in only(ctx, "WB-GGUF-004").detail


def test_key_not_utf8() -> None:
    ctx = scan(GGUFWriter().string(b"general.\xff\xfe", "v").build())
    assert only(ctx, "WB-GGUF-004").severity == Severity.MEDIUM


def test_string_value_not_utf8_is_low() -> None:
    ctx = scan(GGUFWriter().raw_kv("general.name", V.STRING, struct.pack("<Q", 2) + b"\xc3\x28").build())
    finding = only(ctx, "WB-GGUF-004")
    assert finding.severity == Severity.LOW and finding.location.key == "general.name"  # type: ignore[union-attr]


def test_string_value_over_the_limit_is_not_read() -> None:
    ctx = scan(GGUFWriter().string("general.description", "x" * 5000).build(), limits=Limits(max_string=1000))
    assert "5000 bytes" in only(ctx, "WB-GGUF-004").detail


def test_unknown_value_type_stops_parsing() -> None:
    ctx = scan(GGUFWriter().raw_kv("general.x", 13, b"\0" * 16).string("general.y", "z").build())
    finding = only(ctx, "WB-GGUF-005")
    assert finding.location.key == "general.x" and finding.evidence == "13"  # type: ignore[union-attr]


def test_array_of_unknown_element_type() -> None:
    ctx = scan(GGUFWriter().raw_kv("a", V.ARRAY, struct.pack("<IQ", 42, 1) + b"\0" * 8).build())
    assert "element type 42" in only(ctx, "WB-GGUF-005").detail


def test_arrays_nested_too_deep() -> None:
    value: tuple[int, list[object]] = (V.UINT8, [1])
    for _ in range(MAX_ARRAY_DEPTH + 1):
        value = (V.ARRAY, [value])
    ctx = scan(GGUFWriter().kv("deep", V.ARRAY, value).build())
    assert "nest deeper" in only(ctx, "WB-GGUF-005").detail


def test_boolean_out_of_range_is_low() -> None:
    ctx = scan(GGUFWriter().raw_kv("general.flag", V.BOOL, b"\x02").build())
    assert only(ctx, "WB-GGUF-005").severity == Severity.LOW


def test_duplicate_key_and_tensor_name() -> None:
    w = (
        GGUFWriter()
        .string("general.name", "a")
        .string("general.name", "b")
        .tensor("w", [32])
        .tensor("w", [32])
    )
    ctx = scan(w.build())
    dups = [f for f in ctx.findings if f.rule == "WB-GGUF-006"]
    assert {f.location.key for f in dups} == {"general.name", "w"}  # type: ignore[union-attr]


# -- alignment --------------------------------------------------------------------------------------------
def test_alignment_not_a_power_of_two() -> None:
    w = GGUFWriter().u32("general.alignment", 48).tensor("w", [32])
    finding = only(scan(w.build()), "WB-GGUF-007")
    assert finding.evidence == "48" and finding.location.key == "general.alignment"  # type: ignore[union-attr]


def test_alignment_of_the_wrong_type() -> None:
    w = GGUFWriter(alignment=64).kv("general.alignment", V.UINT64, 64).tensor("w", [32])
    assert "not uint32" in only(scan(w.build()), "WB-GGUF-007").detail
    w = GGUFWriter().string("general.alignment", "32").tensor("w", [32])
    assert only(scan(w.build()), "WB-GGUF-007")


# -- tensor infos ----------------------------------------------------------------------------------------
def test_too_many_dimensions() -> None:
    finding = only(scan(GGUFWriter().tensor("w", [1, 1, 1, 1, 1], 0, b"\0" * 4).build()), "WB-GGUF-008")
    assert finding.location.key == "w" and finding.evidence == "5"  # type: ignore[union-attr]


@pytest.mark.parametrize("type_id", [99, *REMOVED_TYPES])
def test_unknown_and_removed_types(type_id: int) -> None:
    ctx = scan(GGUFWriter().tensor("w", [32], type_id, b"\0" * 32).build())
    assert f"type={type_id}" in only(ctx, "WB-GGUF-008").evidence  # type: ignore[operator]


def test_row_not_a_multiple_of_the_block_size() -> None:
    ctx = scan(GGUFWriter().tensor("w", [33, 2], 2, b"\0" * 36).build())
    assert "block size 32" in only(ctx, "WB-GGUF-008").detail


def test_empty_dimension_and_long_name_are_low() -> None:
    ctx = scan(GGUFWriter().tensor("w", [0, 4], 0).tensor("n" * 80, [32]).build())
    assert {f.severity for f in ctx.findings} == {Severity.LOW}
    assert len(ctx.findings) == 2


@pytest.mark.parametrize("dims", [[2**62, 4], [2**63, 1], [2**40, 2**40, 2**40]])
def test_dimension_overflow_is_high(dims: list[int]) -> None:
    ctx = scan(GGUFWriter().tensor("big", dims, 0, b"").build())
    finding = only(ctx, "WB-GGUF-009")
    assert finding.severity == Severity.HIGH and finding.location.key == "big"  # type: ignore[union-attr]


def test_byte_size_overflow_is_high() -> None:
    ctx = scan(GGUFWriter().tensor("big", [2**61, 2], 28, b"").build())  # F64: 2^62 elements, 2^65 bytes
    assert "beyond int64" in only(ctx, "WB-GGUF-009").detail


# -- data layout -------------------------------------------------------------------------------------------
def test_tensor_past_the_end_of_the_file_is_high() -> None:
    w = GGUFWriter().tensor("a", [32]).tensor("liar", [32])
    data, header = bytearray(w.build()), len(w.header())
    data[header - 8 : header] = struct.pack("<Q", 1 << 30)  # the last field of the header: liar's offset
    finding = only(scan(bytes(data)), "WB-GGUF-010")
    assert finding.severity == Severity.HIGH and finding.location.key == "liar"  # type: ignore[union-attr]


def test_lying_dimensions_read_past_the_file() -> None:
    data = GGUFWriter().tensor("w", [32]).build()
    patched = data.replace(struct.pack("<Q", 32), struct.pack("<Q", 32 * 1024 * 1024), 1)
    assert "WB-GGUF-010" in rules(scan(patched))


def test_misaligned_and_overlapping_tensors() -> None:
    w = GGUFWriter().tensor("a", [32]).tensor("b", [32], offset=8)
    ctx = scan(w.build())
    details = " | ".join(f.detail for f in ctx.findings if f.rule == "WB-GGUF-011")
    assert "not a multiple of the alignment" in details and "overlaps 'a'" in details


def test_gap_between_tensors_is_scanned_as_embedded_content() -> None:
    payload = b"\x80\x04\x95PAYLOAD"
    w = GGUFWriter().tensor("a", [8]).tensor("b", [8], offset=128)
    data = bytearray(w.build())
    header_end = len(w.header()) + (-len(w.header())) % 32
    data[header_end + 32 : header_end + 32 + len(payload)] = payload
    recorder = Recorder()
    ctx = scan(bytes(data), recorder=recorder)
    finding = only(ctx, "WB-GGUF-012")
    assert finding.location.offset == header_end + 32 and finding.location.key == "b"  # type: ignore[union-attr]
    assert recorder.calls and recorder.calls[0][0].startswith("gap@")
    assert recorder.calls[0][2].startswith(payload) and recorder.calls[0][1] == 96


def test_trailing_bytes_are_scanned_as_embedded_content() -> None:
    payload = b"PK\x03\x04" + b"\0" * 60
    recorder = Recorder()
    ctx = scan(model().build(trailing=payload), recorder=recorder)
    finding = only(ctx, "WB-GGUF-012")
    assert finding.severity == Severity.MEDIUM and "504b0304" in (finding.evidence or "")
    assert recorder.calls == [(f"trailing@{finding.location.offset}", 64, payload)]  # type: ignore[union-attr]


def test_non_zero_padding_before_the_data_section() -> None:
    w = GGUFWriter().tensor("a", [8])
    data = bytearray(w.build())
    header = len(w.header())
    assert header % 32  # there is padding to tamper with
    data[header] = 0x41
    recorder = Recorder()
    ctx = scan(bytes(data), recorder=recorder)
    assert only(ctx, "WB-GGUF-012").location.offset == header  # type: ignore[union-attr]
    assert recorder.calls[0][0] == f"padding@{header}"


def test_parser_reads_the_header_and_at_most_one_window_of_data() -> None:
    w = GGUFWriter().string("general.name", "x").tensor("w", [4 * 1024 * 1024])  # 16 MiB of F32
    data = w.build()

    class Counting(io.BytesIO):
        read_bytes = 0

        def read(self, n: int | None = -1) -> bytes:
            chunk = super().read(n)
            Counting.read_bytes += len(chunk)
            return chunk

    ctx = ScanContext(path="m.gguf", limits=Limits(), nested=Recorder())
    GGUF_HANDLER.scan(ctx, Counting(data))
    assert ctx.findings == []
    assert Counting.read_bytes <= len(w.header()) + 8 + (1 << 20) + 32


# -- chat templates ----------------------------------------------------------------------------------------
def test_template_injection_in_metadata_is_critical_and_located() -> None:
    w = model(template=SSTI)
    data = w.build()
    ctx = scan(data)
    finding = only(ctx, "WB-TPL-001")
    assert finding.severity == Severity.CRITICAL
    assert finding.location.key == "tokenizer.chat_template"  # type: ignore[union-attr]
    offset = finding.location.offset  # type: ignore[union-attr]
    assert offset is not None and data[offset + 8 : offset + 8 + len(SSTI)] == SSTI.encode()
    assert "__globals__" in (finding.evidence or "")


def test_named_template_variant_is_checked() -> None:
    w = GGUFWriter().string("tokenizer.chat_template.rag", "{{ self._TemplateReference__context }}")
    ctx = scan(w.build())
    assert only(ctx, "WB-TPL-001").location.key == "tokenizer.chat_template.rag"  # type: ignore[union-attr]


def test_template_that_is_not_a_string() -> None:
    ctx = scan(GGUFWriter().array("tokenizer.chat_template", V.UINT8, [1, 2]).build())
    assert only(ctx, "WB-GGUF-013").evidence == str(V.ARRAY)


def test_template_too_large_to_read() -> None:
    ctx = scan(
        GGUFWriter().string("tokenizer.chat_template", "x" * 3000).build(), limits=Limits(max_string=1000)
    )
    assert {"WB-GGUF-013", "WB-GGUF-004"} <= rules(ctx)


def test_truncation_after_a_dangerous_template_is_high() -> None:
    data = GGUFWriter().string("tokenizer.chat_template", SSTI).tensor("w", [32]).build()
    cut = data.index(b"w\x01\x00\x00\x00")  # inside the tensor info of 'w'
    truncated = only(scan(data[:cut]), "WB-GGUF-001")
    assert truncated.severity == Severity.HIGH


# -- fuzzing -----------------------------------------------------------------------------------------------
_VALID = model(tokens=8).build()
_NOT_TYPE_IDS = [i for i in range(45) if i not in GGML_TYPES]


def _assert_contained(data: bytes) -> None:
    ctx = scan(data)
    for f in ctx.findings:
        assert f.rule.startswith(("WB-GGUF", "WB-TPL")) and f.location is not None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_fuzz_random_bytes_after_magic(tail: bytes) -> None:
    _assert_contained(b"GGUF" + tail)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)), min_size=1, max_size=8),
    st.integers(0, len(_VALID)),
)
def test_fuzz_mutations_of_a_valid_model(flips: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(_VALID)
    for pos, value in flips:
        data[pos] = value
    _assert_contained(bytes(data[:cut] if cut > 8 else data))


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["u32", "u64"]), st.integers(0, 2**64 - 1), st.integers(0, 40))
def test_fuzz_wide_numbers_in_counts(kind: str, value: int, where: int) -> None:
    data = bytearray(_VALID)
    fmt = "<I" if kind == "u32" else "<Q"
    pos = min(8 + where * 4, len(data) - struct.calcsize(fmt))
    data[pos : pos + struct.calcsize(fmt)] = struct.pack(fmt, value % (2 ** (8 * struct.calcsize(fmt))))
    _assert_contained(bytes(data))


# -- through the dispatcher, and the real artifact -----------------------------------------------------------
def _dispatcher() -> Callable[..., str]:
    try:
        from weighbridge.scanning.dispatch import scan_stream
    except ImportError as exc:  # other handlers are still being written
        pytest.skip(f"dispatcher not importable yet: {exc}")
    return scan_stream


def test_dispatcher_routes_gguf_and_scans_trailing_content(tmp_path: Path) -> None:
    scan_stream = _dispatcher()
    path = tmp_path / "m.gguf"
    path.write_bytes(model(template=SSTI).build(trailing=b"\x80\x02cos\nsystem\nq\x00."))
    ctx = ScanContext(path="m.gguf", limits=Limits(), nested=scan_stream)
    with open(path, "rb") as f:
        assert scan_stream(ctx, f, "m.gguf") == "gguf"
    assert "WB-TPL-001" in rules(ctx) and "WB-GGUF-012" in rules(ctx)
    assert len(ctx.formats) >= 2


@pytest.mark.slow
def test_real_smollm2_gguf_scans_clean() -> None:
    from tests.artifacts import smollm2_gguf

    from weighbridge.integrity.reader import HashingReader

    path = smollm2_gguf()
    ctx = ScanContext(path=path.name, limits=Limits(), nested=Recorder(), fs_path=str(path))
    started = time.perf_counter()
    with HashingReader(path) as reader:
        GGUF_HANDLER.scan(ctx, reader)
        parsed = time.perf_counter() - started
        reader.finish()
    assert [f for f in ctx.findings if f.severity > Severity.LOW] == []
    assert "chat-template" in ctx.formats
    assert parsed < 10
