"""The three example policies × real licences from the corpus, each verdict with its reasons (rule names and
outcomes of every reason that is not a pass), and the licence evidence behind them."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from tests.policy.helpers import POLICIES, model_folder

from weighbridge import inspect
from weighbridge.core.policy import Outcome, Policy, PolicyVerdict
from weighbridge.core.report import Report
from weighbridge.policy import evaluate, load_policy

# licence file -> (card licence tag, base model)
MODELS = {
    "llama3.1.txt": ("llama3.1", "meta-llama/Llama-3.1-8B"),
    "tongyi-qianwen.txt": ("other", "Qwen/Qwen-7B"),
    "tongyi-qianwen-research.txt": ("other", "Qwen/Qwen1.5-1.8B"),
    "deepseek-model-v1.txt": ("other", "deepseek-ai/deepseek-llm-7b-base"),
    "gpt-oss-apache-2.0.txt": ("apache-2.0", "openai/gpt-oss-20b"),
    "kimi-k2-modified-mit.txt": ("other", "moonshotai/Kimi-K2-Instruct"),
    "tencent-hunyuan-community.txt": ("other", "tencent/Hunyuan-7B-Instruct"),
}
W, F = "warn", "fail"
EU_AUDIT = {"rules.required_audits": W}
GOV_ALWAYS = {
    "rules.required_audits": W,
    "rules.screening_hits": W,
    "rules.required_openness_class": F,
    "intended_use.redistribute_weights": W,
    "audit.require_audit": F,
}
GOV_NOT_PERMISSIVE = {**GOV_ALWAYS, "rules.allowed_license_families": F, "rules.osi_only": F}
GOV_CN = {**GOV_NOT_PERMISSIVE, "rules.denied_jurisdictions": F}

# (licence, policy) -> (verdict, {rule: worst outcome} for every rule that did not pass)
EXPECTED: dict[tuple[str, str], tuple[str, dict[str, str]]] = {
    ("llama3.1.txt", "eu-saas-startup"): (
        W,
        {**EU_AUDIT, "intended_use.sectors": W, "intended_use.derivative_name": W, "license.attribution": W},
    ),
    ("llama3.1.txt", "government-agency"): (
        F,
        {**GOV_NOT_PERMISSIVE, "intended_use.sectors": W, "license.attribution": W},
    ),
    ("llama3.1.txt", "research-lab"): (
        F,
        {"intended_use.sectors": W, "intended_use.derivative_name": F, "license.attribution": W},
    ),
    ("tongyi-qianwen.txt", "eu-saas-startup"): (W, EU_AUDIT),
    ("tongyi-qianwen.txt", "government-agency"): (F, GOV_CN),
    ("tongyi-qianwen.txt", "research-lab"): (F, {"intended_use.outputs_train_other_models": F}),
    ("tongyi-qianwen-research.txt", "eu-saas-startup"): (F, {**EU_AUDIT, "intended_use.commercial": F}),
    ("tongyi-qianwen-research.txt", "government-agency"): (F, GOV_CN),
    ("tongyi-qianwen-research.txt", "research-lab"): (F, {"intended_use.outputs_train_other_models": F}),
    ("deepseek-model-v1.txt", "eu-saas-startup"): (
        W,
        {**EU_AUDIT, "intended_use.sectors": W, "intended_use.host_for_others": W},
    ),
    ("deepseek-model-v1.txt", "government-agency"): (
        F,
        {**GOV_CN, "intended_use.sectors": F, "intended_use.host_for_others": W},
    ),
    ("deepseek-model-v1.txt", "research-lab"): (
        W,
        {"intended_use.outputs_train_other_models": W, "intended_use.sectors": W},
    ),
    ("gpt-oss-apache-2.0.txt", "eu-saas-startup"): (W, EU_AUDIT),
    ("gpt-oss-apache-2.0.txt", "government-agency"): (F, GOV_ALWAYS),
    ("gpt-oss-apache-2.0.txt", "research-lab"): ("pass", {}),
    ("kimi-k2-modified-mit.txt", "eu-saas-startup"): (W, EU_AUDIT),
    ("kimi-k2-modified-mit.txt", "government-agency"): (F, GOV_CN),
    ("kimi-k2-modified-mit.txt", "research-lab"): ("pass", {}),
    ("tencent-hunyuan-community.txt", "eu-saas-startup"): (
        F,
        {**EU_AUDIT, "intended_use.regions": F, "intended_use.sectors": W},
    ),
    ("tencent-hunyuan-community.txt", "government-agency"): (
        F,
        {**GOV_CN, "intended_use.regions": F, "intended_use.sectors": F},
    ),
    ("tencent-hunyuan-community.txt", "research-lab"): (
        F,
        {"intended_use.outputs_train_other_models": F, "intended_use.regions": F, "intended_use.sectors": W},
    ),
}


@cache
def _policy(name: str) -> Policy:
    return load_policy(POLICIES / f"{name}.yaml")


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Report]:
    root = tmp_path_factory.mktemp("models")
    return {lic: inspect(str(model_folder(root, lic, tag, base))) for lic, (tag, base) in MODELS.items()}


def _not_passed(verdict: PolicyVerdict) -> dict[str, str]:
    return {rule: o.value for rule, o in verdict.outcomes().items() if o is not Outcome.PASS}


@pytest.mark.parametrize(
    ("license_file", "policy"), list(EXPECTED), ids=[f"{p}-{lic}" for lic, p in EXPECTED]
)
def test_verdict_and_reasons(reports: dict[str, Report], license_file: str, policy: str) -> None:
    verdict = evaluate(_policy(policy), reports[license_file])
    expected_verdict, expected_reasons = EXPECTED[(license_file, policy)]
    assert (verdict.verdict.value, _not_passed(verdict)) == (expected_verdict, expected_reasons)
    doc = verdict.to_dict()
    assert doc["verdict"] == expected_verdict and doc["name"] == policy
    assert doc["counts"]["fail"] == sum(1 for r in verdict.reasons if r.outcome is Outcome.FAIL)


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


LICENSE_RULES = ("intended_use.", "license.attribution", "rules.osi_only", "rules.allowed_license_families")


@pytest.mark.parametrize("license_file", list(MODELS))
def test_licence_reasons_quote_the_licence_file(reports: dict[str, Report], license_file: str) -> None:
    """Every licence reason that warns or fails points at the sentence that decided it: LICENSE, its line,
    and a quote found around that line (a long sentence's line is the one that decides, not its first)."""
    report = reports[license_file]
    lines = Path(report.target.path, "LICENSE").read_text(encoding="utf-8").splitlines()
    checked = 0
    for name in ("eu-saas-startup", "government-agency", "research-lab"):
        for reason in evaluate(_policy(name), report).reasons:
            if reason.outcome is Outcome.PASS or not reason.rule.startswith(LICENSE_RULES):
                continue
            quoted = [e for e in reason.evidence if e.source == "license" and e.file == "LICENSE"]
            assert quoted, f"{name}: {reason.rule} has no licence quote"
            for e in quoted:
                assert e.line is not None and e.quote
                window = _words(" ".join(lines[max(e.line - 10, 0) : e.line + 12]))
                assert _words(e.quote)[:60] in window, (reason.rule, e)
            checked += 1
    assert checked > 0


def test_examples_of_messages(reports: dict[str, Report]) -> None:
    """The messages say what to do, with the licence's own words."""
    llama = evaluate(_policy("research-lab"), reports["llama3.1.txt"])
    naming = next(r for r in llama.reasons if r.rule == "intended_use.derivative_name")
    assert naming.message == "the derivative name 'lab-distill-1b' must start with 'Llama'"
    attribution = next(r for r in llama.reasons if r.rule == "license.attribution")
    assert "'Built with Llama'" in attribution.message
    hunyuan = evaluate(_policy("research-lab"), reports["tencent-hunyuan-community.txt"])
    regions = next(r for r in hunyuan.reasons if r.rule == "intended_use.regions")
    assert regions.message.endswith("DE (excluded: EU), GB (excluded: UK)")
    qwen = evaluate(_policy("government-agency"), reports["tongyi-qianwen.txt"])
    denied = next(r for r in qwen.reasons if r.rule == "rules.denied_jurisdictions")
    assert denied.message == "the ancestor Qwen/Qwen-7B is in CN, a denied jurisdiction"
    assert any(e.file == "README.md" and e.key == "base_model" for e in denied.evidence)
