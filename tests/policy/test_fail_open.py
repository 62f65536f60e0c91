"""No example policy passes a model whose licence grants nothing or decides nothing: proprietary, empty and
unrecognised licence texts fail or go to review under every policy in examples/policies/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.policy.helpers import POLICIES

from weighbridge import inspect
from weighbridge.core.policy import Outcome
from weighbridge.core.report import Report
from weighbridge.policy import evaluate, load_policy

TEXTS = {
    "all-rights-reserved": (
        "Copyright (c) 2026 Halcyon Systems GmbH. All rights reserved.\nNo use, copying or "
        "distribution of these weights is permitted without the prior written permission of "
        "Halcyon Systems GmbH.\n"
    ),
    "empty": "",
    "unrecognised": (
        "Nimbus-3B weights\nThese files were produced by the Nimbus team for internal evaluation. "
        "Contact the platform group with questions about deployment.\n"
    ),
}
EXAMPLES = sorted(POLICIES.glob("*.yaml"))
# The reasons that come from the licence (a pass on any of them would be reading an unknown as allowed).
LICENCE_RULES = (
    "license.",
    "intended_use.commercial",
    "intended_use.outputs_train_other_models",
    "intended_use.redistribute_weights",
    "intended_use.host_for_others",
    "rules.osi_only",
    "rules.allowed_license_families",
)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Report]:
    root = tmp_path_factory.mktemp("unknown-licences")
    out: dict[str, Report] = {}
    for name, text in TEXTS.items():
        folder = root / name
        folder.mkdir()
        (folder / "LICENSE").write_text(text, encoding="utf-8")
        (folder / "README.md").write_text("---\nlicense: other\n---\n# a model\n", encoding="utf-8")
        (folder / "config.json").write_text(json.dumps({"model_type": "llama"}), encoding="utf-8")
        out[name] = inspect(str(folder))
    return out


def test_there_are_example_policies() -> None:
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize("policy_file", EXAMPLES, ids=[p.stem for p in EXAMPLES])
@pytest.mark.parametrize("licence", sorted(TEXTS))
def test_no_example_policy_passes_an_unknown_licence(
    reports: dict[str, Report], policy_file: Path, licence: str
) -> None:
    verdict = evaluate(load_policy(policy_file), reports[licence])
    assert verdict.verdict in (Outcome.WARN, Outcome.FAIL)
    licence_reasons = [r for r in verdict.reasons if r.rule.startswith(LICENCE_RULES)]
    # the licence itself stops it, not only an unrelated rule (an audit, the openness class)
    assert any(r.outcome is not Outcome.PASS for r in licence_reasons), [
        (r.rule, r.outcome) for r in verdict.reasons
    ]
    passed = [r.rule for r in licence_reasons if r.outcome is Outcome.PASS]
    assert not passed, f"{policy_file.stem}/{licence}: licence rules passed on an unknown licence: {passed}"


@pytest.mark.parametrize("policy_file", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_reserved_rights_fail_every_policy(reports: dict[str, Report], policy_file: Path) -> None:
    verdict = evaluate(load_policy(policy_file), reports["all-rights-reserved"])
    grant = [r for r in verdict.reasons if r.rule == "license.grant"]
    assert verdict.verdict is Outcome.FAIL and grant and grant[0].outcome is Outcome.FAIL
    assert any(e.file == "LICENSE" and e.line == 2 for e in grant[0].evidence)
