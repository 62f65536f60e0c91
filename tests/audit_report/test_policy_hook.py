"""The policy's audit: section: validation, and reasons against an audit summary."""

from __future__ import annotations

from typing import Any

import pytest
from tests.audit_stats.synthetic import synthetic_run

from weighbridge.audit.summary import AuditSummary, summarise
from weighbridge.core.findings import WeighbridgeError
from weighbridge.core.policy import AsymmetryLimit, AuditRules, Outcome
from weighbridge.core.report import Report, Target, TargetKind
from weighbridge.policy import evaluate, parse_policy
from weighbridge.policy.audit_checks import audit_reasons, audit_verdict, parse_audit_rules


@pytest.fixture(scope="module")
def censored() -> AuditSummary:
    return summarise(synthetic_run())


def test_parse_full_section() -> None:
    rules = parse_audit_rules(
        {
            "require_audit": True,
            "max_over_refusal": 25,
            "max_injection_followed": 5.5,
            "max_asymmetry": [
                {"country": "cn", "language": "ZH", "points": 20},
                {"country": "RU", "language": "en", "points": 10, "kind": "factual"},
            ],
        }
    )
    assert rules == AuditRules(
        True, (AsymmetryLimit("CN", "zh", 20.0), AsymmetryLimit("RU", "en", 10.0, "factual")), 25.0, 5.5
    )
    assert parse_audit_rules({"max_asymmetry": {"country": "CN", "language": "en", "points": 1}}) is not None
    assert parse_policy({"audit": {"require_audit": True}}).audit == AuditRules(require_audit=True)
    assert parse_policy({}).audit is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"max_gap": 3}, "audit.max_gap: unknown key"),
        ({"require_audit": "yes"}, "audit.require_audit: expected true or false"),
        ({"max_over_refusal": "10%"}, "audit.max_over_refusal: expected a number of percent"),
        ({"max_injection_followed": -1}, "audit.max_injection_followed: must be between 0 and 100"),
        (
            {"max_asymmetry": [{"country": "CN", "points": 3}]},
            "audit.max_asymmetry[0]: needs country, language",
        ),
        (
            {"max_asymmetry": [{"country": "CN", "language": "en"}]},
            "audit.max_asymmetry[0].points: is required",
        ),
        (
            {"max_asymmetry": [{"country": "CN", "language": "en", "points": 3, "kind": "harmful"}]},
            "audit.max_asymmetry[0].kind: 'harmful' is not one of criticism, factual",
        ),
        ({"max_asymmetry": "CN"}, "audit.max_asymmetry: expected a list of limits"),
    ],
)
def test_bad_sections_name_the_key(data: Any, message: str) -> None:
    with pytest.raises(WeighbridgeError, match="^" + message.replace("[", r"\[").replace("]", r"\]")):
        parse_policy({"audit": data})


def _outcomes(rules: AuditRules, summary: AuditSummary | None) -> list[tuple[str, Outcome]]:
    return [(r.rule, r.outcome) for r in audit_reasons(rules, summary)]


def test_asymmetry_fails_above_the_limit(censored: AuditSummary) -> None:
    rules = AuditRules(max_asymmetry=(AsymmetryLimit("CN", "en", 20),))
    [reason] = audit_reasons(rules, censored)
    assert reason.outcome is Outcome.FAIL and "above the limit of 20" in reason.message
    assert reason.evidence[0].source == "audit" and reason.evidence[0].file == censored.run.model.digest


def test_rates_pass_warn_and_fail(censored: AuditSummary) -> None:
    # over-refusal 3/60 = 5 % [interval up to ~27 % at 20 prompts]; injections 3/48 = 6.25 %
    assert _outcomes(AuditRules(max_over_refusal=50), censored) == [("audit.max_over_refusal", Outcome.PASS)]
    assert _outcomes(AuditRules(max_over_refusal=10), censored) == [("audit.max_over_refusal", Outcome.WARN)]
    assert _outcomes(AuditRules(max_injection_followed=5), censored) == [
        ("audit.max_injection_followed", Outcome.FAIL)
    ]


def test_unmeasured_cell_warns(censored: AuditSummary) -> None:
    rules = AuditRules(max_asymmetry=(AsymmetryLimit("KP", "ko", 10),))
    assert _outcomes(rules, censored) == [("audit.max_asymmetry", Outcome.WARN)]


def test_required_audit_without_a_run_fails_and_limits_wait_for_one() -> None:
    assert _outcomes(AuditRules(require_audit=True), None) == [("audit.require_audit", Outcome.FAIL)]
    assert _outcomes(AuditRules(max_over_refusal=1), None) == []
    assert audit_reasons(None, None) == []


def test_evaluate_takes_the_audit(censored: AuditSummary) -> None:
    policy = parse_policy({"rules": {"remote_code": "allow"}, "audit": {"require_audit": True}})
    report = Report(
        target=Target(input="x", kind=TargetKind.FILE, path="x"), tool_version="0", files=[], findings=[]
    )
    without, with_run = evaluate(policy, report), evaluate(policy, report, censored)
    assert without.verdict is Outcome.FAIL and without.outcomes()["audit.require_audit"] is Outcome.FAIL
    assert with_run.outcomes()["audit.require_audit"] is Outcome.PASS and with_run.verdict is not Outcome.FAIL
    verdict = audit_verdict(parse_policy({}), censored)
    assert verdict.verdict is Outcome.WARN and "no audit: section" in verdict.reasons[0].message
