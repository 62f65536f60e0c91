"""GGUF general.* reader: values and offsets, bounds, broken files as problems, the real SmolLM2 file."""

from __future__ import annotations

import struct
import time
from pathlib import Path

import pytest
from tests.formats.gguf_writer import GGUFWriter
from tests.provenance.folders import folder, gguf, local

from artifacts import smollm2_gguf
from weighbridge.core.report import SnapshotFile
from weighbridge.formats.gguf import ValueType
from weighbridge.metadata.gguf_general import MAX_VALUE_BYTES
from weighbridge.provenance import find_gguf_files, read_gguf_general
from weighbridge.provenance.gguf_meta import file_type_name, is_quantized

GENERAL: dict[str, str | int] = {
    "general.name": "Qwen2.5 7B Instruct",
    "general.organization": "Qwen",
    "general.author": "Alibaba Cloud",
    "general.quantized_by": "bartowski",
    "general.url": "https://huggingface.co/bartowski/Qwen2.5-7B-Instruct-GGUF",
    "general.source.url": "https://huggingface.co/Qwen/Qwen2.5-7B-Instruct",
    "general.source.huggingface.repository": "Qwen/Qwen2.5-7B-Instruct",
    "general.base_model.count": 1,
    "general.base_model.0.name": "Qwen2.5 7B",
    "general.base_model.0.organization": "Qwen",
    "general.base_model.0.repo_url": "https://huggingface.co/Qwen/Qwen2.5-7B",
    "general.license": "apache-2.0",
    "general.license.link": "https://huggingface.co/Qwen/Qwen2.5-7B-Instruct/blob/main/LICENSE",
    "general.finetune": "Instruct",
    "general.size_label": "7B",
    "general.file_type": 15,
}


def _write(tmp_path: Path, data: bytes, name: str = "m.gguf") -> SnapshotFile:
    path = tmp_path / name
    path.write_bytes(data)
    return SnapshotFile(rel=name, abspath=str(path))


@pytest.mark.parametrize("big_endian,version", [(False, 3), (True, 3), (False, 2), (False, 1)])
def test_general_keys_base_models_and_offsets(tmp_path: Path, big_endian: bool, version: int) -> None:
    data = gguf(GENERAL, big_endian=big_endian, version=version)
    meta = read_gguf_general(_write(tmp_path, data))
    assert meta.complete and meta.problems == ()
    for key, value in GENERAL.items():
        assert meta.values[key] == value
    assert meta.values["tokenizer.ggml.model"] == "gpt2"  # kept: the file carries its tokenizer
    assert "tokenizer.ggml.tokens" not in meta.values  # vocabularies are skipped, never held
    assert len(meta.base_models) == 1
    base = meta.base_models[0]
    assert (base.name, base.organization, base.repo_url) == (
        "Qwen2.5 7B",
        "Qwen",
        "https://huggingface.co/Qwen/Qwen2.5-7B",
    )
    assert file_type_name(meta) == "Q4_K_M" and is_quantized(meta) is True
    # The offset points at the key's length prefix in the file.
    at = meta.offsets["general.organization"]
    width = 4 if version == 1 else 8
    length = int.from_bytes(data[at : at + width], "big" if big_endian else "little")
    assert data[at + width : at + width + length] == b"general.organization"
    cite = meta.cite("general.quantized_by")
    assert (cite.file, cite.key, cite.value) == ("m.gguf", "general.quantized_by", "bartowski")


def test_string_arrays_kept_when_small_and_numbers_typed(tmp_path: Path) -> None:
    w = GGUFWriter()
    w.array("general.tags", ValueType.STRING, ["text-generation", "gguf"])
    w.array("general.languages", ValueType.STRING, [f"l{i}" for i in range(1000)])  # too many: skipped
    w.kv("general.sampling.temp", ValueType.FLOAT32, 0.5)
    w.kv("general.flag", ValueType.BOOL, True)
    w.kv("general.size", ValueType.UINT64, 2**40)
    w.array("nested.arrays", ValueType.ARRAY, [(ValueType.UINT8, [1, 2]), (ValueType.STRING, ["a"])])
    meta = read_gguf_general(_write(tmp_path, w.build()))
    assert meta.complete, meta.problems
    assert meta.values["general.tags"] == ("text-generation", "gguf")
    assert "general.languages" not in meta.values
    assert meta.values["general.sampling.temp"] == 0.5 and meta.values["general.flag"] is True
    assert meta.integer("general.size") == 2**40 and meta.integer("general.flag") is None
    assert meta.text("general.size") is None


def test_broken_files_are_problems_not_exceptions(tmp_path: Path) -> None:
    data = gguf(GENERAL)
    cut = data.index(b"general.base_model.0.repo_url") + 10
    truncated = read_gguf_general(_write(tmp_path, data[:cut], "cut.gguf"))
    assert not truncated.complete and "ends early" in truncated.problems[0].message
    assert truncated.values["general.organization"] == "Qwen"  # what precedes the cut is kept

    huge_count = bytearray(data)
    huge_count[16:24] = struct.pack("<Q", 10**12)
    assert (
        "metadata count"
        in read_gguf_general(_write(tmp_path, bytes(huge_count), "n.gguf")).problems[0].message
    )

    bad_type = GGUFWriter().raw_kv("general.name", 99, b"\x00" * 8).build()
    assert "unknown type 99" in read_gguf_general(_write(tmp_path, bad_type, "t.gguf")).problems[0].message

    not_gguf = read_gguf_general(_write(tmp_path, b"PK\x03\x04" + b"\x00" * 40, "z.gguf"))
    assert not not_gguf.complete and "GGUF header" in not_gguf.problems[0].message

    missing = read_gguf_general(SnapshotFile(rel="gone.gguf", abspath=str(tmp_path / "gone.gguf")))
    assert "could not be read" in missing.problems[0].message


def test_long_strings_duplicates_and_deep_arrays(tmp_path: Path) -> None:
    w = GGUFWriter()
    w.string("general.description", "x" * (MAX_VALUE_BYTES + 1))
    w.string("general.name", "first")
    w.string("general.name", "second")
    meta = read_gguf_general(_write(tmp_path, w.build()))
    assert meta.complete
    assert "general.description" not in meta.values
    assert meta.values["general.name"] == "first"
    messages = " ".join(p.message for p in meta.problems)
    assert "not read" in messages and "more than once" in messages

    deep: tuple[int, object] = (ValueType.UINT8, [1])
    for _ in range(10):
        deep = (ValueType.ARRAY, [deep])
    nested = GGUFWriter().kv("other.deep", ValueType.ARRAY, deep).build()
    result = read_gguf_general(_write(tmp_path, nested, "deep.gguf"))
    assert not result.complete and "nest deeper" in result.problems[0].message


def test_every_truncation_point_is_reported(tmp_path: Path) -> None:
    data = gguf(
        {
            "general.organization": "Qwen",
            "general.base_model.count": 1,
            "general.base_model.0.name": "Qwen2.5 7B",
        }
    )
    path = tmp_path / "t.gguf"
    header_end = data.index(b"token_embd.weight") - 8  # the reader stops before the tensor infos
    for cut in range(0, header_end, 3):
        path.write_bytes(data[:cut])
        meta = read_gguf_general(SnapshotFile(rel="t.gguf", abspath=str(path)))
        assert not meta.complete and meta.problems, cut


def test_large_vocabulary_is_skipped_quickly(tmp_path: Path) -> None:
    start = time.perf_counter()
    meta = read_gguf_general(_write(tmp_path, gguf({"general.organization": "Qwen"}, vocab=150_000)))
    assert meta.complete and meta.values["general.organization"] == "Qwen"
    assert time.perf_counter() - start < 5


def test_gguf_files_found_by_content_not_name(tmp_path: Path) -> None:
    root = folder(tmp_path / "m", {"model": gguf({}), "weights.gguf": b"not gguf", "README.md": "x"})
    assert [f.rel for f in find_gguf_files(local(root))] == ["model"]


def test_real_smollm2_general_keys() -> None:
    path = smollm2_gguf()
    meta = read_gguf_general(SnapshotFile(rel=path.name, abspath=str(path)))
    assert meta.complete and meta.problems == ()
    assert meta.text("general.organization") == "HuggingFaceTB"
    assert meta.text("general.license") == "apache-2.0"
    assert meta.text("general.size_label") == "135M"
    assert meta.text("general.basename") == "smollm2"
    assert file_type_name(meta) == "Q4_1"
    assert meta.base_models == ()
