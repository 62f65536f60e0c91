"""The CLI end to end: exit codes, one-line errors, every output format, the JSON schema others rely on."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "make_examples.py"


def wb(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "weighbridge", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("examples")
    subprocess.run([sys.executable, str(EXAMPLES), str(dest)], check=True, capture_output=True)
    return dest


def test_clean_example_passes(examples: Path) -> None:
    result = wb("inspect", str(examples / "tiny-chat-model"))
    assert result.returncode == 0, result.stderr
    assert "verdict: PASS" in result.stderr
    assert "model.safetensors" in result.stdout


def test_tampered_example_fails_with_evidence(examples: Path) -> None:
    result = wb("scan", str(examples / "tampered-checkpoint"), "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    bad = [f for f in report["findings"] if f["severity"] == "critical"]
    assert bad and bad[0]["path"] == "training_state.bin"
    assert bad[0]["location"]["opcode"] == "STACK_GLOBAL"
    assert "exec" in bad[0]["evidence"]


def test_json_schema_keys(examples: Path) -> None:
    result = wb("scan", str(examples / "tiny-chat-model"), "-f", "json")
    report = json.loads(result.stdout)
    assert report["schema"] == "weighbridge.report/1"
    assert set(report) >= {"schema", "tool", "target", "summary", "files", "findings"}
    assert report["tool"]["name"] == "weighbridge"
    assert set(report["target"]) == {"input", "kind", "path", "revision"}
    assert report["target"]["kind"] == "folder"
    summary = report["summary"]
    assert set(summary) == {"max_severity", "files", "bytes", "findings"}
    assert set(summary["findings"]) == {"critical", "high", "medium", "low", "info"}
    assert summary["files"] == len(report["files"]) == 6
    for record in report["files"]:
        assert set(record) >= {"path", "size", "sha256", "format", "findings"}
        assert len(record["sha256"]) == 64
    for finding in report["findings"]:
        assert set(finding) == {
            "rule",
            "check",
            "severity",
            "title",
            "detail",
            "path",
            "location",
            "evidence",
        }
    formats = {r["path"]: r["format"] for r in report["files"]}
    assert formats["model.safetensors"] == "safetensors"
    assert formats["training_state.bin"] == "pickle"


def test_sarif_output(examples: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.sarif"
    result = wb("scan", str(examples / "tampered-checkpoint"), "-f", "sarif", "-o", str(out))
    assert result.returncode == 1
    doc = json.loads(out.read_text())
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    results = run["results"]
    assert results and all(r["ruleId"] in rule_ids for r in results)
    assert all(rule_ids[r["ruleIndex"]] == r["ruleId"] for r in results)
    top = results[0]
    assert top["level"] == "error"
    assert top["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "training_state.bin"


def test_markdown_output(examples: Path) -> None:
    result = wb("scan", str(examples / "tampered-checkpoint"), "-f", "markdown")
    assert result.returncode == 1
    assert result.stdout.startswith("# Weighbridge scan")
    assert "| critical | WB-PKL-001 |" in result.stdout


def test_fail_on_threshold(tmp_path: Path) -> None:
    sample = tmp_path / "model.pkl"
    sample.write_bytes(b"\x80\x04\x8c\x07sklearn\x8c\x03Foo\x93)\x81.")
    assert wb("scan", str(sample)).returncode == 0  # unknown global: medium < high
    assert wb("scan", str(sample), "--fail-on", "medium").returncode == 1


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["scan", "/nonexistent/model"], "no such file or folder"),
        (["scan", "hf:nobody/nothing-here"], "not in the local Hugging Face cache"),
        (["scan", "s3://bucket/model"], "unknown target type"),
        (["scan", ".", "--fail-on", "severe"], "unknown severity"),
        (["scan", ".", "--format", "xml"], "xml"),
        (["frobnicate"], "frobnicate"),
        (["scan", ".", "--workers", "0"], "--workers"),
        (["registry", "approve", "x"], "--reason"),
    ],
)
def test_input_errors_are_one_line_exit_2(args: list[str], needle: str, tmp_path: Path) -> None:
    env_home = tmp_path / "hf"
    os.environ.setdefault("HF_HUB_CACHE", str(env_home))
    result = wb(*args, cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert needle in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert result.stderr.startswith("weighbridge: error: ")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read files without permission bits")
def test_unreadable_file_is_exit_2(tmp_path: Path) -> None:
    sample = tmp_path / "secret.pkl"
    sample.write_bytes(pickle.dumps([1, 2]))
    sample.chmod(0)
    result = wb("scan", str(sample))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_rules_lists_every_rule_once() -> None:
    result = wb("rules")
    assert result.returncode == 0
    ids = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    assert len(ids) == len(set(ids)) > 30
    assert "WB-PKL-001" in ids and "WB-INT-001" in ids


def test_version() -> None:
    result = wb("version")
    assert result.returncode == 0 and result.stdout.startswith("weighbridge ")


def test_empty_folder_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = wb("scan", str(tmp_path / "empty"))
    assert result.returncode == 2
    assert "nothing to scan" in result.stderr


def test_nesting_beyond_the_limit_is_high(tmp_path: Path) -> None:
    import io
    import zipfile

    data = b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00idq\x00\x85R."
    for i in range(12):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr(f"inner{i}", data)
        data = buf.getvalue()
    (tmp_path / "nested.zip").write_bytes(data)
    result = wb("scan", str(tmp_path / "nested.zip"), "-f", "json")
    assert result.returncode == 1
    assert "WB-SCAN-001" in {f["rule"] for f in json.loads(result.stdout)["findings"]}


def test_inspect_adds_licence_provenance_and_openness(examples: Path) -> None:
    result = wb("inspect", str(examples / "tiny-chat-model"), "-f", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["license"]["id"] == "apache-2.0"
    assert report["license"]["evidence"][0]["file"] == "README.md"
    assert "publisher" in report["provenance"]
    assert report["openness"]["osaid"]["verdict"] in ("open-weights", "open-source-ai")
    assert "license" not in json.loads(wb("scan", str(examples / "tiny-chat-model"), "-f", "json").stdout)


def test_license_command_json(tmp_path: Path) -> None:
    text = tmp_path / "LICENSE"
    text.write_text(
        "Example Model Licence\n\n1. You may use, copy and modify the model for any purpose.\n"
        "2. If your products had more than 50 million monthly active users in the preceding calendar month, "
        "you must request a licence from us, which we may grant in our sole discretion.\n"
        "3. You may not use the model or its outputs to improve any other large language model.\n"
    )
    result = wb("license", str(text), "-f", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["schema"] == "weighbridge.license/1"
    terms = doc["license"]["terms"]
    assert terms["user_cap"] == 50_000_000
    assert terms["commercial_use"] == "conditional"
    assert terms["outputs_train_other_models"] == "prohibited"
    assert any(e["term"] == "user_cap" and e["line"] == 4 for e in doc["license"]["evidence"])


def test_license_command_missing_file_is_exit_2(tmp_path: Path) -> None:
    result = wb("license", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_inspect_with_policy_decides_and_explains(examples: Path) -> None:
    policies = ROOT / "examples" / "policies"
    ok = wb(
        "inspect",
        str(examples / "tiny-chat-model"),
        "--policy",
        str(policies / "research-lab.yaml"),
        "-f",
        "json",
    )
    assert ok.returncode == 0, ok.stderr
    verdict = json.loads(ok.stdout)["policy"]
    assert verdict["name"] and verdict["verdict"] in ("pass", "warn")
    bad = wb(
        "inspect",
        str(examples / "tampered-checkpoint"),
        "--policy",
        str(policies / "eu-saas-startup.yaml"),
        "-f",
        "json",
    )
    assert bad.returncode == 1
    reasons = json.loads(bad.stdout)["policy"]["reasons"]
    assert any(r["rule"] == "rules.max_scan_severity" and r["outcome"] == "fail" for r in reasons)


def test_invalid_policy_is_exit_2(examples: Path, tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("rules:\n  max_scan_severity: severe\n")
    result = wb("inspect", str(examples / "tiny-chat-model"), "--policy", str(policy))
    assert result.returncode == 2
    assert "max_scan_severity" in result.stderr and "Traceback" not in result.stderr


def test_sbom_is_valid_cyclonedx(examples: Path, tmp_path: Path) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    out = tmp_path / "bom.json"
    result = wb("sbom", str(examples / "tiny-chat-model"), "-o", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    doc = json.loads(text)
    assert doc["metadata"]["component"]["type"] == "machine-learning-model"
    assert len(doc["metadata"]["component"]["components"]) == 6


def test_inspect_checks_an_audit_run_against_the_policy(examples: Path, tmp_path: Path) -> None:
    from audit_stats.synthetic import synthetic_run
    from weighbridge.audit.runfile import dump_run

    policy = tmp_path / "audited.yaml"
    policy.write_text(
        "name: audited\naudit:\n  require_audit: true\n"
        "  max_asymmetry:\n    - {country: CN, language: en, points: 20}\n"
    )
    censored, fair = tmp_path / "censored.json", tmp_path / "fair.json"
    dump_run(synthetic_run(refuse_china=True), censored)
    dump_run(synthetic_run(refuse_china=False), fair)
    model = str(examples / "tiny-chat-model")

    missing = wb("inspect", model, "--policy", str(policy), "-f", "json")
    reasons = {r["rule"]: r["outcome"] for r in json.loads(missing.stdout)["policy"]["reasons"]}
    assert missing.returncode == 1 and reasons["audit.require_audit"] == "fail"

    bad = wb("inspect", model, "--policy", str(policy), "--audit", str(censored), "-f", "json")
    reasons = {r["rule"]: r["outcome"] for r in json.loads(bad.stdout)["policy"]["reasons"]}
    assert bad.returncode == 1, bad.stderr
    assert reasons["audit.require_audit"] == "pass"
    assert [o for rule, o in reasons.items() if rule.startswith("audit.max_asymmetry")] == ["fail"]

    good = wb("inspect", model, "--policy", str(policy), "--audit", str(fair), "-f", "json")
    reasons = {r["rule"]: r["outcome"] for r in json.loads(good.stdout)["policy"]["reasons"]}
    assert [o for rule, o in reasons.items() if rule.startswith("audit.max_asymmetry")] != ["fail"]

    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    err = wb("inspect", model, "--policy", str(policy), "--audit", str(broken))
    assert err.returncode == 2 and "broken.json" in err.stderr and "Traceback" not in err.stderr
