"""Throughput guard: every byte of a weight file comes from the OS once (hash and parse share the read).

The scan of a model folder runs at SHA-256 speed only while parsers read headers, directories and pickles
and leave the tensor bytes to the hashing reader. A handler that reads a file's storages itself (a CRC drain
of every zip member, a legacy torch storage read instead of skipped, a second pass for a check) doubles the
cost of the folder; these tests count what the scan of each weight layout reads.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from weighbridge.core.report import SnapshotFile
from weighbridge.formats.base import Limits
from weighbridge.integrity import reader as reader_module
from weighbridge.scanning import engine

MIB = 1024 * 1024
# what a parser may re-read beyond the file's size: headers, a zip's end records and directory, data.pkl
REREAD = 128 * 1024


@pytest.fixture
def bytes_read(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """(size, bytes read from the OS) of every file the engine scans."""
    seen: list[tuple[int, int]] = []

    class CountingReader(reader_module.HashingReader):
        def finish(self) -> str:
            digest = super().finish()
            seen.append((self.size, self.bytes_read))
            return digest

    monkeypatch.setattr(engine, "HashingReader", CountingReader)
    return seen


def _scan(path: Path) -> str:
    record = engine.scan_file(SnapshotFile(rel=path.name, abspath=str(path)), str(path.parent), Limits())
    assert record.sha256 is not None
    return record.format


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_torch_checkpoint_storages_are_read_once(
    tmp_path: Path, bytes_read: list[tuple[int, int]], legacy: bool
) -> None:
    torch = pytest.importorskip("torch")
    path = tmp_path / "pytorch_model.bin"
    state = {"a.weight": torch.ones(1024, 1024), "b.weight": torch.ones(512, 1024), "step": 3}  # 6 MiB
    torch.save(state, path, _use_new_zipfile_serialization=not legacy)
    assert _scan(path) == ("pickle" if legacy else "zip")
    [(size, read)] = bytes_read
    assert size > 6 * MIB
    assert size <= read <= size + REREAD


def test_safetensors_shard_with_many_tensors_is_read_once(
    tmp_path: Path, bytes_read: list[tuple[int, int]]
) -> None:
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    for i in range(500):
        header[f"layers.{i}.weight"] = {
            "dtype": "F32",
            "shape": [64, 64],
            "data_offsets": [i * 16384, (i + 1) * 16384],
        }
    raw = json.dumps(header).encode()
    path = tmp_path / "model-00001-of-00002.safetensors"
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + bytes(500 * 16384))
    assert _scan(path) == "safetensors"
    [(size, read)] = bytes_read
    assert size <= read <= size + len(raw) + REREAD


def test_gguf_tensor_data_is_read_once(tmp_path: Path, bytes_read: list[tuple[int, int]]) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(_gguf(tensor_bytes=4 * MIB))
    assert _scan(path) == "gguf"
    [(size, read)] = bytes_read
    assert size <= read <= size + REREAD


def _gguf(tensor_bytes: int) -> bytes:
    """A GGUF v3 file: one string metadata value and one F32 tensor of ``tensor_bytes``."""

    def string(s: str) -> bytes:
        return struct.pack("<Q", len(s)) + s.encode()

    out = b"GGUF" + struct.pack("<IQQ", 3, 1, 1)
    out += string("general.architecture") + struct.pack("<I", 8) + string("llama")
    out += string("w") + struct.pack("<I", 1) + struct.pack("<Q", tensor_bytes // 4)
    out += struct.pack("<IQ", 0, 0)  # F32, offset 0 in the data section
    out += b"\0" * (-len(out) % 32)  # general.alignment defaults to 32
    return out + bytes(tensor_bytes)
