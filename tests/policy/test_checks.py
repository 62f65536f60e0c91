"""Single checks with small hand-made policies: caps, regions, remote code, scan severity, screening, no
licence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.policy.helpers import model_folder

from weighbridge import inspect
from weighbridge.core.policy import Outcome, PolicyVerdict
from weighbridge.policy import evaluate, parse_policy

REMOTE_CONFIG: dict[str, object] = {
    "model_type": "custom",
    "auto_map": {"AutoModelForCausalLM": "modeling_custom.CustomModel"},
}


def _verdict(folder: Path, policy: dict[str, Any], screening_csv: Path | None = None) -> PolicyVerdict:
    return evaluate(parse_policy(policy), inspect(str(folder), screening_csv=screening_csv))


def _outcome(verdict: PolicyVerdict, rule: str) -> str | None:
    found = verdict.outcomes().get(rule)
    return found.value if found is not None else None


CAPS = [
    (
        "llama3.1.txt",
        "llama3.1",
        {"monthly_active_users": 800_000_000},
        "intended_use.monthly_active_users",
        "fail",
    ),
    (
        "llama3.1.txt",
        "llama3.1",
        {"monthly_active_users": 5_000},
        "intended_use.monthly_active_users",
        "pass",
    ),
    ("llama3.1.txt", "llama3.1", {}, "intended_use.monthly_active_users", "warn"),
    (
        "kimi-k2-modified-mit.txt",
        "other",
        {"monthly_active_users": 150_000_000},
        "intended_use.monthly_active_users",
        "warn",
    ),
    (
        "kimi-k2-modified-mit.txt",
        "other",
        {"annual_revenue_usd": 600_000_000},
        "intended_use.annual_revenue_usd",
        "warn",
    ),
    (
        "kimi-k2-modified-mit.txt",
        "other",
        {"annual_revenue_usd": 60_000_000},
        "intended_use.annual_revenue_usd",
        "pass",
    ),
    ("tencent-hunyuan-community.txt", "other", {"regions": ["IE"]}, "intended_use.regions", "fail"),
    ("tencent-hunyuan-community.txt", "other", {"regions": ["CH", "JP"]}, "intended_use.regions", "pass"),
    ("tencent-hunyuan-community.txt", "other", {"sectors": ["healthcare"]}, "intended_use.sectors", "fail"),
]


@pytest.mark.parametrize(("license_file", "tag", "use", "rule", "outcome"), CAPS)
def test_licence_term_against_intended_use(
    tmp_path: Path, license_file: str, tag: str, use: dict[str, Any], rule: str, outcome: str
) -> None:
    folder = model_folder(tmp_path, license_file, tag, None)
    verdict = _verdict(folder, {"intended_use": {"commercial": True, **use}})
    assert _outcome(verdict, rule) == outcome
    reason = next(r for r in verdict.reasons if r.rule == rule)
    assert any(e.source == "license" and e.file == "LICENSE" for e in reason.evidence)


def test_kimi_display_duty_named_above_the_cap(tmp_path: Path) -> None:
    folder = model_folder(tmp_path, "kimi-k2-modified-mit.txt", "other", None)
    verdict = _verdict(folder, {"intended_use": {"commercial": True, "monthly_active_users": 150_000_000}})
    reason = next(r for r in verdict.reasons if r.rule == "intended_use.monthly_active_users")
    assert "'Kimi K2'" in reason.message and "license.attribution" not in verdict.outcomes()


@pytest.mark.parametrize(("setting", "outcome"), [("forbid", "fail"), ("warn", "warn"), ("allow", None)])
def test_remote_code(tmp_path: Path, setting: str, outcome: str | None) -> None:
    folder = model_folder(tmp_path, "gpt-oss-apache-2.0.txt", "apache-2.0", None, REMOTE_CONFIG)
    (folder / "modeling_custom.py").write_text("class CustomModel:\n    pass\n", encoding="utf-8")
    verdict = _verdict(folder, {"rules": {"remote_code": setting}})
    assert _outcome(verdict, "rules.remote_code") == outcome
    if outcome is not None:
        reason = next(r for r in verdict.reasons if r.rule == "rules.remote_code")
        assert [(e.rule, e.file, e.key) for e in reason.evidence] == [
            ("WB-REPO-001", "config.json", "auto_map")
        ]


@pytest.mark.parametrize(("setting", "outcome"), [("forbid", "fail"), ("warn", "warn"), ("allow", None)])
def test_a_llamafile_runtime_is_code_shipped_with_the_model(
    tmp_path: Path, setting: str, outcome: str | None
) -> None:
    from tests.corpus import shapes as S

    folder = tmp_path / "llamafile"
    folder.mkdir()
    (folder / "SmolLM2.Q4_1.llamafile").write_bytes(S.llamafile(S.small_gguf()))
    verdict = _verdict(folder, {"rules": {"remote_code": setting, "max_scan_severity": "medium"}})
    assert _outcome(verdict, "rules.remote_code") == outcome
    assert _outcome(verdict, "rules.max_scan_severity") == "pass"  # the runtime is a medium finding
    if outcome is not None:
        reason = next(r for r in verdict.reasons if r.rule == "rules.remote_code")
        assert [(e.rule, e.file) for e in reason.evidence] == [("WB-EXE-003", "SmolLM2.Q4_1.llamafile")]


@pytest.mark.parametrize(("limit", "outcome"), [("medium", "fail"), ("high", "pass")])
def test_max_scan_severity(tmp_path: Path, limit: str, outcome: str) -> None:
    folder = model_folder(tmp_path, "gpt-oss-apache-2.0.txt", "apache-2.0", None, REMOTE_CONFIG)
    verdict = _verdict(folder, {"rules": {"remote_code": "allow", "max_scan_severity": limit}})
    assert _outcome(verdict, "rules.max_scan_severity") == outcome
    assert verdict.verdict.value == outcome


@pytest.mark.parametrize(
    ("rules", "outcome"),
    [({}, "warn"), ({"osi_only": True}, "fail"), ({"allowed_license_families": ["mit"]}, "fail")],
)
def test_no_licence(tmp_path: Path, rules: dict[str, Any], outcome: str) -> None:
    folder = model_folder(tmp_path, None, "other", None)
    verdict = _verdict(folder, {"rules": rules})
    assert (_outcome(verdict, "license.identified"), verdict.verdict.value) == (outcome, outcome)


@pytest.mark.parametrize(
    ("rules", "rule", "outcome"),
    [
        ({"allowed_jurisdictions": ["US", "EU"]}, "rules.allowed_jurisdictions", "pass"),
        ({"allowed_jurisdictions": ["EU"]}, "rules.allowed_jurisdictions", "fail"),
        ({"denied_jurisdictions": ["US"]}, "rules.denied_jurisdictions", "fail"),
    ],
)
def test_ancestor_jurisdiction(tmp_path: Path, rules: dict[str, Any], rule: str, outcome: str) -> None:
    folder = model_folder(tmp_path, "llama3.1.txt", "llama3.1", "meta-llama/Llama-3.1-8B")
    assert _outcome(_verdict(folder, {"rules": rules}), rule) == outcome


@pytest.mark.parametrize(("setting", "outcome"), [("fail", "fail"), ("warn", "warn")])
def test_screening_hits(tmp_path: Path, setting: str, outcome: str) -> None:
    folder = model_folder(tmp_path, "llama3.1.txt", "llama3.1", "meta-llama/Llama-3.1-8B")
    listed = tmp_path / "list.csv"
    listed.write_text("name,alt_names\nMeta Platforms,meta-llama\n", encoding="utf-8")
    verdict = _verdict(folder, {"rules": {"screening_hits": setting}}, screening_csv=listed)
    assert _outcome(verdict, "rules.screening_hits") == outcome
    reason = next(r for r in verdict.reasons if r.rule == "rules.screening_hits")
    assert reason.evidence[0].file is not None and reason.evidence[0].line == 2
    assert verdict.to_dict()["reasons"][-1]["outcome"] in (Outcome.FAIL.value, Outcome.WARN.value)
