"""Broken weights fail the default gate (issue 15 item 1): a weight file that is empty, is something else
than its name promises, or does not parse to its end is a high integrity finding naming the defect; the
policy verdict is FAIL under every example policy and ``scan`` exits 1. Benign files of the same formats
stay below high."""

from __future__ import annotations

import io
import json
import pickle
import random
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.formats.gguf_writer import GGUFWriter

import weighbridge
from weighbridge.core.findings import Severity
from weighbridge.core.report import Report
from weighbridge.scanning.weights import WEIGHT_NAMES, promised

ROOT = Path(__file__).resolve().parent.parent
POLICIES = sorted((ROOT / "examples" / "policies").glob("*.yaml"))
WEIGHT_FILE_NAMES = [
    "model.safetensors",
    "model-00001-of-00002.safetensors",
    "model.gguf",
    "pytorch_model.bin",
    "pytorch_model-00001-of-00002.bin",
    "adapter_model.bin",
    "model.pt",
    "model.pth",
    "last.ckpt",
    "model.onnx",
    "model.h5",
    "model.hdf5",
    "model.keras",
    "weights.npy",
    "weights.npz",
    "flax_model.msgpack",
]
# Not a valid opcode, magic or msgpack map: routed as unrecognised binary whatever the sniffers do with noise.
NOISE = b"\x13\x37\xde\xad" + random.Random(15).randbytes(4092)


def broken(report: Report) -> list[str]:
    return [f.detail for f in report.findings if f.rule == "WB-INT-004" and f.severity == Severity.HIGH]


def scan_one(path: Path) -> Report:
    return weighbridge.scan(str(path))


def test_every_weight_name_is_in_the_table() -> None:
    assert all(promised(n) is not None for n in WEIGHT_FILE_NAMES)
    assert {w.label for w in WEIGHT_NAMES} == {w.label for n in WEIGHT_FILE_NAMES if (w := promised(n))}
    assert promised("model.safetensors.index.json") is None and promised("model.bin") is None
    assert promised("config.json") is None and promised("tokenizer.model") is None


@pytest.mark.parametrize("name", WEIGHT_FILE_NAMES)
def test_random_bytes_under_a_weight_name_are_high(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(NOISE)
    report = scan_one(path)
    details = broken(report)
    assert len(details) == 1, report.findings
    assert "header is not" in details[0] or ("not a Flax msgpack" in details[0] and "follow" in details[0])
    if name.endswith(".gguf"):
        assert details[0].startswith("header is not a GGUF: the file starts with 13 37 de ad")


@pytest.mark.parametrize("name", WEIGHT_FILE_NAMES)
def test_empty_weight_file_is_high(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    details = broken(scan_one(path))
    assert len(details) == 1 and details[0].startswith("empty weight file: named like ")


def test_git_lfs_pointer_in_place_of_the_weights(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    path.write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:" + "ab" * 32 + "\nsize 90868376\n"
    )
    (detail,) = broken(scan_one(path))
    assert "Git LFS pointer (to 90868376 bytes)" in detail


# -- benign files of every format, and the same files cut in half --------------------------------------------
def _safetensors(n: int) -> bytes:
    header = json.dumps({"w": {"dtype": "F32", "shape": [n], "data_offsets": [0, 4 * n]}}).encode()
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + struct.pack(f"<{n}f", *range(n))


def _gguf() -> bytes:
    return GGUFWriter().string("general.name", "tiny").tensor("a", [1024]).tensor("b", [1024]).build()


def _npy() -> bytes:
    out = io.BytesIO()
    np.save(out, np.arange(4096, dtype=np.float32))
    return out.getvalue()


def _npz() -> bytes:
    out = io.BytesIO()
    np.savez(out, w=np.arange(4096, dtype=np.float32))
    return out.getvalue()


def _torch(legacy: bool) -> bytes:
    torch = pytest.importorskip("torch")
    out = io.BytesIO()
    torch.save({"w": torch.arange(4096, dtype=torch.float32)}, out, _use_new_zipfile_serialization=not legacy)
    return out.getvalue()


def _onnx() -> bytes:
    onnx = pytest.importorskip("onnx")
    helper, TensorProto = onnx.helper, onnx.TensorProto
    weights = helper.make_tensor(
        "W", TensorProto.FLOAT, [4096], np.arange(4096, dtype=np.float32).tobytes(), raw=True
    )
    graph = helper.make_graph(
        [helper.make_node("Identity", ["W"], ["Y"])],
        "g",
        [],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [4096])],
        [weights],
    )
    return bytes(helper.make_model(graph).SerializeToString())


def _h5(tmp_path: Path) -> bytes:
    h5py = pytest.importorskip("h5py")
    path = tmp_path / "gen.h5"
    with h5py.File(path, "w") as fh:
        fh.create_dataset("w", data=np.arange(4096, dtype=np.float32))
    return path.read_bytes()


def _msgpack() -> bytes:
    # {"params": {"w": bin(4096 bytes), "shape": [64, 16]}} as Flax writes a state dict (no library needed)
    blob = bytes(range(256)) * 16
    return b"\x81\xa6params\x82\xa1w\xc5" + struct.pack(">H", len(blob)) + blob + b"\xa5shape\x92\x40\x10"


def _benign(name: str, tmp_path: Path) -> bytes:
    makers = {
        "model.safetensors": lambda: _safetensors(4096),
        "model.gguf": _gguf,
        "weights.npy": _npy,
        "weights.npz": _npz,
        "model.pt": lambda: _torch(False),
        "legacy.pt": lambda: _torch(True),
        "model.onnx": _onnx,
        "model.h5": lambda: _h5(tmp_path),
        "flax_model.msgpack": _msgpack,
    }
    return makers[name]()


BENIGN = [
    "model.safetensors",
    "model.gguf",
    "weights.npy",
    "weights.npz",
    "model.pt",
    "legacy.pt",
    "model.onnx",
    "model.h5",
    "flax_model.msgpack",
]


@pytest.mark.parametrize("name", BENIGN)
def test_benign_weight_files_stay_below_high(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(_benign(name, tmp_path))
    report = scan_one(path)
    assert report.max_severity is None or report.max_severity < Severity.HIGH, report.findings
    if name.endswith(".msgpack"):
        assert report.files[0].format == "msgpack" and report.findings == []


@pytest.mark.parametrize("name", BENIGN)
def test_weight_files_cut_in_half_are_high(tmp_path: Path, name: str) -> None:
    data = _benign(name, tmp_path)
    path = tmp_path / name
    path.write_bytes(data[: len(data) // 2])
    details = broken(scan_one(path))
    assert len(details) == 1, details
    if name in ("model.safetensors", "model.gguf", "model.h5"):
        assert f"truncated at byte {len(data) // 2} of " in details[0] and " declared" in details[0]


def test_truncated_gguf_names_the_byte_and_the_declared_size(tmp_path: Path) -> None:
    writer = GGUFWriter().string("general.name", "tiny").tensor("a", [1024]).tensor("b", [1024])
    data, info_cut = writer.build(), len(writer.header()) - 10  # inside the tensor info of 'b'
    counts_cut, header_cut, data_cut = (tmp_path / n for n in ("counts.gguf", "header.gguf", "data.gguf"))
    counts_cut.write_bytes(data[:40])
    header_cut.write_bytes(data[:info_cut])
    data_cut.write_bytes(data[:-100])
    (detail,) = broken(scan_one(counts_cut))
    assert "truncated at byte 40: tensor count 2 cannot fit in the remaining 16 bytes" in detail
    (detail,) = broken(scan_one(header_cut))
    assert f"truncated at byte {info_cut}: the GGUF header runs past the end of the file" in detail
    (detail,) = broken(scan_one(data_cut))
    assert (
        f"truncated at byte {len(data) - 100} of {len(data)} declared by the tensor infos (1 of 2 tensors"
        in detail
    )


def test_content_decides_when_the_name_promises_nothing(tmp_path: Path) -> None:
    # a cut GGUF called weights.bin is still a GGUF that does not parse to its end
    data = _gguf()
    path = tmp_path / "weights.bin"
    path.write_bytes(data[:-100])
    assert len(broken(scan_one(path))) == 1


def test_a_zip_member_cut_short_breaks_the_checkpoint(tmp_path: Path) -> None:
    whole = io.BytesIO()
    with zipfile.ZipFile(whole, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({"w": 1}, protocol=2))
        zf.writestr("archive/data/0", b"\0" * 8192)
    path = tmp_path / "model.pt"
    path.write_bytes(whole.getvalue()[:6000])
    (detail,) = broken(scan_one(path))
    assert "does not parse to its end as a PyTorch checkpoint" in detail


_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.binary(max_size=300),
)
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=20) | st.dictionaries(st.text(max_size=10), inner, max_size=20),
    max_leaves=60,
)


@given(
    value=_VALUES, ext=st.binary(max_size=70000), cut=st.floats(min_value=0, max_value=1, exclude_max=True)
)
@settings(max_examples=60, deadline=None)
def test_msgpack_checkpoints_whole_pass_and_cut_fail(
    value: object, ext: bytes, cut: float, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Whatever msgpack packs (ext types as Flax uses them for arrays included) passes the weight gate whole,
    and every strict prefix of it, named as a Flax checkpoint, is a broken weight file."""
    msgpack = pytest.importorskip("msgpack")
    data = msgpack.packb({"params": value, "array": msgpack.ExtType(1, ext)}, use_bin_type=True)
    folder = tmp_path_factory.mktemp("msgpack")
    whole, prefix = folder / "whole" / "flax_model.msgpack", folder / "cut" / "flax_model.msgpack"
    for path, content in ((whole, data), (prefix, data[: int(len(data) * cut)])):
        path.parent.mkdir()
        path.write_bytes(content)
    assert broken(scan_one(whole)) == []
    assert broken(scan_one(prefix)) != []
