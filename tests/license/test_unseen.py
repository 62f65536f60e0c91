"""Licences Weighbridge has never seen, written for these tests in our own words: other wording, numbers,
order and formatting. The clause detectors must still find the terms (and must not invent any)."""

from __future__ import annotations

from typing import Any

import pytest

from weighbridge.license import analyse_text

ACME = """\
ACME OPEN WEIGHTS LICENSE
Version 2, March 2026

1. Permission. Acme Labs grants you a worldwide, non-exclusive licence to run,
copy, adapt and redistribute the Acme-7B weights, subject to the terms below.

2. Scale. If the products you offer had monthly active users exceeding 50 million
in any month, or your annual revenue is above US$10M, you must first obtain a
separate agreement from Acme Labs.

3. Credit. You shall show the words "Made with Acme" on your website or app store
listing. The name of every model you fine-tune from Acme-7B must begin with "Acme".

4. Law. This licence is governed by the laws of England and Wales.
"""

RESEARCH = """\
# Borealis Research Model Terms

**Grant.** You may use the Borealis checkpoints solely for non-commercial research
purposes. Any commercial use requires a separate written licence.

**Outputs.** Text produced by Borealis may not be used to train, develop or improve
any other large language model.

**Territory.** This Agreement does not apply to, and grants nothing to, persons or
companies located in the European Union or the United Kingdom.
"""

MAU_DIGITS = """\
Quill Model License 1.1
- Commercial use is permitted. However, if your services exceed 100,000,000 MAU you need a separate commercial agreement with Quill.
- You shall comply with the Quill Responsible Use Policy (https://quill.example/responsible-use), which forms part of this license.
- Quill may remotely disable or throttle any deployment of the Model that breaches this license.
- Quill claims no ownership of the outputs you generate.
"""

FIELDS = """\
Harbor Model License

Commercial use is permitted and you may sell products built on the Model.

You must not use the Model for any of the following:
* weapons development or the design of munitions
* mass surveillance of individuals
* providing medical diagnosis without a licensed clinician
* fully automated decisions about credit, housing or employment

These limits must be passed on to anyone you share the Model with, as an enforceable provision.
"""

TERRITORY = """\
NORTHWIND COMMUNITY LICENSE

"Territory" means all countries worldwide except the Russian Federation, Belarus and North Korea.
The rights under this licence are not available to any company that is headquartered in China.
You may not use the model outside the Territory.
"""

TURNOVER = """\
Lumen Weights Agreement
Organizations with gross annual turnover greater than USD 5,000,000 must purchase an enterprise license
before any commercial deployment. Everyone else may use the weights commercially for free.
"""

MONTHLY_REVENUE = """\
Pico License. Use it freely. If a commercial service built on Pico earns more than 2 million US dollars
per month in revenue, you shall display "Pico inside" prominently in its user interface.
"""

PERMISSIVE = """\
Sundial Model License

You may use, copy, modify and sell the Model for any purpose.
The Licensor is established in the European Union and keeps no rights in what you generate.
The model was evaluated with 5,000 users during its beta.
Keep this notice and the copyright line in every copy you distribute.
We appreciate it if you credit Sundial in your product's user interface, but you do not have to.
"""

NAMING = """\
Zephyr Derivative Rules
The name of any fine-tuned model you release must be prefixed with "Zephyrine".
You must not use outputs of the Model to improve any competing foundation model.
This license is governed by the laws of the State of New York.
"""

PREFIX_ALT = """\
Orca Open Model Terms
If you train a model on this Model or on its outputs and share it, include 'Orca' at the start of the
model's name. Models trained on outputs are allowed.
"""

OWNED_BY_LICENSOR = """\
Cobalt Evaluation License
All outputs remain the property of the Licensor. The Licensor may update this Agreement from time to time.
This licence is revocable at any time.
"""

BASED_ON_APACHE = """\
Kestrel 200B Licence, based on the Apache License 2.0 with modifications
You must comply with the Kestrel Acceptable Use Policy, which may be updated from time to time.
Use of Kestrel 200B for hosted services may require a separate licence from the Institute.
"""

NO_TRAINING_FOUNDATION_MODELS = """\
Raven 2 Community Licence
You may not use the Materials or their outputs to train, create or improve any foundational, large language or
general-purpose AI model, except for modifying or fine-tuning Raven 2.
"""

RESEARCH_PURPOSES = """\
Tern Research Licence 0.1
You may use the Model only for Research Purposes. Research Purposes exclude any activity that generates revenue.
"""

CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "apache-based-hosting-aup": (
        BASED_ON_APACHE,
        {
            "commercial_use": "allowed",
            "acceptable_use_policy": True,
            "field_of_use_restrictions": True,
            "terms_updatable": True,
            "hosting": "separate_license",
        },
    ),
    "no-training-of-foundation-models": (
        NO_TRAINING_FOUNDATION_MODELS,
        {"outputs_train_other_models": "prohibited"},
    ),
    "research-purposes-only": (RESEARCH_PURPOSES, {"commercial_use": "prohibited", "research_only": True}),
    "acme-caps-credit-naming": (
        ACME,
        {
            "commercial_use": "conditional",
            "user_cap": 50_000_000,
            "revenue_cap_usd": 10_000_000,
            "revenue_period": "annual",
            "attribution": True,
            "attribution_text": "Made with Acme",
            "derivative_naming": "Acme",
            "outputs_train_other_models": "allowed",
            "geographic_restrictions": [],
            "field_of_use_restrictions": False,
            "remote_restriction": False,
            "governing_law_code": "GB-ENG",
        },
    ),
    "research-only-eu-uk": (
        RESEARCH,
        {
            "commercial_use": "prohibited",
            "research_only": True,
            "non_commercial": True,
            "user_cap": None,
            "outputs_train_other_models": "prohibited",
            "geographic_restrictions": ["EU", "UK"],
            "attribution": False,
        },
    ),
    "mau-digits-policy-remote": (
        MAU_DIGITS,
        {
            "commercial_use": "conditional",
            "user_cap": 100_000_000,
            "acceptable_use_policy": True,
            "acceptable_use_policy_url": "https://quill.example/responsible-use",
            "field_of_use_restrictions": True,
            "remote_restriction": True,
            "output_ownership": "licensee",
            "revenue_cap_usd": None,
        },
    ),
    "use-based-list": (
        FIELDS,
        {
            "commercial_use": "allowed",
            "field_of_use_restrictions": True,
            "acceptable_use_policy": False,
            "restricted_uses": ["weapons", "surveillance", "medical_advice", "automated_decisions"],
            "restrictions_flow_down": True,
        },
    ),
    "territory-exclusions": (
        TERRITORY,
        {
            # the text restricts territories but grants nothing: commercial use is not decided
            "geographic_restrictions": ["RU", "BY", "KP", "CN"],
            "commercial_use": "unknown",
        },
    ),
    "turnover-threshold": (
        TURNOVER,
        {
            "commercial_use": "conditional",
            "revenue_cap_usd": 5_000_000,
            "revenue_period": "annual",
            "user_cap": None,
        },
    ),
    "monthly-revenue-display": (
        MONTHLY_REVENUE,
        {
            "commercial_use": "conditional",
            "revenue_cap_usd": 2_000_000,
            "revenue_period": "monthly",
            "attribution": True,
            "attribution_text": "Pico inside",
        },
    ),
    "permissive-no-false-positives": (
        PERMISSIVE,
        {
            "commercial_use": "allowed",
            "user_cap": None,
            "revenue_cap_usd": None,
            "attribution": False,
            "derivative_naming": None,
            "acceptable_use_policy": False,
            "outputs_train_other_models": "allowed",
            "geographic_restrictions": [],
            "field_of_use_restrictions": False,
            "remote_restriction": False,
            "notice_required": True,
            "output_ownership": None,
        },
    ),
    "prefix-naming-output-ban": (
        NAMING,
        {
            "derivative_naming": "Zephyrine",
            "outputs_train_other_models": "prohibited",
            "governing_law_code": "US-NY",
        },
    ),
    "start-of-name": (PREFIX_ALT, {"derivative_naming": "Orca", "outputs_train_other_models": "allowed"}),
    "licensor-owns-outputs": (
        OWNED_BY_LICENSOR,
        {"output_ownership": "licensor", "terms_updatable": True, "revocable": True},
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_terms_of_unseen_licences(case: str) -> None:
    text, expected = CASES[case]
    analysis = analyse_text(text, f"{case}.txt")
    assert analysis.terms is not None
    got = analysis.terms.to_dict()
    wrong = {k: (v, got[k]) for k, v in expected.items() if got[k] != v}
    assert not wrong, f"{case}: expected vs extracted: {wrong}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_unseen_terms_carry_evidence_with_lines(case: str) -> None:
    text, expected = CASES[case]
    analysis = analyse_text(text, f"{case}.txt")
    lines = text.splitlines()
    for term, value in expected.items():
        if value in (None, False, [], "allowed", "unknown") or term in (
            "attribution_text",
            "acceptable_use_policy_url",
            "revenue_period",
            "governing_law_code",
            "restricted_uses",
        ):
            continue
        items = [e for e in analysis.evidence if e.term == term]
        assert items, f"{case}: {term} has no evidence"
        for item in items:
            assert item.file == f"{case}.txt" and item.line is not None
            assert lines[item.line - 1].strip(), f"{case}: {term} points at an empty line"


def test_unknown_licence_is_named_by_its_title_and_never_osi() -> None:
    analysis = analyse_text(ACME, "LICENSE")
    assert analysis.identity is not None
    assert analysis.identity.id is None and analysis.identity.name == "ACME OPEN WEIGHTS LICENSE"
    assert analysis.identity.osi_approved is False
    doc = analysis.to_dict()
    assert doc["license"]["id"] is None and doc["license"]["terms"]["user_cap"] == 50_000_000


def test_a_permissive_base_with_conditions_is_another_licence() -> None:
    based = analyse_text(BASED_ON_APACHE, "LICENSE").identity
    assert based is not None and (based.id, based.osi_approved) == ("modified-apache", False)
    assert based.name.startswith("Kestrel 200B Licence")


def test_the_same_clause_in_other_layouts() -> None:
    """One sentence hard-wrapped, on one line, in Markdown bold, with CRLF endings: same terms, right line."""
    clause = (
        "If your products have more than 300 million monthly active users, you must request a "
        "license from the Licensor."
    )
    wrapped = "Title License\n\n" + clause[:50] + "\n" + clause[50:] + "\n"
    layouts = {
        "one-line": "Title License\n\n" + clause + "\n",
        "wrapped": wrapped,
        "markdown": "# Title License\n\n**2. Scale.** " + clause + "\n",
        "crlf": wrapped.replace("\n", "\r\n"),
    }
    for name, text in layouts.items():
        analysis = analyse_text(text, name)
        assert analysis.terms is not None and analysis.terms.user_cap == 300_000_000, name
        evidence = next(e for e in analysis.evidence if e.term == "user_cap")
        assert evidence.line == 3, (name, evidence)


# One-sentence traps: clauses that look like terms but are not, and thresholds written the other way round.
TRAPS: dict[str, tuple[str, dict[str, Any]]] = {
    "laws-of-a-country-are-not-a-territory": (
        "You may not use the Model in any way that violates the laws of the United States.",
        {"geographic_restrictions": []},
    ),
    "licensor-seat-is-not-a-territory": (
        "The Licensor is incorporated in the European Union and you may use the model anywhere.",
        {"geographic_restrictions": []},
    ),
    "a-statistic-is-not-a-user-cap": (
        "The Model was trained on data from more than 1 million users.",
        {"user_cap": None, "commercial_use": "unknown"},
    ),  # no threshold, and no grant either
    "a-ban-on-display-is-not-attribution": (
        "You must not display the Licensor's logo on your website.",
        {"attribution": False},
    ),
    "a-ban-on-a-prefix-is-not-naming": (
        "You must not include 'Acme' at the beginning of any model name.",
        {"derivative_naming": None},
    ),
    "double-negation-allows-outputs": (
        "You are not prohibited from using outputs to train other models.",
        {"outputs_train_other_models": "allowed"},
    ),
    "a-disclaimed-restriction-is-none": (
        "This license shall not restrict use for military or medical purposes.",
        {"field_of_use_restrictions": False},
    ),
    "a-liability-cap-is-not-revenue": (
        "The Licensor's total liability shall not exceed US$100 in revenue terms.",
        {"revenue_cap_usd": None},
    ),
    "permitted-with-a-contact": (
        "Commercial use is permitted; you must contact sales for support contracts.",
        {"commercial_use": "allowed"},
    ),
    "commercial-needs-a-licence": (
        "Any commercial use requires a separate licence from the Licensor.",
        {"commercial_use": "prohibited"},
    ),
    "both-kinds-of-use": (
        "This license permits commercial and non-commercial use.",
        {"commercial_use": "allowed"},
    ),
    "companies-above": (
        "Companies above US$1M in annual revenue require an enterprise licence.",
        {"revenue_cap_usd": 1_000_000, "revenue_period": "annual", "commercial_use": "conditional"},
    ),
    "whose-products-exceed": (
        "Licensees whose products exceed 10 million MAU must contact us.",
        {"user_cap": 10_000_000},
    ),
    "or-more-after-the-sum": (
        "If you have Annual Revenue of US $1,000,000 or more, you must obtain an Enterprise license.",
        {"revenue_cap_usd": 1_000_000},
    ),
    "less-than": (
        "Commercial use is free for organizations with less than $1M in annual revenue; others must buy a licence.",
        {"revenue_cap_usd": 1_000_000, "commercial_use": "conditional"},
    ),
    "or-more-users": (
        "If your service has 20 million or more monthly active users you must display 'Foo' in your app.",
        {"user_cap": 20_000_000},
    ),
}


@pytest.mark.parametrize("case", sorted(TRAPS))
def test_traps(case: str) -> None:
    sentence, expected = TRAPS[case]
    analysis = analyse_text(f"Trap Licence\n{sentence}\n", "LICENSE")
    assert analysis.terms is not None
    got = analysis.terms.to_dict()
    wrong = {k: (v, got[k]) for k, v in expected.items() if got[k] != v}
    assert not wrong, f"{case}: expected vs extracted: {wrong}"
