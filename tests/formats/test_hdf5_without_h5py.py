"""Legacy Keras .h5 without the HDF5 library: a Lambda layer never falls below high because h5py is missing.

The files are written with h5py in several storage variants (fixed- and variable-length string attributes,
old and new object headers, a user block, dense attribute storage for large configurations); the scanner is
then told h5py is absent and must find the configuration in the raw bytes.
"""

from __future__ import annotations

import base64
import json
import marshal
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from weighbridge.core.findings import Severity
from weighbridge.formats import hdf5
from weighbridge.formats.base import Limits, ScanContext
from weighbridge.formats.hdf5 import HDF5_HANDLER

DENSE = {"class_name": "Dense", "config": {"name": "dense", "units": 2}}


def _bytecode_lambda() -> dict[str, Any]:
    code = base64.b64encode(marshal.dumps((lambda x: x).__code__)).decode("ascii")  # never called
    return {
        "class_name": "Lambda",
        "config": {
            "name": "l",
            "function": [code, None, None],
            "function_type": "lambda",
            "module": "__main__",
        },
    }


def _named(module: str, function: str) -> dict[str, Any]:
    return {
        "class_name": "Lambda",
        "config": {"name": "l", "function": function, "function_type": "function", "module": module},
    }


MALICIOUS: dict[str, dict[str, Any]] = {
    "bytecode": _bytecode_lambda(),
    "os-system": _named("os", "system"),
    "subprocess-popen": _named("subprocess", "Popen"),
    "builtins-eval": _named("builtins", "eval"),
    "plain-lambda": _named("my_project.layers", "preprocess"),  # any Lambda runs code: high
    "regularizer-function-type": {
        "class_name": "Dense",
        "config": {
            "name": "d",
            "units": 2,
            "kernel_regularizer": {
                "module": "posix",
                "class_name": "system",
                "function_type": "function",
                "config": {},
            },
        },
    },
}

# storage variants: (attribute as bytes or str, libver, userblock, pad the configuration to this many bytes)
VARIANTS: dict[str, tuple[bool, str, int, int]] = {
    "fixed-earliest": (True, "earliest", 0, 0),
    "vlen-earliest": (False, "earliest", 0, 0),
    "fixed-latest": (True, "latest", 0, 0),
    "vlen-latest-userblock": (False, "latest", 512, 0),
    "dense-storage-large": (True, "latest", 0, 200_000),
}


def _write(path: Path, layers: list[dict[str, Any]], variant: tuple[bool, str, int, int]) -> Path:
    as_bytes, libver, userblock, pad = variant
    config: dict[str, Any] = {"class_name": "Sequential", "config": {"name": "seq", "layers": layers}}
    if pad:
        config["config"]["padding_note"] = "x" * pad
    text = json.dumps(config)
    with h5py.File(path, "w", libver=libver, userblock_size=userblock) as f:
        f.attrs["keras_version"] = b"2.12.0"
        f.attrs["model_config"] = text.encode("utf-8") if as_bytes else text
        f.attrs["training_config"] = json.dumps({"loss": "mse"}).encode()
        f.create_dataset("model_weights/dense/kernel", data=np.arange(64, dtype=np.float32))
    return path


def _scan(path: Path) -> ScanContext:
    ctx = ScanContext(
        path=path.name,
        limits=Limits(),
        nested=lambda c, s, n, z: "recorded",
        root=str(path.parent),
        fs_path=str(path),
    )
    with open(path, "rb") as f:
        HDF5_HANDLER.scan(ctx, f)
    return ctx


@pytest.fixture
def no_h5py(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hdf5, "_h5py_available", lambda: False)


@pytest.mark.usefixtures("no_h5py")
@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("attack", sorted(MALICIOUS))
def test_lambda_is_high_without_h5py(tmp_path: Path, attack: str, variant: str) -> None:
    ctx = _scan(_write(tmp_path / "model.h5", [DENSE, MALICIOUS[attack]], VARIANTS[variant]))
    worst = ctx.max_severity()
    assert worst is not None and worst >= Severity.HIGH, [
        (f.rule, f.severity, f.detail) for f in ctx.findings
    ]
    assert any(f.rule.startswith("WB-KERAS-") for f in ctx.findings)


@pytest.mark.usefixtures("no_h5py")
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_benign_stays_medium_without_h5py(tmp_path: Path, variant: str) -> None:
    ctx = _scan(
        _write(
            tmp_path / "model.h5",
            [DENSE, {"class_name": "Dropout", "config": {"rate": 0.1}}],
            VARIANTS[variant],
        )
    )
    assert ctx.max_severity() == Severity.MEDIUM, [(f.rule, f.severity, f.detail) for f in ctx.findings]


@pytest.mark.usefixtures("no_h5py")
def test_unreadable_config_is_high_without_h5py(tmp_path: Path) -> None:
    path = _write(tmp_path / "model.h5", [DENSE, _named("os", "system")], VARIANTS["fixed-earliest"])
    # no object decodes any more (same length, so the HDF5 layout stays); the attribute name is still there
    path.write_bytes(path.read_bytes().replace(b'{"', b'["'))
    ctx = _scan(path)
    assert ctx.max_severity() == Severity.HIGH
    assert any("model_config" in f.detail for f in ctx.findings)


def test_library_refusal_falls_back_to_raw_bytes(tmp_path: Path) -> None:
    """With h5py present, a file the library cannot open still has its Keras configuration checked."""
    path = _write(tmp_path / "model.h5", [DENSE, _named("os", "system")], VARIANTS["fixed-earliest"])
    data = bytearray(path.read_bytes())
    data[8:16] = b"\xff" * 8  # break the superblock: the library refuses the file
    path.write_bytes(bytes(data))
    ctx = _scan(path)
    assert {f.rule for f in ctx.findings} >= {"WB-H5-001", "WB-KERAS-003"}
    assert ctx.max_severity() == Severity.CRITICAL


@pytest.mark.usefixtures("no_h5py")
def test_spaced_json_and_decoys_do_not_hide_a_lambda(tmp_path: Path) -> None:
    """Any JSON spelling Keras accepts is found; a search cut short by decoys is high, never clean."""
    lam = json.dumps(_named("os", "system"), indent=1).replace("{", "{ ")
    config = '{ "class_name": "Sequential", "config": {"layers": [' + json.dumps(DENSE) + ", " + lam + "]}}"
    path = tmp_path / "spaced.h5"
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = config.encode()
    assert _scan(path).max_severity() == Severity.CRITICAL
    decoys = '{"x" ' * (hdf5.RAW_ATTEMPTS + 10)
    path = tmp_path / "decoys.h5"
    with h5py.File(path, "w") as f:
        f.attrs["decoy"] = decoys.encode()
        f.attrs["model_config"] = json.dumps(
            {"class_name": "Sequential", "config": {"layers": [DENSE]}}
        ).encode()
        f.attrs["zz"] = json.dumps(_named("os", "system")).encode()
    assert (_scan(path).max_severity() or Severity.INFO) >= Severity.HIGH
