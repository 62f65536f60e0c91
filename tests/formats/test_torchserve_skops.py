"""TorchServe .mar manifests and skops schemas, recognised inside their zips by content."""

from __future__ import annotations

import pytest
from tests.corpus import shapes as S
from tests.corpus.pickles import CMD, reduce_pickle
from tests.formats.helpers_scan import rules, scan_bytes, worst

from weighbridge.core.findings import Severity


def test_mar_with_builtin_handler_is_below_high() -> None:
    fmt, findings = scan_bytes(S.mar_archive(), "resnet.mar")
    assert fmt == "zip"
    assert rules(findings) == {"WB-MAR-003"} and worst(findings) == Severity.INFO


@pytest.mark.parametrize("handler", ["handler.py", "custom_handler:handle", "my_handlers.vision"])
def test_mar_with_handler_code_is_high_and_named(handler: str) -> None:
    _, findings = scan_bytes(S.mar_archive(handler, {"handler.py": S.HANDLER_PY}), "model.mar")
    hit = next(f for f in findings if f.rule == "WB-MAR-001")
    assert hit.severity == Severity.HIGH and handler in hit.detail and handler in (hit.evidence or "")


def test_mar_model_file_requirements_and_pickled_model() -> None:
    _, findings = scan_bytes(
        S.mar_archive(modelFile="model.py", requirementsFile="requirements.txt"), "m.mar"
    )
    assert {"WB-MAR-001", "WB-MAR-002"} <= rules(findings)
    weights = S.zip_bytes({"archive/data.pkl": reduce_pickle("os", "system", CMD)})
    _, findings = scan_bytes(S.mar_archive(weights=weights), "m.mar")
    assert worst(findings) == Severity.CRITICAL


def test_broken_manifest_is_high() -> None:
    data = S.zip_bytes({"MAR-INF/MANIFEST.json": b'{"modelName": "x", "handler": "h.py", ', "model.pt": b"x"})
    _, findings = scan_bytes(data, "m.mar")
    assert "WB-MAR-004" in rules(findings) and worst(findings) == Severity.HIGH


def test_benign_skops_is_clean() -> None:
    fmt, findings = scan_bytes(S.skops_file(), "model.skops")
    assert fmt == "zip" and not findings


@pytest.mark.parametrize(
    ("node", "severity"),
    [
        (
            S.skops_node("builtins", "function", "FunctionNode", {"module_path": "os", "function": "system"}),
            Severity.CRITICAL,
        ),
        (S.skops_node("builtins", "eval", "ObjectNode", {}), Severity.CRITICAL),
        (
            S.skops_node("builtins", "type", "TypeNode", {"__module__": "subprocess", "__class__": "Popen"}),
            Severity.CRITICAL,
        ),
        (
            S.skops_node("operator", "attrgetter", "OperatorFuncNode", {"attr": "attrgetter"}),
            Severity.CRITICAL,
        ),
        (S.skops_node("my_company.features", "Scaler", "ObjectNode", {}), Severity.HIGH),
        (S.skops_node("xgboost.sklearn", "XGBClassifier", "ObjectNode", {}), Severity.HIGH),
    ],
)
def test_untrusted_types(node: dict, severity: Severity) -> None:
    _, findings = scan_bytes(S.skops_file(S.skops_logistic_schema({"extra": node})), "model.skops")
    assert worst(findings) == severity
    assert any(f.rule in ("WB-SKOPS-001", "WB-SKOPS-002") for f in findings)


def test_unparseable_skops_schema_is_high() -> None:
    data = S.zip_bytes({"schema.json": b'{"__class__": "X", "__module__": "m", "__loader__": "ObjectNode", '})
    _, findings = scan_bytes(data, "model.skops")
    assert "WB-SKOPS-003" in rules(findings) and worst(findings) == Severity.HIGH


def test_manifest_given_alone_keeps_its_text_format() -> None:
    fmt, findings = scan_bytes(S.mar_manifest("handler.py"), "MANIFEST.json")
    assert fmt == "text" and "WB-MAR-001" in rules(findings)
