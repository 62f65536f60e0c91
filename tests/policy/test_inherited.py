"""Policy checks on inherited obligations: a derivative is bound by its ancestors' licences."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from tests.policy.helpers import POLICIES

from weighbridge import inspect
from weighbridge.core.policy import Outcome, Policy
from weighbridge.core.report import Report
from weighbridge.policy import evaluate, load_policy


def _folder(root: Path, license_tag: str, base: str, relation: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    front = f"license: {license_tag}\nbase_model: {base}\nbase_model_relation: {relation}\n"
    (root / "README.md").write_text(f"---\n{front}---\n# A derived model\n", encoding="utf-8")
    (root / "config.json").write_text('{"model_type": "llama"}', encoding="utf-8")
    return root


def _llama_finetune(tmp_path: Path) -> Report:
    return inspect(
        str(_folder(tmp_path / "ft", "apache-2.0", "meta-llama/Llama-3.1-8B-Instruct", "finetune"))
    )


def _with(policy: Policy, **use: Any) -> Policy:
    return dataclasses.replace(policy, intended_use=dataclasses.replace(policy.intended_use, **use))


def _reason(policy: Policy, report: Report, rule: str) -> tuple[Outcome, str]:
    [reason] = [r for r in evaluate(policy, report).reasons if r.rule == rule]
    return reason.outcome, reason.message


EU = load_policy(POLICIES / "eu-saas-startup.yaml")


def test_eu_saas_warns_on_inherited_llama_duties(tmp_path: Path) -> None:
    report = _llama_finetune(tmp_path)
    verdict = evaluate(EU, report)
    inherited = {r: o.value for r, o in verdict.outcomes().items() if r.startswith("inherited.")}
    assert inherited == {
        "inherited.derivative_naming": "warn",
        "inherited.attribution": "warn",
        "inherited.acceptable_use_policy": "warn",
        "inherited.monthly_active_users": "pass",
    }
    naming = next(r for r in verdict.reasons if r.rule == "inherited.derivative_naming")
    assert "must start with 'Llama'" in naming.message and "the policy names no derivative" in naming.message
    sources = {(e.source, e.file, e.key, e.line) for e in naming.evidence}
    assert ("provenance", "README.md", "base_model", 3) in sources
    assert ("inherited", "builtin:weighbridge/license/data/known_models.yaml", "llama3.1", None) in sources
    attribution = next(r for r in verdict.reasons if r.rule == "inherited.attribution")
    assert "'Built with Llama'" in attribution.message


def test_derivative_name_fails_or_passes(tmp_path: Path) -> None:
    report = _llama_finetune(tmp_path)
    outcome, message = _reason(
        _with(EU, derivative_name="acme-assistant"), report, "inherited.derivative_naming"
    )
    assert outcome is Outcome.FAIL and message.endswith(
        "the derivative name 'acme-assistant' must start with 'Llama'"
    )
    assert evaluate(_with(EU, derivative_name="acme-assistant"), report).verdict is Outcome.FAIL
    outcome, _ = _reason(
        _with(EU, derivative_name="Llama-Acme-Assistant"), report, "inherited.derivative_naming"
    )
    assert outcome is Outcome.PASS


def test_user_cap_over_fails(tmp_path: Path) -> None:
    report = _llama_finetune(tmp_path)
    outcome, message = _reason(
        _with(EU, monthly_active_users=800_000_000), report, "inherited.monthly_active_users"
    )
    assert outcome is Outcome.FAIL and "above the threshold of 700,000,000" in message


def test_qwen_1_quantization_inherits_the_100m_cap_and_output_ban(tmp_path: Path) -> None:
    report = inspect(str(_folder(tmp_path / "q", "other", "Qwen/Qwen-7B-Chat", "quantized")))
    assert [i.license.id for i in report.inherited] == ["tongyi-qianwen"]
    policy = _with(EU, monthly_active_users=150_000_000, outputs_train_other_models=True)
    verdict = evaluate(policy, report)
    assert verdict.outcomes()["inherited.monthly_active_users"] is Outcome.FAIL
    assert verdict.outcomes()["inherited.outputs_train_other_models"] is Outcome.FAIL
    assert "inherited.derivative_naming" not in verdict.outcomes()  # a quantization is not renamed
    outcome, _ = _reason(EU, report, "inherited.monthly_active_users")
    assert outcome is Outcome.PASS  # two million users are within 100 million


def test_non_commercial_ancestor_fails_commercial_use(tmp_path: Path) -> None:
    report = inspect(str(_folder(tmp_path / "nc", "apache-2.0", "Qwen/Qwen2.5-3B-Instruct", "finetune")))
    outcome, message = _reason(EU, report, "inherited.commercial")
    assert outcome is Outcome.FAIL and "Qwen Research License Agreement) is research-only" in message


def test_ancestor_licence_without_known_terms_warns(tmp_path: Path) -> None:
    report = inspect(
        str(_folder(tmp_path / "mnpl", "apache-2.0", "mistralai/Codestral-22B-v0.1", "finetune"))
    )
    outcome, message = _reason(EU, report, "inherited.terms")
    assert outcome is Outcome.WARN and "Mistral AI Non-Production License has no known terms" in message


def test_unknown_ancestor_adds_no_reason(tmp_path: Path) -> None:
    report = inspect(str(_folder(tmp_path / "u", "mit", "someone/homegrown-7b", "finetune")))
    rules = {r.rule for r in evaluate(EU, report).reasons}
    assert rules and not any(r.startswith("inherited.") for r in rules)


def test_same_licence_as_the_weights_is_left_to_the_licence_checks(tmp_path: Path) -> None:
    report = inspect(str(_folder(tmp_path / "same", "llama3.1", "meta-llama/Llama-3.1-8B", "finetune")))
    assert [i.license.id for i in report.inherited] == ["llama3.1"]
    verdict = evaluate(_with(EU, outputs_train_other_models=True), report)
    assert "intended_use.derivative_name" in verdict.outcomes()
    assert not any(r.rule.startswith("inherited.") for r in verdict.reasons)
