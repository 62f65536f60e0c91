"""TensorFlow SavedModel / GraphDef / keras_metadata.pb: op walk over graph and function library."""

from __future__ import annotations

import pytest
from tests.corpus import tf_shapes as T
from tests.formats.helpers_scan import rules, scan_bytes, worst

from weighbridge.core.findings import Severity

LAMBDA_CODE = "4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMIAAAAdABkAYMBUwApAk4="


def _malicious_graph(extra: list[bytes], functions: list[bytes] | None = None) -> bytes:
    return T.graph_def(T.dense_nodes() + T.saver_nodes() + extra, functions or [])


def test_benign_saved_model_is_clean() -> None:
    fmt, findings = scan_bytes(T.benign_saved_model(), "saved_model.pb")
    assert fmt == "tf-savedmodel"
    assert worst(findings) is None or worst(findings) < Severity.HIGH, findings


def test_benign_frozen_graph_is_clean() -> None:
    fmt, findings = scan_bytes(T.graph_def(T.dense_nodes()), "frozen_graph.pb")
    assert fmt == "tf-graphdef"
    assert not findings


@pytest.mark.parametrize("op", ["PyFunc", "PyFuncStateless", "EagerPyFunc"])
def test_py_func_is_critical_in_graph_and_function(op: str) -> None:
    in_graph = _malicious_graph([T.node("pf", op, ["x"], attrs={"token": T.attr_s("pyfunc_7")})])
    in_function = _malicious_graph([], [T.function("__inference_f_1", [T.node("pf", op, ["x"])], ["x"])])
    for graph in (in_graph, in_function):
        for data, name in (
            (T.saved_model(graph), "saved_model.pb"),
            (graph, "x.pb"),
            (T.saved_model(graph), "blob"),
        ):
            _, findings = scan_bytes(data, name)
            assert worst(findings) == Severity.CRITICAL
            hit = next(f for f in findings if f.rule == "WB-TF-001")
            assert op in (hit.evidence or "")


@pytest.mark.parametrize(
    "path",
    [
        "/etc/passwd",
        "../../../root/.ssh/id_rsa",
        "C:\\Windows\\win.ini",
        "gs://bucket/x",
        "~/.aws/credentials",
    ],
)
@pytest.mark.parametrize("op", ["ReadFile", "MatchingFiles", "RestoreV2", "SaveV2", "ShardedFilename"])
def test_file_ops_with_escaping_constants_are_high(op: str, path: str) -> None:
    graph = _malicious_graph(
        [
            T.const_string("evil/path", path),
            T.node("evil/join", "Identity", ["evil/path"]),
            T.node("evil/op", op, ["evil/join", "save/SaveV2/tensor_names"]),
        ]
    )
    _, findings = scan_bytes(T.saved_model(graph), "saved_model.pb")
    assert "WB-TF-002" in rules(findings)
    assert worst(findings) is not None and worst(findings) >= Severity.HIGH
    assert any(repr(path)[1:12] in (f.evidence or "") for f in findings)


def test_path_passed_into_a_function_is_traced() -> None:
    body = [T.node("read", "ReadFile", ["filename"])]
    graph = T.graph_def(
        T.dense_nodes()
        + [T.const_string("p", "/etc/shadow"), T.node("call", "StatefulPartitionedCall", ["p"])],
        [T.function("__inference_read_5", body, ["filename"])],
    )
    _, findings = scan_bytes(graph, "graph.pb")
    assert "WB-TF-002" in rules(findings)


def test_write_file_is_high_and_relative_read_is_medium() -> None:
    write = _malicious_graph([T.const_string("c", "out.txt"), T.node("w", "WriteFile", ["c", "x"])])
    _, findings = scan_bytes(T.saved_model(write), "saved_model.pb")
    assert "WB-TF-003" in rules(findings) and worst(findings) == Severity.HIGH
    read = _malicious_graph([T.const_string("c", "vocab.txt"), T.node("r", "ReadFile", ["c"])])
    _, findings = scan_bytes(T.saved_model(read), "saved_model.pb")
    assert rules(findings) == {"WB-TF-004"} and worst(findings) == Severity.MEDIUM


def test_debug_dump_url_attribute_is_high() -> None:
    graph = _malicious_graph(
        [T.node("dbg", "DebugIdentity", ["x"], attrs={"debug_urls": T.attr_list_s(["file:///tmp/dump"])})]
    )
    _, findings = scan_bytes(T.saved_model(graph), "saved_model.pb")
    assert "WB-TF-002" in rules(findings)


def test_custom_op_is_medium_and_named() -> None:
    graph = _malicious_graph([T.node("c", "ZeroOut", ["x"]), T.node("d", "MyCustomKernel", ["c"])])
    _, findings = scan_bytes(T.saved_model(graph), "saved_model.pb")
    hit = next(f for f in findings if f.rule == "WB-TF-005")
    assert hit.severity == Severity.MEDIUM and "ZeroOut" in hit.detail and "MyCustomKernel" in hit.detail


def test_asset_outside_the_folder_is_high() -> None:
    data = T.saved_model(T.graph_def(T.dense_nodes()), assets=["../../etc/passwd"])
    _, findings = scan_bytes(data, "saved_model.pb")
    assert "WB-TF-006" in rules(findings)


def test_truncated_saved_model_is_high() -> None:
    data = T.benign_saved_model()
    fmt, findings = scan_bytes(data[: len(data) - 40], "saved_model.pb")
    assert fmt == "tf-savedmodel"
    assert "WB-TF-007" in rules(findings) and worst(findings) == Severity.HIGH


def test_keras_objects_in_saved_model_go_to_the_keras_checker() -> None:
    lam = {
        "class_name": "Lambda",
        "config": {"name": "lam", "function": [LAMBDA_CODE, None, None], "function_type": "lambda"},
    }
    objects = [(ident, meta) for _, ident, meta in T.keras_model_objects([T.dense_layer(), lam])]
    data = T.saved_model(T.graph_def(T.dense_nodes()), keras_objects=objects)
    _, findings = scan_bytes(data, "saved_model.pb")
    lambdas = [f for f in findings if f.rule == "WB-KERAS-001"]
    assert len(lambdas) == 1 and lambdas[0].severity == Severity.CRITICAL


def test_keras_metadata_pb() -> None:
    benign = T.keras_metadata_pb(T.keras_model_objects([T.dense_layer(), T.dense_layer("d2")]))
    fmt, findings = scan_bytes(benign, "keras_metadata.pb")
    assert fmt == "keras-savedmodel-metadata" and not findings
    evil = {
        "class_name": "Dense",
        "config": {"name": "d", "activation": {"module": "os", "class_name": "function", "config": "system"}},
    }
    _, findings = scan_bytes(T.keras_metadata_pb(T.keras_model_objects([evil])), "renamed.bin")
    assert worst(findings) == Severity.CRITICAL


def test_sentencepiece_and_onnx_are_not_taken_for_graphs() -> None:
    piece = b"".join(
        T.pb_len(1, T.pb_len(1, f"tok{i}") + T.pb_float(2, -float(i)) + T.pb_int(3, 1)) for i in range(40)
    )
    fmt, _ = scan_bytes(piece, "tokenizer.model")
    assert fmt == "protobuf"


PBTXT = """saved_model_schema_version: 1
meta_graphs {
  graph_def {
    node {
      name: "x"
      op: "Placeholder"
    }
    node {
      name: "dense/MatMul"
      op: "MatMul"
      input: "x"
    }
%s  }
}
"""


def test_text_format_graphs() -> None:
    fmt, findings = scan_bytes((PBTXT % "").encode(), "saved_model.pbtxt")
    assert fmt == "tf-pbtxt" and not findings
    evil = (
        '    node {\n      name: "p"\n      op: "Const"\n      attr {\n        key: "value"\n        value {\n'
        '          tensor {\n            string_val: "/etc/passwd"\n          }\n        }\n      }\n    }\n'
        '    node {\n      name: "r"\n      op: "ReadFile"\n      input: "p"\n    }\n'
        '    node {\n      name: "f"\n      op: "EagerPyFunc"\n    }\n'
    )
    _, findings = scan_bytes((PBTXT % evil).encode(), "graph.pbtxt")
    assert {"WB-TF-001", "WB-TF-002"} <= rules(findings) and worst(findings) == Severity.CRITICAL
