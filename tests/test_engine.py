"""The engine: one read pass, digests, manifest, expected-digest checks, name/content mismatches."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import random
import struct
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from weighbridge.core.findings import Severity
from weighbridge.core.report import Snapshot, SnapshotFile, Target, TargetKind
from weighbridge.formats.base import Limits
from weighbridge.integrity.manifest import manifest_digest, manifest_resources
from weighbridge.integrity.reader import HashingReader
from weighbridge.scanning.engine import scan_file, scan_snapshot


def safetensors(n_floats: int) -> bytes:
    header = json.dumps(
        {"w": {"dtype": "F32", "shape": [n_floats], "data_offsets": [0, 4 * n_floats]}}
    ).encode()
    return struct.pack("<Q", len(header)) + header + bytes(4 * n_floats)


def folder_snapshot(folder: Path, expected: dict[str, str] | None = None) -> Snapshot:
    files = tuple(
        SnapshotFile(
            rel=p.name,
            abspath=str(p),
            expected_sha256=(expected or {}).get(p.name),
            digest_source="test" if expected and p.name in expected else None,
        )
        for p in sorted(folder.iterdir())
    )
    return Snapshot(
        target=Target(input=str(folder), kind=TargetKind.FOLDER, path=str(folder)),
        root=str(folder),
        files=files,
    )


@settings(max_examples=60, deadline=None)
@given(
    st.binary(min_size=0, max_size=50_000),
    st.lists(st.tuples(st.integers(0, 60_000), st.integers(0, 9000)), max_size=12),
)
def test_hashing_reader_digest_is_exact_whatever_the_reads(data: bytes, reads: list[tuple[int, int]]) -> None:
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"wb-hash-{os.getpid()}.bin"
    path.write_bytes(data)
    try:
        with HashingReader(path, chunk=4096) as r:
            for where, n in reads:
                r.seek(where)
                got = r.read(n)
                assert got == data[where : where + n]
            assert r.finish() == hashlib.sha256(data).hexdigest()
    finally:
        path.unlink()


def test_one_read_pass_for_header_formats(tmp_path: Path) -> None:
    p = tmp_path / "model.safetensors"
    p.write_bytes(safetensors(3_000_000))
    with HashingReader(p) as r:
        r.read(8 + 200)
        r.finish()
        assert r.bytes_read <= p.stat().st_size + 8 + 200


def test_file_record_and_manifest(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_bytes(safetensors(1000))
    (tmp_path / "state.pkl").write_bytes(pickle.dumps({"step": 3}, protocol=4))
    (tmp_path / "config.json").write_text('{"model_type": "llama"}')
    report = scan_snapshot(folder_snapshot(tmp_path), workers=2)
    assert [r.path for r in report.files] == ["config.json", "model.safetensors", "state.pkl"]
    for r in report.files:
        assert r.sha256 == hashlib.sha256((tmp_path / r.path).read_bytes()).hexdigest()
    assert {r.path: r.format for r in report.files} == {
        "config.json": "text",
        "model.safetensors": "safetensors",
        "state.pkl": "pickle",
    }
    entries = [(r.path, r.sha256) for r in report.files if r.sha256]
    root = hashlib.sha256(b"".join(bytes.fromhex(d) for _, d in sorted(entries))).hexdigest()
    assert report.manifest_digest == root == manifest_digest(entries)
    assert [x["name"] for x in manifest_resources(entries)] == sorted(r.path for r in report.files)
    assert report.max_severity is None


def test_expected_digest_mismatch_is_critical(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_bytes(safetensors(10))
    report = scan_snapshot(folder_snapshot(tmp_path, {"model.safetensors": "0" * 64}))
    assert [(f.rule, f.severity) for f in report.findings] == [("WB-INT-001", Severity.CRITICAL)]


def test_matching_expected_digest_is_silent(tmp_path: Path) -> None:
    data = safetensors(10)
    (tmp_path / "model.safetensors").write_bytes(data)
    report = scan_snapshot(folder_snapshot(tmp_path, {"model.safetensors": hashlib.sha256(data).hexdigest()}))
    assert report.findings == []


def test_name_promising_another_format(tmp_path: Path) -> None:
    # a weight name over other content is a broken weight file (high); other promises stay medium
    (tmp_path / "model.safetensors").write_bytes(pickle.dumps([1, 2, 3], protocol=2))
    (tmp_path / "config.json").write_bytes(b"\x00\x01\x02binary")
    report = scan_snapshot(folder_snapshot(tmp_path))
    found = [(f.rule, f.severity, f.path) for f in report.findings]
    assert ("WB-INT-004", Severity.HIGH, "model.safetensors") in found
    assert ("WB-INT-003", Severity.MEDIUM, "config.json") in found
    assert not any(r == "WB-INT-003" and p == "model.safetensors" for r, _, p in found)


def test_content_not_name_decides(tmp_path: Path) -> None:
    # a malicious pickle named like a config file and a GGUF-looking name: content routing finds it
    (tmp_path / "tokenizer.model").write_bytes(b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00idq\x00\x85R.")
    report = scan_snapshot(folder_snapshot(tmp_path))
    assert report.max_severity is Severity.CRITICAL


def test_parallel_and_serial_reports_agree(tmp_path: Path) -> None:
    rnd = random.Random(7)
    for i in range(12):
        (tmp_path / f"f{i}.bin").write_bytes(
            pickle.dumps([rnd.random() for _ in range(2000)], protocol=i % 6)
        )
    (tmp_path / "bad.bin").write_bytes(b"\x80\x02cos\nsystem\nq\x00.")
    one = scan_snapshot(folder_snapshot(tmp_path), workers=1)
    many = scan_snapshot(folder_snapshot(tmp_path), workers=4)
    assert [r.to_dict() for r in one.files] == [r.to_dict() for r in many.files]
    assert one.manifest_digest == many.manifest_digest


def test_unreadable_path_is_a_finding(tmp_path: Path) -> None:
    record = scan_file(
        SnapshotFile(rel="gone.bin", abspath=str(tmp_path / "gone.bin")), str(tmp_path), Limits()
    )
    assert [f.rule for f in record.findings] == ["WB-INT-002"]
    assert record.sha256 is None


def test_onnx_external_data_file_is_data_not_unknown(tmp_path: Path) -> None:
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    weights = numpy_helper.from_array(np.ones((64, 64), dtype=np.float32), name="W")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 64])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 64])],
        [weights],
    )
    model = helper.make_model(graph)
    onnx.save_model(
        model,
        str(tmp_path / "model.onnx"),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location="weights.bin",
        size_threshold=0,
    )
    report = scan_snapshot(folder_snapshot(tmp_path))
    assert {r.path: r.format for r in report.files} == {
        "model.onnx": "onnx",
        "weights.bin": "onnx-external-data",
    }
    assert report.findings == []
