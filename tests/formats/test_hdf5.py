"""HDF5 handler: Keras model_config, external storage/links, soft links, virtual datasets, worker isolation."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weighbridge.core.findings import Severity
from weighbridge.formats import hdf5
from weighbridge.formats.base import Limits, ScanContext
from weighbridge.formats.hdf5 import HDF5_HANDLER, Worker, report_observations


def _scan(path: Path, limits: Limits | None = None) -> ScanContext:
    ctx = ScanContext(
        path=path.name,
        limits=limits or Limits(),
        nested=lambda c, s, n, z: "recorded",
        root=str(path.parent),
        fs_path=str(path),
    )
    with open(path, "rb") as f:
        HDF5_HANDLER.scan(ctx, f)
    return ctx


def _scan_nested(data: bytes) -> ScanContext:
    ctx = ScanContext(
        path="archive.zip", limits=Limits(), nested=lambda c, s, n, z: "recorded", member="model.h5"
    )
    HDF5_HANDLER.scan(ctx, io.BytesIO(data))
    return ctx


def _rules(ctx: ScanContext) -> dict[str, Severity]:
    out: dict[str, Severity] = {}
    for f in ctx.findings:
        out[f.rule] = max(out.get(f.rule, Severity.INFO), f.severity)
    return out


def _keras_h5(path: Path, layers: list[dict[str, Any]]) -> Path:
    config = {"class_name": "Sequential", "config": {"name": "seq", "layers": layers}}
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps(config).encode("utf-8")
        f.attrs["keras_version"] = b"2.12.0"
        f.attrs["backend"] = b"tensorflow"
        weights = f.create_group("model_weights/dense")
        weights.attrs["weight_names"] = [b"dense/kernel:0"]
        weights.create_dataset("kernel", data=np.ones((4, 2), np.float32))
    return path


DENSE = {"class_name": "Dense", "config": {"name": "dense", "units": 2}}


def test_sniff() -> None:
    assert HDF5_HANDLER.sniff(b"\x89HDF\r\n\x1a\n" + b"\0" * 100, "x.bin")
    assert HDF5_HANDLER.sniff(b"\0" * 512 + b"\x89HDF\r\n\x1a\n", "x")
    assert not HDF5_HANDLER.sniff(b"\0" * 600, "model.h5")


def test_benign_keras_model(tmp_path: Path) -> None:
    ctx = _scan(_keras_h5(tmp_path / "model.h5", [DENSE]))
    assert [(f.rule, f.severity) for f in ctx.findings] == [("WB-H5-008", Severity.INFO)]
    assert "2.12.0" in ctx.findings[0].detail


def test_nested_lambda_in_model_config_is_critical(tmp_path: Path) -> None:
    lam = {
        "class_name": "Lambda",
        "config": {
            "name": "evil",
            "function": ["4wEAAAAAAAAAAAAAAAEAAAAC", None, None],
            "function_type": "lambda",
        },
    }
    inner = {"class_name": "Functional", "config": {"name": "inner", "layers": [lam]}}
    ctx = _scan(_keras_h5(tmp_path / "model.h5", [DENSE, inner]))
    finding = next(f for f in ctx.findings if f.rule == "WB-KERAS-001")
    assert finding.severity is Severity.CRITICAL
    assert finding.location is not None and (finding.location.key or "").startswith("attrs/model_config:")


def test_external_storage(tmp_path: Path) -> None:
    path = tmp_path / "ext.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("secret", (16,), "u1", external=[("/etc/passwd", 0, 16)])
        f.create_dataset("local", (4,), "u1", external=[("data.bin", 0, 4)])
    ctx = _scan(path)
    by_key = {f.location.key: f for f in ctx.findings if f.location}
    assert by_key["/secret"].rule == "WB-H5-002" and by_key["/secret"].severity is Severity.CRITICAL
    assert "/etc/passwd" in (by_key["/secret"].evidence or "")
    assert by_key["/local"].severity is Severity.HIGH


def test_links(tmp_path: Path) -> None:
    path = tmp_path / "links.h5"
    with h5py.File(path, "w") as f:
        g = f.create_group("weights")
        g.create_dataset("w", data=np.zeros(3))
        f["alias"] = h5py.SoftLink("/weights/w")
        f["dangling"] = h5py.SoftLink("/nowhere")
        f["ext"] = h5py.ExternalLink("/etc/other.h5", "/data")
        f["via_ext"] = h5py.SoftLink("/ext/inner")
        f["loop_a"] = h5py.SoftLink("/loop_b")
        f["loop_b"] = h5py.SoftLink("/loop_a")
        f["again"] = g  # a second hard link to the same group: walked once
    ctx = _scan(path)
    rules = {(f.rule, f.location.key if f.location else None) for f in ctx.findings}
    assert rules == {
        ("WB-H5-003", "/ext"),
        ("WB-H5-004", "/dangling"),
        ("WB-H5-004", "/via_ext"),
        ("WB-H5-004", "/loop_a"),
        ("WB-H5-004", "/loop_b"),
    }
    ext = next(f for f in ctx.findings if f.rule == "WB-H5-003")
    assert ext.severity is Severity.HIGH and "/etc/other.h5" in (ext.evidence or "")


def test_virtual_datasets(tmp_path: Path) -> None:
    src = tmp_path / "src.h5"
    with h5py.File(src, "w") as f:
        f.create_dataset("data", data=np.arange(4))
    path = tmp_path / "vds.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("data", data=np.arange(4))
        inside = h5py.VirtualLayout(shape=(4,), dtype="i8")
        inside[:] = h5py.VirtualSource(".", "data", shape=(4,))
        f.create_virtual_dataset("same_file", inside)
        other = h5py.VirtualLayout(shape=(4,), dtype="i8")
        other[:] = h5py.VirtualSource(str(src), "data", shape=(4,))
        f.create_virtual_dataset("other_file", other)
    sev = {f.location.key: f.severity for f in _scan(path).findings if f.location}
    assert sev == {"/same_file": Severity.MEDIUM, "/other_file": Severity.HIGH}


def test_third_party_filter_is_low(tmp_path: Path) -> None:
    path = tmp_path / "filt.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("z", (8,), "f4", chunks=(8,), compression=32001, allow_unknown_filter=True)
    assert _rules(_scan(path)) == {"WB-H5-006": Severity.LOW}


def test_too_many_objects_is_incomplete(tmp_path: Path) -> None:
    path = tmp_path / "many.h5"
    with h5py.File(path, "w") as f:
        for i in range(10):
            f.create_group(f"g{i}")
    assert _rules(_scan(path, Limits(max_members=3))) == {"WB-H5-007": Severity.MEDIUM}


def test_nested_stream_and_unopenable_file(tmp_path: Path) -> None:
    path = tmp_path / "e.h5"
    with h5py.File(path, "w") as f:
        f["ext"] = h5py.ExternalLink("x.h5", "/")
    assert _rules(_scan_nested(path.read_bytes())) == {"WB-H5-003": Severity.HIGH}
    junk = _scan_nested(b"\x89HDF\r\n\x1a\n" + b"\xff" * 200)
    assert _rules(junk) == {"WB-H5-001": Severity.MEDIUM}
    assert "cannot open" in junk.findings[0].detail


def test_missing_h5py_reads_the_keras_config_from_raw_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hdf5, "_h5py_available", lambda: False)
    ctx = _scan(_keras_h5(tmp_path / "m.h5", [DENSE]))
    assert _rules(ctx) == {"WB-H5-001": Severity.MEDIUM}
    assert "h5py" in ctx.findings[0].detail and "1 Keras configuration" in ctx.findings[0].detail


def test_worker_crash_and_timeout_are_findings() -> None:
    crash = Worker(command=[sys.executable, "-c", "import os, sys; sys.stdin.readline(); os.abort()"])
    reply = crash.request({"path": "x"})
    crash.stop()
    hang = Worker(command=[sys.executable, "-c", "import time; time.sleep(60)"], timeout=0.5)
    reply2 = hang.request({"path": "x"})
    hang.stop()
    for r, word in ((reply, "crashed"), (reply2, "did not finish")):
        ctx = ScanContext(path="m.h5", limits=Limits(), nested=lambda c, s, n, z: "recorded")
        report_observations(ctx, r)
        assert _rules(ctx) == {"WB-H5-001": Severity.MEDIUM}
        assert word in ctx.findings[0].detail


def _sample() -> bytes:
    buf = io.BytesIO()
    config = {"class_name": "Sequential", "config": {"layers": [DENSE]}}
    with h5py.File(buf, "w") as f:
        f.attrs["model_config"] = json.dumps(config).encode()
        f.create_dataset("w", data=np.ones(4, np.float32))
        f["s"] = h5py.SoftLink("/w")
    return buf.getvalue()


_SAMPLE = _sample()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048), st.booleans())
def test_random_bytes_never_escape(data: bytes, with_magic: bool) -> None:
    ctx = _scan_nested((b"\x89HDF\r\n\x1a\n" if with_magic else b"") + data)
    assert all(f.rule.startswith("WB-") for f in ctx.findings)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(0, len(_SAMPLE) - 1), st.integers(0, 255)), min_size=1, max_size=6),
    st.integers(0, len(_SAMPLE)),
)
def test_mutated_files_end_in_findings_or_clean(flips: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(_SAMPLE)
    for pos, value in flips:
        data[pos] = value
    ctx = _scan_nested(bytes(data[:cut]) if cut else bytes(data))
    for f in ctx.findings:
        assert f.detail and f.path == "archive.zip"


def test_through_the_engine(tmp_path: Path) -> None:
    from weighbridge import scan

    lam = {
        "class_name": "Lambda",
        "config": {"name": "l", "function": "system", "function_type": "function", "module": "os"},
    }
    _keras_h5(tmp_path / "model.h5", [DENSE, lam])
    with h5py.File(tmp_path / "model.h5", "a") as f:
        f.create_dataset("leak", (16,), "u1", external=[("/etc/passwd", 0, 16)])
    report = scan(str(tmp_path))
    record = next(r for r in report.files if r.path == "model.h5")
    assert record.format == "hdf5" and record.sha256
    rules = {f.rule: f.severity for f in record.findings}
    assert rules["WB-KERAS-003"] is Severity.CRITICAL and rules["WB-H5-002"] is Severity.CRITICAL
