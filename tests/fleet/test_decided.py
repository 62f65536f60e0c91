"""A fleet scan over models the registry already decided (issue 15 item 6): each keeps its name, its policy and
its decision, its findings are recorded once, and the scan exits 1 when a target has a finding at --fail-on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select
from tests.fleet.mirror import EVIL_PICKLE
from tests.provenance.folders import card, folder
from tests.registry.reports import LENIENT, STRICT

from weighbridge.core.findings import Check, Finding, Severity
from weighbridge.fleet import fleet_summary
from weighbridge.registry import open_registry
from weighbridge.registry.db import read_session
from weighbridge.registry.models import FindingRow, ReportRow, Version
from weighbridge.scanning.inspection import inspect

SAFETENSORS = b"\x08\x00\x00\x00\x00\x00\x00\x00{}      "


def wb(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "weighbridge", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ, COLUMNS="200"),
        timeout=300,
    )


def _counts(url: str, version_id: int) -> tuple[int, int]:
    with open_registry(url) as reg, read_session(reg.engine) as session:
        reports = session.execute(
            select(func.count()).select_from(ReportRow).where(ReportRow.version_id == version_id)
        ).scalar_one()
        findings = session.execute(
            select(func.count())
            .select_from(FindingRow)
            .join(ReportRow, ReportRow.id == FindingRow.report_id)
            .where(ReportRow.version_id == version_id)
        ).scalar_one()
        versions = session.execute(select(func.count()).select_from(Version)).scalar_one()
    return reports, findings + 1000 * versions


def test_fleet_scan_keeps_decisions_and_fails_on_a_planted_critical(tmp_path: Path) -> None:
    root = tmp_path / "mirror"
    good = folder(
        root / "acme" / "good",
        {
            "README.md": card(
                "license: apache-2.0\n", "# tiny-bert\n\n`SentenceTransformer('acme-research/tiny-bert')`\n"
            ),
            "config.json": '{"model_type": "bert"}',
            "model.safetensors": SAFETENSORS,
            "tokenizer.py": "import os\n",
        },
    )
    folder(
        root / "acme" / "evil", {"config.json": '{"model_type": "bert"}', "pytorch_model.bin": EVIL_PICKLE}
    )
    lenient, strict = tmp_path / "lenient.yaml", tmp_path / "strict.yaml"
    lenient.write_text(LENIENT.replace("max_scan_severity: critical", "max_scan_severity: medium"))
    strict.write_text(STRICT)
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    with open_registry(url) as reg:
        admitted, decision = reg.admit(str(good), policy_path=lenient, actor="alice")
    assert admitted.model == "acme-research/tiny-bert" and decision.decision.value == "admitted"
    before = _counts(url, admitted.id)
    assert before[0] == 1 and before[1] % 1000 >= 1  # the admit report and its finding(s)

    # a policy of its own for the fleet run: decided models still keep the policy they were decided under
    scan = wb("fleet", "scan", str(root), "--db", url, "--workers", "1", "--policy", str(strict), "--json")
    assert scan.returncode == 1, scan.stderr  # the planted os.system pickle is critical
    targets = {Path(t["spec"]).name: t for t in json.loads(scan.stdout)["targets"]}
    assert targets["good"]["model"] == "acme-research/tiny-bert"
    assert (targets["good"]["decision"], targets["good"]["verdict"]) == ("admitted", "pass")
    assert targets["evil"]["max_severity"] == "critical" and targets["evil"]["decision"] == "needs-review"

    with open_registry(url) as reg:
        version = reg.get_version("acme-research/tiny-bert")
        assert version.id == admitted.id and version.decision.value == "admitted"
        assert version.extra["verdict"] == "pass"  # not "no policy"
        assert [h.action.value for h in reg.history("acme-research/tiny-bert")] == ["admit"]
        assert "good" not in {row.model for row in reg.list_versions()}
        newest = fleet_summary(reg, newest=100).newest_findings
        keys = [(f.model, f.version, f.rule, f.path) for f in newest]
        assert len(keys) == len(set(keys))  # every finding once
    assert _counts(url, admitted.id)[0] == before[0]  # nothing new learned: no second report, no copies
    assert _counts(url, admitted.id)[1] % 1000 == before[1] % 1000

    again = wb("fleet", "scan", str(root), "--db", url, "--workers", "1", "--full")
    assert again.returncode == 1 and _counts(url, admitted.id)[0] == before[0]
    critical_only = wb("fleet", "scan", str(root), "--db", url, "--fail-on", "critical")
    assert critical_only.returncode == 1
    clean = wb("fleet", "scan", str(good), "--db", url, "--workers", "1")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    bad = wb("fleet", "scan", str(good), "--db", url, "--fail-on", "severe")
    assert bad.returncode == 2 and bad.stderr.startswith("weighbridge: error: unknown severity")


def test_new_findings_on_decided_bytes_are_re_decided_under_the_stored_policy(tmp_path: Path) -> None:
    """When the same bytes yield new findings (new rules), the report is recorded once and the decision follows
    the verdict of the policy it was decided under, as `registry reevaluate` would; a person's rejection holds."""
    model = folder(
        tmp_path / "m",
        {
            "README.md": card("license: apache-2.0\n", "# m\n"),
            "config.json": "{}",
            "model.safetensors": SAFETENSORS,
        },
    )
    policy = tmp_path / "p.yaml"
    policy.write_text(LENIENT.replace("max_scan_severity: critical", "max_scan_severity: medium"))
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    with open_registry(url) as reg:
        version, _ = reg.admit(str(model), policy_path=policy, actor="alice")
        report = inspect(str(model))  # no policy, as a fleet scan without --policy makes it
        assert reg.record_scan(report, source="fleet", name="elsewhere").id == version.id
        assert report.policy is not None and report.policy.verdict.value == "pass"
        assert [h.action.value for h in reg.history(version.model)] == ["admit"]
        worse = inspect(str(model))
        worse.findings.append(
            Finding(
                rule="WB-TEST-001",
                check=Check.ARTIFACT,
                severity=Severity.CRITICAL,
                title="new rule",
                detail="found by newer rules",
                path="model.safetensors",
            )
        )
        recorded = reg.record_scan(worse, source="fleet", name="elsewhere")
        assert recorded.id == version.id and recorded.decision.value == "rejected"
        last = reg.history(version.model)[-1]
        assert (last.action.value, last.actor, last.policy) == ("reevaluate", "fleet", "lenient")
        assert last.reason.startswith("fleet scan: policy lenient: fail")
        assert reg.record_scan(worse, source="fleet", name=None).decision.value == "rejected"
        assert len(reg.history(version.model)) == 2  # the same findings again: nothing new recorded


def test_newest_findings_list_a_version_s_findings_once(tmp_path: Path) -> None:
    import dataclasses

    from tests.registry.tiny import tiny_report

    report = tiny_report("m", {"model.bin": b"x"}, severities=(Severity.CRITICAL, Severity.MEDIUM))
    moved = dataclasses.replace(report, target=dataclasses.replace(report.target, input="/elsewhere/m"))
    with open_registry(f"sqlite:///{tmp_path / 'registry.db'}") as reg:
        reg.record_report(report, name="m")
        reg.record_report(moved, name="m")  # the same findings in a second report of the same version
        assert reg.counts()["reports"] == 2
        newest = fleet_summary(reg).newest_findings
    assert sorted(f.rule for f in newest) == ["WB-TEST-000", "WB-TEST-001"]
