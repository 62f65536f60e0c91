"""Keras configurations that a load would act on (issue 12): names beside ``function_type`` and file paths in
layer arguments, wherever the dict sits, in every container Keras loads a configuration from.

Variants are generated: dangerous module/function pairs × where the dict sits × which keys sit beside it, and
host paths × the layers that read a vocabulary or model file × path spellings; each goes through a ``.keras``
zip, a legacy ``.h5`` ``model_config`` and a SavedModel ``keras_metadata.pb``. Benign lookup and tokenizer
layers (inline vocabularies, assets saved with the model) stay below high.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import h5py
import pytest

import weighbridge
from weighbridge.core.findings import Severity

DANGEROUS = [
    ("os", "system"),
    ("subprocess", "check_output"),
    ("builtins", "eval"),
    ("posix", "popen"),
    ("pty", "spawn"),
    ("shutil", "rmtree"),
    ("socket", "create_connection"),
]
BESIDE = {
    "function-type": {"function_type": "function"},
    "function-type-lambda-word": {"function_type": "raw"},
    "registered-name": {"function_type": "function", "registered_name": "Custom>thing"},
    "config-beside": {"function_type": "function", "config": {"units": 3}, "output_shape": None},
}


def _k3(cls: str, config: dict[str, Any], module: str = "keras.layers") -> dict[str, Any]:
    return {"module": module, "class_name": cls, "config": config, "registered_name": None}


def _model(layers: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "module": "keras",
        "class_name": "Sequential",
        "registered_name": None,
        "config": {"name": "seq", "trainable": True, "layers": layers},
    }


DENSE = _k3("Dense", {"name": "d", "units": 2})


def _placements(node: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The same dict as a layer, inside a layer argument, inside a wrapper, deep in a list."""
    return {
        "as-layer": _model([DENSE, node]),
        "in-argument": _model([_k3("Dense", {"name": "d2", "units": 2, "kernel_regularizer": node})]),
        "in-wrapper": _model([_k3("Bidirectional", {"name": "bi", "layer": _model([node])})]),
        "in-list": _model([_k3("Dense", {"name": "d3", "units": 2, "extra": [[{"nested": [node]}]]})]),
    }


def _keras_zip(config: dict[str, Any]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.8.0"}))
        z.writestr("config.json", json.dumps(config))
        z.writestr("model.weights.h5", b"")
    return buf.getvalue()


def _h5(config: dict[str, Any]) -> bytes:
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        f.attrs["model_config"] = json.dumps(config).encode()
        f.attrs["keras_version"] = b"2.15.0"
    return buf.getvalue()


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low = n & 0x7F
        n >>= 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _len_field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _keras_metadata(config: dict[str, Any]) -> bytes:
    """A SavedMetadata protobuf: one SavedObject per layer (node_id, node_path, identifier, JSON metadata)."""
    layers = config["config"]["layers"]
    nodes = [
        (
            "root",
            "_tf_keras_sequential",
            {"name": "seq", "class_name": "Sequential", "config": config["config"]},
        )
    ]
    nodes += [(f"root.layer-{i}", "_tf_keras_layer", layer) for i, layer in enumerate(layers)]
    out = b""
    for i, (path, ident, meta) in enumerate(nodes):
        node = (
            _varint(2 << 3)
            + _varint(i)
            + _len_field(3, path.encode())
            + _len_field(4, ident.encode())
            + _len_field(5, json.dumps(meta).encode())
        )
        out += _len_field(1, node)
    return out


CONTAINERS = {
    "keras-zip": ("model.keras", _keras_zip),
    "legacy-h5": ("model.h5", _h5),
    "savedmodel-metadata": ("keras_metadata.pb", _keras_metadata),
}


def _scan(tmp_path: Path, container: str, config: dict[str, Any]) -> tuple[Severity | None, list[str]]:
    name, make = CONTAINERS[container]
    path = tmp_path / name
    path.write_bytes(make(config))
    report = weighbridge.scan(str(path))
    return report.max_severity, [f"{f.rule}/{f.severity.label}: {f.detail}" for f in report.findings]


@pytest.mark.parametrize("container", sorted(CONTAINERS))
@pytest.mark.parametrize("beside", sorted(BESIDE))
@pytest.mark.parametrize(("module", "function"), DANGEROUS)
def test_function_type_does_not_hide_a_dangerous_name(
    tmp_path: Path, container: str, beside: str, module: str, function: str
) -> None:
    node = {"module": module, "function": function, "name": "f", **BESIDE[beside]}
    for where, config in _placements(node).items():
        sev, findings = _scan(tmp_path, container, config)
        assert sev is not None and sev >= Severity.HIGH, (where, findings)
        assert any("WB-KERAS-003" in f and f"{module}.{function}" in f for f in findings), (where, findings)


@pytest.mark.parametrize("container", sorted(CONTAINERS))
@pytest.mark.parametrize(("module", "cls"), [("os", "system"), ("subprocess", "Popen"), ("builtins", "exec")])
def test_class_name_beside_function_type_is_checked(
    tmp_path: Path, container: str, module: str, cls: str
) -> None:
    node = {"module": module, "class_name": cls, "function_type": "function", "config": {}}
    sev, findings = _scan(tmp_path, container, _placements(node)["in-argument"])
    assert sev == Severity.CRITICAL, findings


HOST_PATHS = [
    "/etc/passwd",
    "~/.ssh/id_rsa",
    "../../../../root/.aws/credentials",
    "C:\\Windows\\win.ini",
    "file:///etc/shadow",
    "gs://attacker-bucket/vocab.txt",
    "vocab.txt",
]
PATH_LAYERS = {
    "StringLookup": ("vocabulary", "keras.layers"),
    "IntegerLookup": ("vocabulary", "keras.layers"),
    "TextVectorization": ("vocabulary", "keras.layers"),
    "WordPieceTokenizer": ("vocabulary", "keras_hub.tokenizers"),
    "BytePairTokenizer": ("merges", "keras_hub.tokenizers"),
    "SentencePieceTokenizer": ("proto", "keras_hub.tokenizers"),
    "CustomReader": ("vocabulary_file", "keras.layers"),
}


@pytest.mark.parametrize("container", sorted(CONTAINERS))
@pytest.mark.parametrize("layer", sorted(PATH_LAYERS))
def test_file_path_arguments_are_high(tmp_path: Path, container: str, layer: str) -> None:
    key, module = PATH_LAYERS[layer]
    for host_path in HOST_PATHS:
        node = _k3(layer, {"name": "lookup", key: host_path, "max_tokens": None}, module=module)
        sev, findings = _scan(tmp_path, container, _placements(node)["in-wrapper"])
        assert sev is not None and sev >= Severity.HIGH, (host_path, findings)
        assert any("WB-KERAS-007" in f and repr(host_path)[1:15] in f for f in findings), (
            host_path,
            findings,
        )


BENIGN_LAYERS = [
    _k3("StringLookup", {"name": "s", "vocabulary": ["a", "b", "c"], "num_oov_indices": 1}),
    _k3("StringLookup", {"name": "s2", "vocabulary": None, "mask_token": None}),
    _k3("IntegerLookup", {"name": "i", "vocabulary": [1, 2, 3]}),
    _k3(
        "TextVectorization",
        {
            "name": "t",
            "vocabulary": None,
            "max_tokens": 100,
            "split": "whitespace",
            "standardize": "lower_and_strip_punctuation",
        },
    ),
    _k3(
        "WordPieceTokenizer",
        {"name": "w", "vocabulary": None, "lowercase": True},
        module="keras_hub.tokenizers",
    ),
    _k3(
        "Dense",
        {
            "name": "d",
            "units": 4,
            "activation": {
                "module": "keras.activations",
                "class_name": "function",
                "config": "relu",
                "registered_name": "function",
            },
        },
    ),
    _k3("Rescaling", {"name": "r", "scale": 0.5, "offset": 0.0}),
]


@pytest.mark.parametrize("container", sorted(CONTAINERS))
def test_benign_lookup_and_tokenizer_layers_stay_below_high(tmp_path: Path, container: str) -> None:
    sev, findings = _scan(tmp_path, container, _model(BENIGN_LAYERS))
    assert sev is None or sev < Severity.HIGH, findings


def test_broken_keras_metadata_is_high(tmp_path: Path) -> None:
    data = _keras_metadata(_model([DENSE]))
    path = tmp_path / "keras_metadata.pb"
    path.write_bytes(data[: len(data) - 7])
    report = weighbridge.scan(str(path))
    assert report.max_severity == Severity.HIGH
    assert {f.rule for f in report.findings} == {"WB-KERAS-006"}
