"""The clause structures of issue 14, written here in our own words (fictional licensors), each with a
control that must not trigger: use policies under other names or by reference, outputs that are neither
free nor banned, naming and attribution duties in other forms, commercial use on a royalty or a separate
agreement for hosted or commercial services."""

from __future__ import annotations

from typing import Any

import pytest

from weighbridge.license import analyse_text

GRANT = "Licensor hereby grants you a worldwide, non-exclusive licence to use, copy, modify and distribute the Model.\n"

CASES: dict[str, tuple[str, dict[str, Any]]] = {
    # --- use policies incorporated under other names or by reference
    "prohibited-use-policy": (
        "You shall not use the Model in violation of the Prohibited Use Policy, which forms part of this Agreement.",
        {"acceptable_use_policy": True, "field_of_use_restrictions": True},
    ),
    "restrictions-in-an-exhibit-not-here": (
        "You agree not to use the Model for any of the restricted purposes set out in Exhibit B.",
        {"acceptable_use_policy": True, "field_of_use_restrictions": True},
    ),
    "named-but-undefined-policy": (
        "Your use of the Model must comply with the Kestrel Responsible Deployment Rules.",
        {"acceptable_use_policy": True},
    ),
    "policy-by-url": (
        "Use of the Model is subject to the terms published at https://example.org/model-terms/restrictions.",
        {
            "acceptable_use_policy": True,
            "acceptable_use_policy_url": "https://example.org/model-terms/restrictions",
        },
    ),
    "content-standards-by-name": (
        "You must adhere to our Content Standards when you deploy the Model.",
        {"acceptable_use_policy": True},
    ),
    "control-exhibit-is-in-the-file": (
        "You agree not to use the Model for any of the restricted purposes set out in Exhibit B.\n\n"
        "Exhibit B\n\nYou agree not to use the Model for military purposes.",
        {"acceptable_use_policy": False, "field_of_use_restrictions": True},
    ),
    "control-privacy-policy": (
        "Your personal data is handled in accordance with the Halcyon Privacy Policy.",
        {"acceptable_use_policy": False},
    ),
    "control-defined-policy": (
        '"Usage Rules" means the rules in Section 4 of this Agreement.\nYou must comply with the Usage Rules.',
        {"acceptable_use_policy": False},
    ),
    "control-applicable-law": (
        "You must comply with all applicable laws and regulations.",
        {"acceptable_use_policy": False},
    ),
    # --- outputs neither free nor banned
    "outputs-non-commercial-only": (
        "Outputs generated with the Model may be used only for non-commercial purposes.",
        {"outputs_train_other_models": "conditional", "commercial_use": "allowed", "non_commercial": False},
    ),
    "outputs-within-the-policy": (
        "You may use the Output solely in accordance with this Agreement and the Acceptable Use Policy.",
        {"outputs_train_other_models": "conditional"},
    ),
    "outputs-owned-but-restricted": (
        "You own the outputs you generate, but outputs may not be used for any commercial purpose.",
        {"outputs_train_other_models": "conditional", "output_ownership": "licensee"},
    ),
    "outputs-banned-beats-conditional": (
        "Outputs may be used only for research. You may not use outputs to train any other large language model.",
        {"outputs_train_other_models": "prohibited"},
    ),
    "control-outputs-free": (
        "Licensor claims no rights in the outputs you generate.",
        {"outputs_train_other_models": "allowed"},
    ),
    # --- naming and attribution in other forms
    "retain-the-name": (
        'Any model you fine-tune from the Model shall retain the name "Petrel" in the model name.',
        {"derivative_naming": "Petrel", "attribution": True},
    ),
    "name-must-contain": (
        "The name of any derivative model you distribute must contain the word Corvid.",
        {"derivative_naming": "Corvid", "attribution": True},
    ),
    "powered-by-without-quotes": (
        "If you offer a product built on the Model, you must display Powered by Heron on its main screen.",
        {"attribution": True},
    ),
    "citation-duty": (
        "You must cite the Heron technical report in any publication that uses the Model.",
        {"attribution": True},
    ),
    "control-cite-optional": ("We would appreciate it if you cite our paper.", {"attribution": False}),
    "control-no-name-duty": (
        "You may not use the name Petrel to endorse your products.",
        {"derivative_naming": None},
    ),
    # --- found on the held-out texts, fixed by structure after their first read
    "list-with-lettered-sub-headings": (
        "You may not use the Model in the following cases:\n\na. Surveillance\n- Any use in biometric "
        "surveillance of workers.\n\nb. Weapons\n- Designing explosives.",
        {"field_of_use_restrictions": True},
    ),
    "grant-by-licence-identifier": (
        "The weights are licensed under CC BY NC 4.0.",
        {"commercial_use": "prohibited", "non_commercial": True, "attribution": True},
    ),
    "danish-law": (
        "The licence is governed by the laws of the Kingdom of Denmark.",
        {"governing_law_code": "DK"},
    ),
    # --- commercial use on terms
    "royalty-for-commercial-use": (
        "Commercial use of the Model is subject to payment of a royalty of 5% of net revenue to the Licensor.",
        {"commercial_use": "conditional"},
    ),
    "separate-agreement-for-hosted-services": (
        "If you offer the Model to third parties as a hosted service or through an API for commercial purposes, "
        "you must first enter into a separate commercial agreement with the Licensor.",
        {"commercial_use": "conditional"},
    ),
    "control-royalty-free": (
        "The licence is royalty-free and commercial use is permitted.",
        {"commercial_use": "allowed"},
    ),
    "control-any-commercial-use-needs-a-licence": (
        "Any commercial use requires a separate commercial licence from the Licensor.",
        {"commercial_use": "prohibited"},
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_clause_kind(case: str) -> None:
    body, expected = CASES[case]
    text = f"Test Model Licence\n\n{GRANT}\n{body}\n"
    analysis = analyse_text(text, "LICENSE")
    assert analysis.terms is not None
    got = analysis.terms.to_dict()
    wrong = {k: (v, got[k]) for k, v in expected.items() if got[k] != v}
    assert not wrong, f"{case}: expected vs extracted: {wrong}"
    for term, value in expected.items():
        if value not in (None, False, [], "allowed"):
            base = {"governing_law_code": "governing_law"}.get(term, term.replace("_url", ""))
            quotes = [e for e in analysis.evidence if e.term == base]
            assert quotes and all(e.line is not None and e.file == "LICENSE" for e in quotes), term
