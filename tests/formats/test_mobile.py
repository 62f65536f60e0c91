"""TFLite and ExecuTorch flatbuffers: custom / Flex operators, custom kernels, delegates, bounds."""

from __future__ import annotations

import struct

import pytest
from tests.corpus import shapes as S
from tests.formats.helpers_scan import rules, scan_bytes, worst

from weighbridge.core.findings import Severity


def test_benign_tflite_models() -> None:
    for data in (
        S.tflite_model(),
        S.tflite_model([S.TFL_ADD, 150]),
        S.tflite_model(custom=["TFLite_Detection_PostProcess"]),
    ):
        fmt, findings = scan_bytes(data, "model.tflite")
        assert fmt == "tflite" and not findings


@pytest.mark.parametrize(
    ("custom", "rule", "severity"),
    [
        (["MyCustomOp"], "WB-TFL-001", Severity.HIGH),
        (["FlexAddV2"], "WB-TFL-002", Severity.HIGH),
        (["FlexReadFile", "FlexMatMul"], "WB-TFL-002", Severity.HIGH),
        (["FlexWriteFile"], "WB-TFL-002", Severity.HIGH),
        (["FlexPyFunc"], "WB-TFL-002", Severity.CRITICAL),
        (["FlexEagerPyFunc", "Custom2"], "WB-TFL-002", Severity.CRITICAL),
    ],
)
def test_tflite_custom_and_flex_ops_are_named(custom: list[str], rule: str, severity: Severity) -> None:
    _, findings = scan_bytes(S.tflite_model(custom=custom), "renamed.bin")
    assert worst(findings) == severity
    hit = next(f for f in findings if f.rule == rule)
    assert all(name in hit.detail for name in custom if name.startswith("Flex") == (rule == "WB-TFL-002"))


def test_tflite_with_offsets_outside_the_file_is_high() -> None:
    data = bytearray(S.tflite_model(custom=["MyOp"]))
    struct.pack_into("<I", data, 0, len(data) + 100)
    fmt, findings = scan_bytes(bytes(data), "model.tflite")
    assert fmt == "tflite" and "WB-TFL-003" in rules(findings) and worst(findings) == Severity.HIGH
    fmt, findings = scan_bytes(S.tflite_model()[:40], "model.tflite")
    assert "WB-TFL-003" in rules(findings)


def test_benign_executorch_programs() -> None:
    for data in (
        S.pte_program(),
        S.pte_program(delegates=["XnnpackBackend"]),
        S.pte_program([("quantized_decomposed::quantize_per_tensor", "out")]),
    ):
        fmt, findings = scan_bytes(data, "model.pte")
        assert fmt == "executorch" and (worst(findings) or Severity.INFO) < Severity.HIGH


@pytest.mark.parametrize(
    ("operators", "delegates", "rule"),
    [
        ([("my_ops::exfiltrate", "out")], [], "WB-PTE-001"),
        ([("aten::add", "out"), ("custom_kernels::run_shell", "")], [], "WB-PTE-001"),
        ([("aten::add", "out")], ["ShadyBackend"], "WB-PTE-002"),
        ([("nonamespace", "")], [], "WB-PTE-001"),
    ],
)
def test_executorch_custom_kernels_and_unknown_delegates_are_high(
    operators: list[tuple[str, str]], delegates: list[str], rule: str
) -> None:
    _, findings = scan_bytes(S.pte_program(operators, delegates), "model.pte")
    hit = next(f for f in findings if f.rule == rule)
    assert hit.severity == Severity.HIGH


def test_truncated_executorch_is_high() -> None:
    data = S.pte_program([("my_ops::x", "")])
    fmt, findings = scan_bytes(data[:60], "model.pte")
    assert fmt == "executorch" and worst(findings) == Severity.HIGH
