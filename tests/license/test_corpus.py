"""Every labelled fact of the real licence corpus (labels.json) is reproduced, file by file.

The corpus is read in place (see corpus.py). A failure lists every fact that differs for that file.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.license.corpus import corpus_available, labels, normalized, require_corpus

from weighbridge.core.license import LicenseAnalysis
from weighbridge.license import analyse_file, profile_terms

LABELS = labels()
FILES = sorted(LABELS) or ["(corpus missing)"]
IDENTITY_FACTS = {"name", "hf_tag", "osi_approved"}
NOT_FACTS = {"notes"}
# A positive value of these terms must come with evidence quoting the text.
EVIDENCED = (
    "user_cap",
    "revenue_cap_usd",
    "attribution",
    "derivative_naming",
    "acceptable_use_policy",
    "geographic_restrictions",
    "field_of_use_restrictions",
    "remote_restriction",
)


def _facts(analysis: LicenseAnalysis) -> dict[str, Any]:
    doc = analysis.to_dict()["license"]
    return {"name": doc["name"], "hf_tag": doc["hf_tag"], "osi_approved": doc["osi_approved"], **doc["terms"]}


def _analyse(name: str) -> tuple[LicenseAnalysis, dict[str, Any]]:
    if not corpus_available():
        require_corpus()
    return analyse_file(require_corpus() / name), LABELS[name]


@pytest.mark.parametrize("name", FILES)
def test_labelled_facts_are_reproduced(name: str) -> None:
    analysis, expected = _analyse(name)
    got = _facts(analysis)
    wrong = {k: (v, got.get(k)) for k, v in expected.items() if k not in NOT_FACTS and got.get(k) != v}
    assert not wrong, f"{name}: expected vs extracted: {wrong}"


@pytest.mark.parametrize("name", FILES)
def test_every_positive_term_is_quoted_from_its_line(name: str) -> None:
    analysis, expected = _analyse(name)
    path = require_corpus() / name
    lines = path.read_bytes().decode("utf-8", "replace").replace("\r\n", "\n").split("\n")
    terms = analysis.to_dict()["license"]["terms"]
    for term in EVIDENCED:
        if term not in expected or terms[term] in (None, False, []):
            continue
        items = [e for e in analysis.evidence if e.term == term]
        assert items, f"{name}: {term}={terms[term]!r} has no evidence"
        for item in items:
            assert item.file == name and item.line is not None and len(item.quote) <= 300
            assert 1 <= item.line <= len(lines)
            around = normalized(" ".join(lines[max(0, item.line - 3) : item.line + 3]))
            quote_words = normalized(item.quote.strip("\u2026")).split()
            probe = (
                " ".join(quote_words[:4]) if item.quote.startswith("\u2026") else " ".join(quote_words[-4:])
            )
            assert probe in normalized(path.read_text(encoding="utf-8", errors="replace")), (name, item)
            assert any(w in around for w in quote_words[:8]), (
                f"{name}: {term} line {item.line} is not the quote"
            )


@pytest.mark.parametrize("name", FILES)
def test_identity_is_quoted_from_the_title(name: str) -> None:
    analysis, _ = _analyse(name)
    named = [e for e in analysis.evidence if e.term == "license"]
    assert len(named) == 1 and named[0].file == name and named[0].line is not None


def test_family_profiles_agree_with_the_texts() -> None:
    """The built-in profile of each corpus licence (used when only an identifier is known) equals what the
    clause detectors read from the real text, on every labelled term."""
    require_corpus()
    disagreements = []
    checked = 0
    for name, expected in LABELS.items():
        analysis, _ = _analyse(name)
        assert analysis.identity is not None
        profile = profile_terms(analysis.identity.id)
        if profile is None or "commercial_use" not in expected:
            continue
        checked += 1
        text_terms, prof = analysis.to_dict()["license"]["terms"], profile.to_dict()
        for key in expected:
            if key in text_terms and text_terms[key] != prof[key]:
                disagreements.append((name, key, text_terms[key], prof[key]))
    assert checked >= 20 and not disagreements, disagreements


def test_corpus_summary_counts_every_fact() -> None:
    """One line per file in the output of ``pytest -rA``: reproduced facts / labelled facts."""
    require_corpus()
    total = reproduced = 0
    for name, expected in LABELS.items():
        analysis, _ = _analyse(name)
        got = _facts(analysis)
        facts = [k for k in expected if k not in NOT_FACTS]
        ok = sum(got.get(k) == expected[k] for k in facts)
        print(f"{name}: {ok}/{len(facts)} labelled facts reproduced")
        total += len(facts)
        reproduced += ok
    print(f"corpus: {reproduced}/{total} labelled facts reproduced in {len(LABELS)} files")
    assert reproduced == total
