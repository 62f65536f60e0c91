"""Policy YAML validation: every mistake is one line that names the key path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.policy.helpers import POLICIES

from weighbridge.core.findings import Severity, WeighbridgeError
from weighbridge.policy import load_policy, parse_policy

SEVERITIES = "critical, high, medium, low, info"
USE_KEYS = (
    "commercial, monthly_active_users, annual_revenue_usd, regions, sectors, redistribute_weights, "
    "host_for_others, outputs_train_other_models, fine_tuning, derivative_name"
)

ERRORS: list[tuple[Any, str]] = [
    (
        {"rules": {"max_scan_severity": "severe"}},
        f"rules.max_scan_severity: 'severe' is not one of {SEVERITIES}",
    ),
    ({"rules": {"remote_code": "block"}}, "rules.remote_code: 'block' is not one of forbid, warn, allow"),
    ({"rules": {"screening_hits": True}}, "rules.screening_hits: true is not one of fail, warn"),
    (
        {"rules": {"required_osaid": "open-weights"}},
        "rules.required_osaid: 'open-weights' is not one of open-source-ai",
    ),
    (
        {"rules": {"required_openness_class": 4}},
        "rules.required_openness_class: 4 is not one of 1, 2, 3, null",
    ),
    (
        {"rules": {"required_openness_class": True}},
        "rules.required_openness_class: true is not one of 1, 2, 3, null",
    ),
    ({"rules": {"osi_only": "yes please"}}, "rules.osi_only: expected true or false, got 'yes please'"),
    (
        {"rules": {"allowed_license_families": "apache"}},
        "rules.allowed_license_families: expected a list of strings, got 'apache'",
    ),
    (
        {"rules": {"denied_license_families": ["cc", 3]}},
        "rules.denied_license_families[1]: expected a non-empty string, got 3",
    ),
    (
        {"rules": {"denied_jurisdictions": ["China"]}},
        "rules.denied_jurisdictions[0]: 'China' is not an ISO 3166-1 alpha-2 code, EU or EEA",
    ),
    (
        {"rules": {"colour": "red"}},
        "rules.colour: unknown key (expected one of: allowed_license_families, "
        "denied_license_families, osi_only, required_openness_class, required_osaid, allowed_jurisdictions, "
        "denied_jurisdictions, remote_code, max_scan_severity, required_audits, screening_hits)",
    ),
    ({"intended_use": {"commercial": "true"}}, "intended_use.commercial: expected true or false, got 'true'"),
    (
        {"intended_use": {"monthly_active_users": "2M"}},
        "intended_use.monthly_active_users: expected a whole number or null, got '2M'",
    ),
    (
        {"intended_use": {"monthly_active_users": True}},
        "intended_use.monthly_active_users: expected a whole number or null, got true",
    ),
    (
        {"intended_use": {"annual_revenue_usd": -5}},
        "intended_use.annual_revenue_usd: must not be negative, got -5",
    ),
    (
        {"intended_use": {"annual_revenue_usd": 1.5}},
        "intended_use.annual_revenue_usd: expected a whole number or null, got 1.5",
    ),
    (
        {"intended_use": {"regions": ["EU", "Europe"]}},
        "intended_use.regions[1]: 'Europe' is not an ISO 3166-1 alpha-2 code, EU or EEA",
    ),
    (
        {"intended_use": {"derivative_name": ""}},
        "intended_use.derivative_name: expected a non-empty string or null, got ''",
    ),
    ({"intended_use": {"users": 3}}, f"intended_use.users: unknown key (expected one of: {USE_KEYS})"),
    ({"intended_use": ["commercial"]}, "intended_use: expected a mapping, got a list"),
    ({"rule": {}}, "rule: unknown key (expected one of: name, description, intended_use, rules, audit)"),
    ({"name": 7}, "name: expected a non-empty string or null, got 7"),
    (["intended_use"], "policy: expected a mapping with intended_use and rules, got a list"),
]


@pytest.mark.parametrize(("data", "message"), ERRORS, ids=[m.split(":")[0] for _, m in ERRORS])
def test_invalid_policy_names_the_path(data: Any, message: str) -> None:
    with pytest.raises(WeighbridgeError) as caught:
        parse_policy(data)
    assert str(caught.value) == message


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  max_scan_severity: severe\n", encoding="utf-8")
    with pytest.raises(
        WeighbridgeError, match=r"^.*bad\.yaml: rules\.max_scan_severity: 'severe' is not one of "
    ):
        load_policy(bad)
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules: [unclosed\n", encoding="utf-8")
    with pytest.raises(WeighbridgeError, match=r"broken\.yaml: not valid YAML \(line \d+\): "):
        load_policy(broken)
    with pytest.raises(WeighbridgeError, match=r"missing\.yaml: cannot read policy"):
        load_policy(tmp_path / "missing.yaml")


def test_defaults_and_normalization() -> None:
    policy = parse_policy(
        {
            "intended_use": {"regions": ["eu", "uk", "de"]},
            "rules": {"allowed_license_families": ["Apache"], "max_scan_severity": "medium"},
        },
        default_name="mine",
    )
    assert policy.name == "mine"
    assert policy.intended_use.regions == ("EU", "GB", "DE")
    assert policy.intended_use.commercial is False and policy.intended_use.monthly_active_users is None
    assert policy.rules.allowed_license_families == ("apache",)
    assert policy.rules.max_scan_severity is Severity.MEDIUM
    assert policy.rules.remote_code == "warn" and policy.rules.screening_hits is None
    assert parse_policy({}).rules.allowed_license_families is None


@pytest.mark.parametrize("name", ["eu-saas-startup", "government-agency", "research-lab"])
def test_example_policies_load(name: str) -> None:
    policy = load_policy(POLICIES / f"{name}.yaml")
    assert policy.name == name
    assert policy.description
    doc = policy.to_dict()
    assert set(doc) - {"audit"} == {"name", "description", "file", "intended_use", "rules"}
    assert parse_policy({"intended_use": doc["intended_use"], "rules": doc["rules"]}).rules == policy.rules
