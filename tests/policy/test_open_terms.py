"""Terms that are neither allowed nor prohibited reach the policy as reviews, never as passes: outputs usable
only on conditions, commercial use on a royalty or separate agreement, undecided redistribution and hosting."""

from __future__ import annotations

from tests.policy.helpers import POLICIES

from weighbridge.core.policy import Outcome
from weighbridge.license import analyse_text
from weighbridge.policy import load_policy
from weighbridge.policy.license_checks import license_reasons

GRANT = "Licensor hereby grants you a worldwide licence to use, copy and distribute the Model.\n"


def _outcomes(policy: str, text: str) -> dict[str, Outcome]:
    analysis = analyse_text(f"Test Model Licence\n\n{text}", "LICENSE")
    reasons = license_reasons(load_policy(POLICIES / f"{policy}.yaml"), analysis)
    out: dict[str, Outcome] = {}
    for r in reasons:
        out[r.rule] = max(out.get(r.rule, Outcome.PASS), r.outcome, key=lambda o: o.rank)
    return out


def test_conditional_outputs_send_distillation_to_review() -> None:
    got = _outcomes("research-lab", GRANT + "Outputs may be used only for non-commercial purposes.\n")
    assert got["intended_use.outputs_train_other_models"] is Outcome.WARN


def test_royalty_for_commercial_use_is_a_review_not_a_pass() -> None:
    text = GRANT + "Commercial use of the Model is subject to payment of a royalty of 5% of net revenue.\n"
    got = _outcomes("eu-saas-startup", text)
    assert got["intended_use.commercial"] is Outcome.WARN


def test_undecided_hosting_and_redistribution_are_reviews() -> None:
    text = "Nimbus notes\nThe weights were trained on public data.\n"
    hosting = _outcomes("eu-saas-startup", text)
    assert (
        hosting["intended_use.host_for_others"] is Outcome.WARN and hosting["license.grant"] is Outcome.WARN
    )
    redistribution = _outcomes("government-agency", text)
    assert redistribution["intended_use.redistribute_weights"] is Outcome.WARN


def test_a_plain_grant_still_passes_what_it_allows() -> None:
    got = _outcomes("research-lab", GRANT)
    assert got["intended_use.outputs_train_other_models"] is Outcome.PASS and "license.grant" not in got
