"""PaddlePaddle programs and Core ML models (protobuf walks) and .mlpackage manifests."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.corpus import shapes as S
from tests.corpus.pickles import CMD, reduce_pickle
from tests.corpus.tf_shapes import pb_len
from tests.formats.helpers_scan import rules, scan_bytes, worst

import weighbridge
from weighbridge.core.findings import Severity


def test_benign_paddle_program() -> None:
    fmt, findings = scan_bytes(S.paddle_program(), "inference.pdmodel")
    assert fmt == "paddle-program" and not findings


@pytest.mark.parametrize(
    ("op", "severity"),
    [
        (S.paddle_op("py_func", {"X": ["x"]}, {"Out": ["y"]}, {"forward_callable_id": 0}), Severity.CRITICAL),
        (S.paddle_op("save", {"X": ["fc.w_0"]}, {}, {"file_path": "/root/.bashrc"}), Severity.HIGH),
        (
            S.paddle_op("load_combine", {}, {"Out": ["fc.w_0"]}, {"file_path": "../../../etc/shadow"}),
            Severity.HIGH,
        ),
        (S.paddle_op("save_combine", {"X": ["x"]}, {}, {"file_path": "params_copy"}), Severity.MEDIUM),
    ],
)
def test_paddle_operators(op: bytes, severity: Severity) -> None:
    _, findings = scan_bytes(S.paddle_program([op]), "model.pdmodel")
    assert worst(findings) == severity


def test_truncated_paddle_program_is_high() -> None:
    data = S.paddle_program([S.paddle_op("py_func", {}, {})])
    fmt, findings = scan_bytes(data[: len(data) - 30], "model.pdmodel")
    assert fmt == "paddle-program" and worst(findings) == Severity.HIGH


def test_pdparams_pickle_goes_to_the_pickle_analyser() -> None:
    fmt, findings = scan_bytes(reduce_pickle("os", "system", CMD), "model.pdparams")
    assert fmt == "pickle" and worst(findings) == Severity.CRITICAL


def test_benign_coreml_models() -> None:
    for data in (S.coreml_model(), S.coreml_model(500), S.coreml_model(303)):
        fmt, findings = scan_bytes(data, "model.mlmodel")
        assert fmt == "coreml" and not findings


@pytest.mark.parametrize(
    ("data", "rule", "severity", "name"),
    [
        (
            S.coreml_model(403, S.coreml_custom_layer("AAPLEvilLayer")),
            "WB-COREML-001",
            Severity.HIGH,
            "AAPLEvilLayer",
        ),
        (S.coreml_model(555, pb_len(10, "ExfilModel")), "WB-COREML-001", Severity.HIGH, "ExfilModel"),
        (
            S.coreml_model(200, pb_len(1, pb_len(1, S.coreml_model(555, pb_len(10, "Inner"))))),
            "WB-COREML-001",
            Severity.HIGH,
            "Inner",
        ),
        (
            S.coreml_model(556, S.coreml_linked("x.mlmodelc", "/private/var")),
            "WB-COREML-002",
            Severity.HIGH,
            "x.mlmodelc",
        ),
        (
            S.coreml_model(556, S.coreml_linked("x.mlmodelc", "$BUNDLE_MAIN")),
            "WB-COREML-002",
            Severity.MEDIUM,
            "x",
        ),
    ],
)
def test_coreml_custom_code_and_links(data: bytes, rule: str, severity: Severity, name: str) -> None:
    _, findings = scan_bytes(data, "renamed.bin")
    hit = next(f for f in findings if f.rule == rule)
    assert hit.severity == severity and name in hit.detail


def test_truncated_coreml_is_high() -> None:
    data = S.coreml_model(403, S.coreml_custom_layer("L"))
    fmt, findings = scan_bytes(data[: len(data) - 5], "model.mlmodel")
    assert fmt == "coreml" and "WB-COREML-003" in rules(findings)


def test_mlpackage_folder(tmp_path: Path) -> None:
    def scan(files: dict[str, bytes | str], where: Path) -> weighbridge.Report:
        for rel, data in files.items():
            p = where / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data if isinstance(data, bytes) else data.encode())
        return weighbridge.scan(str(where))

    report = scan(S.mlpackage(S.coreml_model()), tmp_path / "good.mlpackage")
    assert report.max_severity is None or report.max_severity < Severity.HIGH
    report = scan(S.mlpackage(S.coreml_model(), "../../../../etc/passwd"), tmp_path / "bad.mlpackage")
    assert "WB-COREML-004" in {f.rule for f in report.findings}


def test_pdiparams_tensor_stream() -> None:
    fmt, findings = scan_bytes(S.paddle_params(), "inference.pdiparams")
    assert fmt == "paddle-params" and not findings
    _, findings = scan_bytes(S.paddle_params()[:-3], "inference.pdiparams")
    assert rules(findings) == {"WB-PADDLE-005"}
    _, findings = scan_bytes(S.paddle_params() + reduce_pickle("os", "system", CMD), "inference.pdiparams")
    assert worst(findings) == Severity.CRITICAL
