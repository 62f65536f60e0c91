"""Keras configuration walker: Lambda anywhere, custom/dangerous names, TFSMLayer, invalid JSON, fuzzing."""

from __future__ import annotations

import base64
import codecs
import json
import marshal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from weighbridge.core.findings import Severity
from weighbridge.formats.base import Limits, ScanContext
from weighbridge.formats.keras import classify_target, scan_keras_config


def _scan(config: Any, raw: bytes | None = None, limits: Limits | None = None) -> ScanContext:
    ctx = ScanContext(path="model.keras", limits=limits or Limits(), nested=lambda c, s, n, z: "recorded")
    scan_keras_config(ctx, raw if raw is not None else json.dumps(config).encode())
    return ctx


def _rules(ctx: ScanContext) -> dict[str, Severity]:
    out: dict[str, Severity] = {}
    for f in ctx.findings:
        out[f.rule] = max(out.get(f.rule, Severity.INFO), f.severity)
    return out


def _layer(class_name: str, config: dict[str, Any], module: str | None = "keras.layers") -> dict[str, Any]:
    return {"module": module, "class_name": class_name, "config": config, "registered_name": None}


def _functional(layers: list[dict[str, Any]], class_name: str = "Functional") -> dict[str, Any]:
    return _layer(class_name, {"name": "model", "layers": layers}, module="keras.src.models.functional")


DENSE = _layer(
    "Dense",
    {
        "name": "dense",
        "units": 4,
        "activation": {
            "module": "keras.src.activations",
            "class_name": "function",
            "config": "relu",
            "registered_name": "function",
        },
        "kernel_initializer": {
            "module": "keras.initializers",
            "class_name": "GlorotUniform",
            "config": {"seed": None},
            "registered_name": None,
        },
    },
)


def _keras2_bytecode() -> str:
    return codecs.encode(marshal.dumps((lambda x: x).__code__), "base64").decode("ascii")


def test_benign_keras3_config_is_clean() -> None:
    config = _functional([_layer("InputLayer", {"name": "in", "batch_shape": [None, 4]}), DENSE])
    assert _scan(config).findings == []


def test_benign_keras2_h5_config_is_clean() -> None:
    config = {
        "class_name": "Sequential",
        "config": {
            "name": "s",
            "layers": [{"class_name": "Dense", "config": {"name": "d", "units": 2, "activation": "relu"}}],
        },
    }
    assert _scan(config).findings == []


def test_keras2_lambda_bytecode_nested_in_submodel_is_critical() -> None:
    code = _keras2_bytecode()
    lam = {
        "class_name": "Lambda",
        "config": {
            "name": "evil",
            "function": [code, None, None],
            "function_type": "lambda",
            "module": "__main__",
            "output_shape": None,
            "output_shape_type": "raw",
        },
    }
    inner = {"class_name": "Sequential", "config": {"name": "inner", "layers": [lam]}}
    outer = {
        "class_name": "Functional",
        "config": {
            "name": "outer",
            "layers": [{"class_name": "TimeDistributed", "config": {"name": "td", "layer": inner}}],
        },
    }
    ctx = _scan(outer)
    assert _rules(ctx) == {"WB-KERAS-001": Severity.CRITICAL}
    finding = ctx.findings[0]
    assert finding.evidence and finding.evidence.startswith(code[:40])
    assert finding.location is not None
    assert (
        finding.location.key == "config.json:$.config.layers[0].config.layer.config.layers[0].config.function"
    )


def test_keras3_lambda_dict_is_critical_once() -> None:
    code = base64.b64encode(marshal.dumps((lambda x: x * 2).__code__)).decode()
    lam = _layer(
        "Lambda",
        {
            "name": "l",
            "function": {
                "class_name": "__lambda__",
                "config": {"code": code, "defaults": None, "closure": None},
            },
        },
    )
    wrapped = _layer("Bidirectional", {"name": "bi", "layer": _functional([lam])})
    ctx = _scan(_functional([wrapped]))
    assert [(f.rule, f.severity) for f in ctx.findings] == [("WB-KERAS-001", Severity.CRITICAL)]
    assert code[:40] in (ctx.findings[0].evidence or "")


def test_lambda_with_named_function_is_high_and_dangerous_module_critical() -> None:
    plain = {
        "class_name": "Lambda",
        "config": {
            "name": "l",
            "function": "my_fn",
            "function_type": "function",
            "module": "my_project.layers",
        },
    }
    rules = _rules(_scan({"class_name": "Sequential", "config": {"layers": [plain]}}))
    assert rules == {"WB-KERAS-001": Severity.HIGH, "WB-KERAS-002": Severity.MEDIUM}
    evil = {
        "class_name": "Lambda",
        "config": {"name": "l", "function": "system", "function_type": "function", "module": "os"},
    }
    rules = _rules(_scan({"class_name": "Sequential", "config": {"layers": [evil]}}))
    assert rules == {"WB-KERAS-001": Severity.HIGH, "WB-KERAS-003": Severity.CRITICAL}


@pytest.mark.parametrize(
    ("node", "rule"),
    [
        ({"module": "os", "class_name": "system", "config": {"command": "id"}}, "WB-KERAS-003"),
        ({"module": "subprocess", "class_name": "Popen", "config": {}}, "WB-KERAS-003"),
        ({"module": "builtins", "class_name": "function", "config": "eval"}, "WB-KERAS-003"),
        ({"module": "my_company.layers", "class_name": "Fancy", "config": {}}, "WB-KERAS-002"),
        (
            {"module": None, "class_name": "Fancy", "config": {}, "registered_name": "Custom>Fancy"},
            "WB-KERAS-002",
        ),
        ({"class_name": "posix.system", "config": {}}, "WB-KERAS-003"),
        ({"class_name": "fn", "fn_name": "shutil.rmtree"}, "WB-KERAS-003"),
        (
            {"module": "keras.config", "class_name": "function", "config": "enable_unsafe_deserialization"},
            "WB-KERAS-005",
        ),
        ({"module": "keras.utils", "class_name": "function", "config": "get_file"}, "WB-KERAS-005"),
    ],
)
def test_names_pointing_outside_keras(node: dict[str, Any], rule: str) -> None:
    ctx = _scan(_functional([DENSE, _layer("Dense", {"name": "d2", "kernel_regularizer": node})]))
    assert set(_rules(ctx)) == {rule}
    assert (
        ctx.findings[0].evidence
        and ctx.findings[0].location
        and "kernel_regularizer" in (ctx.findings[0].location.key or "")
    )


def test_known_keras_family_namespaces_are_fine() -> None:
    for module in (
        "keras_hub.src.models",
        "keras_nlp.layers",
        "keras_cv.layers",
        "tf_keras.layers",
        "keras.src.layers.core",
    ):
        assert classify_target(f"{module}.Thing") is None
    assert classify_target("builtins.dict") is None
    assert classify_target("tensorflow.io.write_file") is not None


def test_tfsm_layer_is_high() -> None:
    tfsm = _layer(
        "TFSMLayer", {"name": "t", "filepath": "/tmp/attacker_savedmodel", "call_endpoint": "serve"}
    )
    ctx = _scan(_functional([tfsm]))
    assert _rules(ctx) == {"WB-KERAS-004": Severity.HIGH}
    assert "/tmp/attacker_savedmodel" in ctx.findings[0].detail


def test_invalid_json_is_high_and_too_large_is_refused() -> None:
    # a Keras configuration carries code: one that could not be inspected is never below high
    assert _rules(_scan(None, raw=b'{"class_name": "Lambda", ')) == {"WB-KERAS-006": Severity.HIGH}
    assert _rules(_scan(None, raw=b"[" * 100_000 + b"]" * 100_000)) == {"WB-KERAS-006": Severity.HIGH}
    small = Limits(max_header_bytes=10)
    assert _rules(_scan({"a": "b" * 20}, limits=small)) == {"WB-KERAS-006": Severity.HIGH}


def test_findings_are_capped() -> None:
    layers = [_layer("L", {}, module=f"evil{i}") for i in range(150)]
    ctx = _scan(_functional(layers))
    assert len(ctx.findings) == 101
    assert "50 more" in ctx.findings[-1].detail


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=20)
    | st.sampled_from(["Lambda", "TFSMLayer", "os", "keras.layers", "Custom>X", "__lambda__", "lambda"]),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.sampled_from(
                [
                    "class_name",
                    "module",
                    "config",
                    "registered_name",
                    "function",
                    "function_type",
                    "layer",
                    "layers",
                    "fn_name",
                    "name",
                ]
            )
            | st.text(max_size=5),
            children,
            max_size=5,
        )
    ),
    max_leaves=40,
)


@settings(max_examples=200, deadline=None)
@given(_JSON)
def test_arbitrary_json_never_escapes(value: Any) -> None:
    ctx = _scan(value)
    for f in ctx.findings:
        assert f.rule.startswith("WB-KERAS-") and f.detail


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_escape(data: bytes) -> None:
    _scan(None, raw=data)
