"""ONNX handler: external-data path checks, operator domains, malformed models, sniffing, fuzzing."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from weighbridge.core.findings import Severity
from weighbridge.formats.base import Limits, ScanContext
from weighbridge.formats.onnx import ONNX_HANDLER, PROTOBUF_HANDLER


def _ctx(folder: Path, name: str = "model.onnx", member: str | None = None) -> ScanContext:
    return ScanContext(
        path=name,
        limits=Limits(),
        nested=lambda c, s, n, z: "recorded",
        root=str(folder),
        fs_path=None if member else str(folder / name),
        member=member,
    )


def _scan_file(path: Path, root: Path | None = None) -> ScanContext:
    ctx = ScanContext(
        path=path.name,
        limits=Limits(),
        nested=lambda c, s, n, z: "recorded",
        root=str(root or path.parent),
        fs_path=str(path),
    )
    with open(path, "rb") as f:
        ONNX_HANDLER.scan(ctx, f)
    return ctx


def _scan_bytes(data: bytes, folder: Path | None = None, member: str | None = None) -> ScanContext:
    ctx = ScanContext(
        path="model.onnx",
        limits=Limits(),
        nested=lambda c, s, n, z: "recorded",
        root=str(folder) if folder else None,
        fs_path=None,
        member=member,
    )
    ONNX_HANDLER.scan(ctx, io.BytesIO(data))
    return ctx


def _rules(ctx: ScanContext) -> dict[str, Severity]:
    out: dict[str, Severity] = {}
    for f in ctx.findings:
        out[f.rule] = max(out.get(f.rule, Severity.INFO), f.severity)
    return out


def _model(
    nodes: list[onnx.NodeProto] | None = None,
    initializers: list[TensorProto] | None = None,
    opsets: list[onnx.OperatorSetIdProto] | None = None,
    functions: list[onnx.FunctionProto] | None = None,
) -> onnx.ModelProto:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    if nodes is None:
        nodes = [helper.make_node("Add", ["x", "w"], ["y"], name="add0")]
    if initializers is None:
        initializers = [numpy_helper.from_array(np.ones(2, np.float32), "w")]
    graph = helper.make_graph(nodes, "g", [x], [y], initializers)
    kwargs: dict[str, object] = {}
    if opsets is not None:
        kwargs["opset_imports"] = opsets
    if functions is not None:
        kwargs["functions"] = functions
    return helper.make_model(graph, **kwargs)  # type: ignore[arg-type]


def _external_tensor(location: str, offset: int | None = 0, length: int | None = 8) -> TensorProto:
    t = TensorProto()
    t.name = "w"
    t.data_type = TensorProto.FLOAT
    t.dims.extend([2])
    for key, value in (("location", location), ("offset", offset), ("length", length)):
        if value is not None:
            entry = t.external_data.add()
            entry.key = key
            entry.value = str(value)
    t.data_location = TensorProto.EXTERNAL
    return t


def _write(folder: Path, model: onnx.ModelProto, name: str = "model.onnx") -> Path:
    path = folder / name
    path.write_bytes(model.SerializeToString())
    return path


# -- benign ---------------------------------------------------------------------------------------------------


def test_benign_model_is_clean(tmp_path: Path) -> None:
    path = _write(tmp_path, _model())
    assert ONNX_HANDLER.sniff(path.read_bytes()[:4096], "model.onnx")
    assert _scan_file(path).findings == []


def test_model_saved_with_external_data_by_onnx_is_clean(tmp_path: Path) -> None:
    w = numpy_helper.from_array(np.arange(4096, dtype=np.float32), "w")
    model = _model(initializers=[w])
    onnx.save_model(
        model,
        str(tmp_path / "model.onnx"),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location="model.onnx_data",
        size_threshold=0,
    )
    assert (tmp_path / "model.onnx_data").exists()
    ctx = _scan_file(tmp_path / "model.onnx")
    assert ctx.findings == []


def test_model_in_subfolder_may_refer_to_sibling_folder_inside_root(tmp_path: Path) -> None:
    (tmp_path / "onnx").mkdir()
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / "w.bin").write_bytes(b"\0" * 8)
    path = _write(tmp_path / "onnx", _model(initializers=[_external_tensor("weights/w.bin")]))
    ctx = _scan_file(path, root=tmp_path)
    assert _rules(ctx) == {"WB-ONNX-003": Severity.HIGH}  # weights/w.bin is not next to the model
    path2 = _write(tmp_path / "onnx", _model(initializers=[_external_tensor("../weights/w.bin")]), "m2.onnx")
    rules = _rules(_scan_file(path2, root=tmp_path))
    assert rules == {"WB-ONNX-002": Severity.HIGH}  # inside the root, but not a normalized location


def test_large_initializer_is_skipped_not_read(tmp_path: Path) -> None:
    big = numpy_helper.from_array(np.zeros(8 * 1024 * 1024, dtype=np.float32), "w")  # 32 MiB of raw_data
    path = _write(tmp_path, _model(initializers=[big]))

    class Counting(io.FileIO):
        read_bytes = 0

        def read(self, n: int = -1) -> bytes:
            data = super().read(n)
            Counting.read_bytes += len(data)
            return data

    ctx = ScanContext(
        path="model.onnx",
        limits=Limits(),
        nested=lambda c, s, n, z: "recorded",
        root=str(tmp_path),
        fs_path=str(path),
    )
    with Counting(str(path), "rb") as f:
        ONNX_HANDLER.scan(ctx, f)  # type: ignore[arg-type]
    assert ctx.findings == []
    assert Counting.read_bytes < 1024 * 1024


# -- external data ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "location", ["/etc/passwd", "../../../../etc/passwd", "a/../../x.bin", "C:\\Windows\\x", "..\\..\\secret"]
)
def test_external_data_escapes_are_critical(tmp_path: Path, location: str) -> None:
    ctx = _scan_file(_write(tmp_path, _model(initializers=[_external_tensor(location)])))
    crit = [f for f in ctx.findings if f.rule == "WB-ONNX-001"]
    assert crit and crit[0].severity is Severity.CRITICAL
    assert repr(location) in (crit[0].evidence or "")
    assert crit[0].location is not None and crit[0].location.key == "initializer:w"


def test_symlink_leaving_the_folder_is_critical(tmp_path: Path) -> None:
    os.symlink("/etc/passwd", tmp_path / "weights.bin")
    ctx = _scan_file(_write(tmp_path, _model(initializers=[_external_tensor("weights.bin")])))
    assert _rules(ctx)["WB-ONNX-001"] is Severity.CRITICAL
    assert "outside the model folder" in ctx.findings[0].detail


def test_symlinked_parent_folder_is_flagged(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "w.bin").write_bytes(b"\0" * 8)
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    os.symlink(outside, model_dir / "data")
    ctx = _scan_file(_write(model_dir, _model(initializers=[_external_tensor("data/w.bin")])))
    assert _rules(ctx) == {"WB-ONNX-001": Severity.CRITICAL}


def test_symlink_inside_the_folder_is_high(tmp_path: Path) -> None:
    (tmp_path / "real.bin").write_bytes(b"\0" * 8)
    os.symlink("real.bin", tmp_path / "weights.bin")
    ctx = _scan_file(_write(tmp_path, _model(initializers=[_external_tensor("weights.bin")])))
    assert _rules(ctx) == {"WB-ONNX-002": Severity.HIGH}
    assert "symbolic link" in ctx.findings[0].detail


def test_hard_link_is_high(tmp_path: Path) -> None:
    (tmp_path / "w.bin").write_bytes(b"\0" * 8)
    os.link(tmp_path / "w.bin", tmp_path / "other.bin")
    ctx = _scan_file(_write(tmp_path, _model(initializers=[_external_tensor("w.bin")])))
    assert _rules(ctx) == {"WB-ONNX-002": Severity.HIGH}
    assert "hard link" in ctx.findings[0].detail


def test_missing_file_and_ranges(tmp_path: Path) -> None:
    (tmp_path / "w.bin").write_bytes(b"\0" * 8)
    cases = {
        "missing.bin": (0, 8),
        "w.bin": (4, 8),
    }
    for location, (offset, length) in cases.items():
        ctx = _scan_file(_write(tmp_path, _model(initializers=[_external_tensor(location, offset, length)])))
        assert _rules(ctx) == {"WB-ONNX-003": Severity.HIGH}, location
    ok = _scan_file(_write(tmp_path, _model(initializers=[_external_tensor("w.bin", 0, 8)])))
    assert ok.findings == []


def test_bad_offset_text_and_missing_location(tmp_path: Path) -> None:
    (tmp_path / "w.bin").write_bytes(b"\0" * 8)
    t = _external_tensor("w.bin")
    for entry in t.external_data:
        if entry.key == "offset":
            entry.value = "-4"
    ctx = _scan_file(_write(tmp_path, _model(initializers=[t])))
    assert _rules(ctx) == {"WB-ONNX-003": Severity.HIGH}
    assert "'-4'" in (ctx.findings[0].evidence or "")
    t2 = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2], data_location=TensorProto.EXTERNAL)
    ctx2 = _scan_file(_write(tmp_path, _model(initializers=[t2])))
    assert _rules(ctx2) == {"WB-ONNX-003": Severity.HIGH}


def test_non_normalized_location_is_high(tmp_path: Path) -> None:
    (tmp_path / "w.bin").write_bytes(b"\0" * 8)
    (tmp_path / "sub").mkdir()
    ctx = _scan_file(_write(tmp_path, _model(initializers=[_external_tensor("sub/../w.bin")])))
    assert _rules(ctx) == {"WB-ONNX-002": Severity.HIGH}


def test_external_tensors_in_attributes_and_sparse_initializers(tmp_path: Path) -> None:
    const = helper.make_node("Constant", [], ["c"], name="const0", value=_external_tensor("/etc/shadow"))
    add = helper.make_node("Add", ["x", "c"], ["y"], name="add0")
    model = _model(nodes=[const, add], initializers=[])
    sparse = helper.make_sparse_tensor(
        _external_tensor("../leak.bin"), numpy_helper.from_array(np.array([0], np.int64), "i"), [2]
    )
    model.graph.sparse_initializer.append(sparse)
    ctx = _scan_file(_write(tmp_path, model))
    keys = {f.location.key for f in ctx.findings if f.rule == "WB-ONNX-001" and f.location}
    assert keys == {"attribute tensor:w", "sparse_initializer:w"}


def test_external_data_inside_an_archive_is_unverified(tmp_path: Path) -> None:
    data = _model(initializers=[_external_tensor("w.bin")]).SerializeToString()
    ctx = _scan_bytes(data, tmp_path, member="inner/model.onnx")
    assert _rules(ctx) == {"WB-ONNX-004": Severity.MEDIUM}
    bad = _model(initializers=[_external_tensor("/etc/passwd")]).SerializeToString()
    assert _rules(_scan_bytes(bad, tmp_path, member="m.onnx")) == {"WB-ONNX-001": Severity.CRITICAL}


def test_hf_cache_blob_links_are_the_normal_layout(tmp_path: Path) -> None:
    repo = tmp_path / "models--org--name"
    blobs = repo / "blobs"
    snap = repo / "snapshots" / "abc123"
    blobs.mkdir(parents=True)
    snap.mkdir(parents=True)
    (blobs / "deadbeef").write_bytes(b"\0" * 8)
    os.symlink("../../blobs/deadbeef", snap / "model.onnx_data")
    (blobs / "cafe").write_bytes(
        _model(initializers=[_external_tensor("model.onnx_data")]).SerializeToString()
    )
    os.symlink("../../blobs/cafe", snap / "model.onnx")
    ctx = _scan_file(snap / "model.onnx", root=snap)
    assert ctx.findings == []


def test_many_bad_tensors_are_capped(tmp_path: Path) -> None:
    tensors = []
    for i in range(120):
        t = _external_tensor(f"/tmp/x{i}")
        t.name = f"w{i}"
        tensors.append(t)
    ctx = _scan_file(_write(tmp_path, _model(initializers=tensors)))
    assert len(ctx.findings) == 51
    assert "70 more" in ctx.findings[-1].detail


# -- operators ----------------------------------------------------------------------------------------------


def test_custom_domain_is_medium_and_local_functions_are_not(tmp_path: Path) -> None:
    custom = helper.make_node("FancyOp", ["x"], ["t"], domain="com.acme", name="fancy")
    local = helper.make_node("MyFn", ["t"], ["y"], domain="local.fns", name="callfn")
    fn = helper.make_function(
        "local.fns",
        "MyFn",
        ["a"],
        ["b"],
        [helper.make_node("Relu", ["a"], ["b"])],
        [helper.make_opsetid("", 18)],
    )
    ort = helper.make_node("FusedMatMul", ["x", "x"], ["z"], domain="com.microsoft", name="ms")
    model = _model(
        nodes=[custom, local, ort],
        initializers=[],
        functions=[fn],
        opsets=[
            helper.make_opsetid("", 18),
            helper.make_opsetid("com.acme", 1),
            helper.make_opsetid("local.fns", 1),
            helper.make_opsetid("com.microsoft", 1),
        ],
    )
    ctx = _scan_file(_write(tmp_path, model))
    assert _rules(ctx) == {"WB-ONNX-005": Severity.MEDIUM}
    assert "com.acme" in ctx.findings[0].detail and "FancyOp" in (ctx.findings[0].evidence or "")
    assert ctx.findings[0].location is not None and ctx.findings[0].location.key == "node:fancy"


def test_python_operator_nested_in_subgraph_is_high(tmp_path: Path) -> None:
    py = helper.make_node("PyOp", ["x"], ["y"], domain="ai.onnx.contrib", name="evil")
    then_g = helper.make_graph([py], "then", [], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    else_g = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        "else",
        [],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
    )
    if_node = helper.make_node("If", ["cond"], ["y"], then_branch=then_g, else_branch=else_g, name="if0")
    loop_body = helper.make_graph([if_node], "body", [], [])
    loop = helper.make_node("Loop", ["n", "cond"], ["y"], body=loop_body, name="loop0")
    ctx = _scan_file(_write(tmp_path, _model(nodes=[loop], initializers=[])))
    rules = _rules(ctx)
    assert rules["WB-ONNX-006"] is Severity.HIGH
    finding = next(f for f in ctx.findings if f.rule == "WB-ONNX-006")
    assert "'evil'" in (finding.evidence or "")


def test_python_op_in_default_domain_is_high(tmp_path: Path) -> None:
    node = helper.make_node("PythonOp", ["x"], ["y"], name="p")
    assert _rules(_scan_file(_write(tmp_path, _model(nodes=[node], initializers=[])))) == {
        "WB-ONNX-006": Severity.HIGH
    }


# -- malformed -------------------------------------------------------------------------------------------------


def test_truncated_model_is_medium(tmp_path: Path) -> None:
    data = _model().SerializeToString()
    ctx = _scan_bytes(data[: len(data) - 7])
    assert _rules(ctx) == {"WB-ONNX-007": Severity.MEDIUM}


def test_truncation_after_danger_is_high(tmp_path: Path) -> None:
    node = helper.make_node("PyOp", ["x"], ["y"], domain="ai.onnx.contrib", name="p")
    data = _model(nodes=[node], initializers=[]).SerializeToString()
    data = data[: data.index(b"PyOp") + 40]
    assert _rules(_scan_bytes(data)) == {"WB-ONNX-006": Severity.HIGH, "WB-ONNX-007": Severity.HIGH}


def _len_field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def test_deep_subgraph_nesting_is_bounded(tmp_path: Path) -> None:
    # protobuf itself refuses to serialize this deep, so encode by hand: graph{node{attribute{g=graph{...}}}}
    graph = _len_field(2, b"leaf")
    for _ in range(300):
        attribute = _len_field(1, b"then_branch") + _len_field(6, graph)
        node = _len_field(4, b"If") + _len_field(5, attribute)
        graph = _len_field(1, node)
    ctx = _scan_bytes(b"\x08\x0e" + _len_field(7, graph))
    assert _rules(ctx) == {"WB-ONNX-007": Severity.MEDIUM}
    assert "nested deeper" in ctx.findings[0].detail


# -- sniffing -------------------------------------------------------------------------------------------------


def test_sniff_accepts_real_models_and_rejects_others(tmp_path: Path) -> None:
    data = _model().SerializeToString()
    assert ONNX_HANDLER.sniff(data[:4096], "x.bin")
    big = _model(initializers=[numpy_helper.from_array(np.zeros(5000, np.float32), "w")]).SerializeToString()
    assert ONNX_HANDLER.sniff(big[:4096], "weights")
    assert not ONNX_HANDLER.sniff(b"hello world, this is text\n" * 10, "x.onnx")
    assert not ONNX_HANDLER.sniff(b"\x80\x04\x95" + b"\0" * 100, "model.onnx")
    assert not ONNX_HANDLER.sniff(b'{"__metadata__":{}}', "m.onnx")
    assert not ONNX_HANDLER.sniff(b"", "m.onnx")
    assert not PROTOBUF_HANDLER.sniff(b"hello world, this is text\n" * 10, "x")


def test_name_breaks_ties_without_ir_version() -> None:
    data = _model().SerializeToString()
    assert data[0] == 0x08
    ir_len = 2
    headless = data[ir_len:]
    assert ONNX_HANDLER.sniff(headless, "model.onnx")
    assert not ONNX_HANDLER.sniff(headless, "model.bin")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4096))
def test_random_bytes_never_escape(data: bytes) -> None:
    ONNX_HANDLER.sniff(data, "model.onnx")
    ctx = _scan_bytes(data)
    assert all(f.severity >= Severity.MEDIUM for f in ctx.findings if f.rule == "WB-ONNX-007")


_SAMPLE = _model(
    nodes=[
        helper.make_node("Add", ["x", "w"], ["t"], name="a"),
        helper.make_node("FancyOp", ["t"], ["y"], domain="com.acme", name="f"),
    ],
    initializers=[_external_tensor("w.bin")],
).SerializeToString()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.tuples(st.integers(0, len(_SAMPLE) - 1), st.integers(0, 255)), min_size=1, max_size=8),
    st.integers(0, len(_SAMPLE)),
)
def test_mutated_models_end_in_findings_or_clean(
    tmp_path: Path, flips: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(_SAMPLE)
    for pos, value in flips:
        data[pos] = value
    ctx = _scan_bytes(bytes(data[:cut]) if cut else bytes(data), tmp_path)
    for f in ctx.findings:
        assert f.path == "model.onnx" and f.detail


def test_reordered_model_missed_by_the_sniff_is_still_scanned_as_onnx() -> None:
    node = helper.make_node("PyOp", ["x"], ["y"], domain="ai.onnx.contrib", name="evil")
    data = _model(
        nodes=[node],
        initializers=[numpy_helper.from_array(np.zeros(2000, np.float32), "w")],
    ).SerializeToString()
    from weighbridge.formats.protobuf import WireReader

    reader = WireReader(io.BytesIO(data))
    fields = sorted(
        reader.fields(0, reader.size), key=lambda f: -f.number
    )  # graph and opsets before ir_version
    reordered = b"".join(data[f.offset : f.end] for f in fields)
    assert not ONNX_HANDLER.sniff(reordered[:4096], "model.bin")
    assert PROTOBUF_HANDLER.sniff(reordered[:4096], "model.bin")
    ctx = ScanContext(path="model.bin", limits=Limits(), nested=lambda c, s, n, z: "recorded")
    PROTOBUF_HANDLER.scan(ctx, io.BytesIO(reordered))
    assert _rules(ctx) == {"WB-ONNX-006": Severity.HIGH}
    assert ctx.formats == ["onnx"]


def test_through_the_dispatcher_and_the_engine(tmp_path: Path) -> None:
    from weighbridge import scan
    from weighbridge.scanning.dispatch import scan_stream

    (tmp_path / "model.onnx_data").write_bytes(b"\0" * 8)
    model = _model(
        nodes=[helper.make_node("Add", ["x", "w"], ["y"], name="a")],
        initializers=[_external_tensor("model.onnx_data"), _external_tensor("/etc/passwd")],
    )
    model.graph.initializer[1].name = "leak"
    path = _write(tmp_path, model, "weights.bin")  # the name promises nothing: content decides
    ctx = ScanContext(
        path="weights.bin", limits=Limits(), nested=scan_stream, root=str(tmp_path), fs_path=str(path)
    )
    with open(path, "rb") as f:
        assert scan_stream(ctx, f, "weights.bin") == "onnx"
    assert _rules(ctx) == {"WB-ONNX-001": Severity.CRITICAL}
    report = scan(str(tmp_path))
    record = next(r for r in report.files if r.path == "weights.bin")
    assert record.format == "onnx" and record.sha256
    assert {f.rule for f in record.findings} == {"WB-ONNX-001"}
    assert record.findings[0].location is not None and record.findings[0].location.key == "initializer:leak"


def test_truncated_model_still_reports_what_precedes_the_cut(tmp_path: Path) -> None:
    big = numpy_helper.from_array(np.zeros(4096, np.float32), "big")
    data = _model(initializers=[_external_tensor("/etc/passwd"), big]).SerializeToString()
    cut = data[: data.index(b"big") + 100]  # inside the second initializer's raw_data
    rules = _rules(_scan_bytes(cut, tmp_path))
    assert rules == {"WB-ONNX-001": Severity.CRITICAL, "WB-ONNX-007": Severity.HIGH}
