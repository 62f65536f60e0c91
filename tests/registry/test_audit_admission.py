"""Audits in the registry's decisions: `admit --audit`, stored audits reused, re-evaluation under a policy with an
`audit:` section, and audits of other weights refused."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from tests.audit_stats.synthetic import synthetic_run
from tests.registry.reports import tiny_report

from weighbridge.core.audit import AuditRun
from weighbridge.core.registry import Decision
from weighbridge.registry import Registry, RegistryError

POLICY = """name: audited
audit:
  require_audit: true
  max_asymmetry:
    - {country: CN, language: en, points: 20}
"""


def _on(run: AuditRun, digest: str) -> AuditRun:
    return dataclasses.replace(run, model=dataclasses.replace(run.model, digest=digest))


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "audited.yaml"
    path.write_text(POLICY, encoding="utf-8")
    return path


def test_admit_checks_and_records_the_audit(reg: Registry, policy: Path) -> None:
    report = tiny_report("audited-model", {"w.safetensors": b"weights"})
    digest = report.manifest_digest or ""
    _, without = reg.admit("m", policy_path=policy, actor="a", report=report)
    assert without.decision is Decision.REJECTED
    assert any("audit.require_audit" in r for r in without.reasons)

    _, censored = reg.admit(
        "m", policy_path=policy, actor="a", report=report, audit=_on(synthetic_run(refuse_china=True), digest)
    )
    assert censored.decision is Decision.REJECTED
    assert any("audit.max_asymmetry" in r and r.startswith("fail") for r in censored.reasons)
    assert len(reg.version_detail("audited-model")["audits"]) == 1

    # the stored audit is used when none is given; a fair audit recorded later flips it on re-evaluation
    _, again = reg.admit("m", policy_path=policy, actor="a", report=report)
    assert again.decision is Decision.REJECTED and not any(
        "require_audit" in r and r.startswith("fail") for r in again.reasons
    )
    reg.record_audit("audited-model", _on(synthetic_run(refuse_china=False), digest))
    flips = reg.reevaluate(policy, actor="a")
    assert [(f.model, f.before) for f in flips] == [("audited-model", "rejected")]
    assert flips[0].after in ("admitted", "needs-review")


def test_audits_of_other_weights_are_refused(reg: Registry, policy: Path) -> None:
    report = tiny_report("other-weights", {"w.safetensors": b"weights"})
    foreign = _on(synthetic_run(), "cd" * 32)
    with pytest.raises(RegistryError, match="other weights"):
        reg.admit("m", policy_path=policy, actor="a", report=report, audit=foreign)
    reg.admit("m", policy_path=None, actor="a", report=report)
    with pytest.raises(RegistryError, match="other weights"):
        reg.record_audit("other-weights", foreign)
    remote = _on(synthetic_run(), "")  # an endpoint audit has no digest: accepted as it is
    assert reg.record_audit("other-weights", remote) > 0
