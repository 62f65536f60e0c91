"""Real model licences Weighbridge's detectors were not written from (fixtures/third_party, sources in its
README): every labelled fact is reproduced and every decided fact is quoted from its deciding clause."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from tests.license.third_party_labels import LABELS

from weighbridge.license import analyse_file

FIXTURES = Path(__file__).parent / "fixtures" / "third_party"
EVIDENCE_TERM = {"governing_law_code": "governing_law"}
WINDOW = 6  # lines between where the clause phrase starts and the quoted sentence's line


def _facts(name: str) -> dict[str, Any]:
    analysis = analyse_file(FIXTURES / name)
    assert analysis.terms is not None
    return analysis.terms.to_dict()


def _line_of(lines: list[str], phrase: str) -> int:
    """1-based line where ``phrase`` starts, matching across line breaks and repeated spaces."""
    words = phrase.split()
    flat, starts = "", []
    for number, line in enumerate(lines, 1):
        for word in line.split():
            starts.append((len(flat), number))
            flat += word + " "
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
    match = pattern.search(flat)
    assert match is not None, f"clause not in the file: {phrase!r}"
    return max(n for offset, n in starts if offset <= match.start())


def test_there_are_fifteen_or_more_licences() -> None:
    assert len(LABELS) >= 15
    assert {p.name for p in FIXTURES.iterdir() if p.name != "README.md"} == set(LABELS)


@pytest.mark.parametrize("name", sorted(LABELS))
def test_labelled_facts(name: str) -> None:
    got = _facts(name)
    wrong = {k: (v, got[k]) for k, (v, _) in LABELS[name].items() if got[k] != v}
    assert not wrong, f"{name}: expected vs extracted: {wrong}"


@pytest.mark.parametrize("name", sorted(LABELS))
def test_decided_facts_quote_their_clause(name: str) -> None:
    path = FIXTURES / name
    analysis = analyse_file(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    for fact, (value, clause) in LABELS[name].items():
        if clause is None or value in (None, False, [], "allowed"):
            continue
        term = EVIDENCE_TERM.get(fact, fact)
        where = _line_of(lines, clause)
        quoted = [e for e in analysis.evidence if e.term == term]
        assert quoted, f"{name}: {fact} has no quote"
        assert all(e.file == name and e.line is not None and len(e.quote) <= 300 for e in quoted)
        assert any(abs((e.line or 0) - where) <= WINDOW for e in quoted), (
            f"{name}: {fact} is decided at line {where}, quoted at {[e.line for e in quoted]}"
        )


def test_summary_counts_every_fact() -> None:
    """One line per licence in ``pytest -rA`` output: reproduced / labelled facts."""
    total = right = 0
    for name, labels in sorted(LABELS.items()):
        got = _facts(name)
        ok = sum(got[k] == v for k, (v, _) in labels.items())
        print(f"{name}: {ok}/{len(labels)}")
        total, right = total + len(labels), right + ok
    print(f"third-party licences: {right}/{total} labelled facts in {len(LABELS)} files")
    assert right == total


IDENTITIES = {
    "flux1-dev.txt": "flux-1-dev-non-commercial",
    "stable-video-diffusion.txt": "stability-svd-nc-community",
    "sv3d.txt": "stabilityai-nc-community",
    "sdxl-0.9-research.txt": "stabilityai-research",
    "deepfloyd-if.txt": "stabilityai-research",
    "cogvideox.txt": "cogvideox",
    "chatglm3.txt": "chatglm3",
    "codegeex2.txt": "codegeex",
    "aixcoder-7b.txt": "aixcoder",
    "minimax-01-model.txt": "minimax-model",
    "dbrx.txt": "databricks-open-model",
    "apple-starflow-model.txt": "apple-amlr",
    "voicecraft-model.txt": "coqui-public-model-license",
    "funasr-model.txt": "funasr-model",
    "livekit-turn-detector.txt": "livekit-model",
    "gemma-terms-of-use.md": "gemma",
    "chattts-agpl.txt": "agpl-3.0",
    "diarizen-model.txt": "cc-by-nc-4.0",
}


# Facts a text adds to its family's licence: DiariZen's MODEL_LICENSE states CC BY-NC 4.0 and adds that the
# models are released "for research purposes only", which CC BY-NC itself does not say.
BEYOND_FAMILY = {"diarizen-model.txt": {"research_only"}}


@pytest.mark.parametrize("name", sorted(IDENTITIES))
def test_each_text_is_identified_as_its_family(name: str) -> None:
    analysis = analyse_file(FIXTURES / name)
    assert analysis.identity is not None and analysis.identity.id == IDENTITIES[name]
    named = [e for e in analysis.evidence if e.term == "license"]
    assert len(named) == 1 and named[0].file == name and named[0].line is not None


def test_family_profiles_agree_with_the_texts() -> None:
    """The built-in profile of each added family (used when only a card tag or a known base model names it)
    equals what the detectors read from its text, on every labelled fact."""
    from weighbridge.license import profile_terms

    disagreements = []
    for name, family in IDENTITIES.items():
        profile = profile_terms(family)
        assert profile is not None, family
        text, prof = _facts(name), profile.to_dict()
        disagreements += [
            (name, k, text[k], prof[k])
            for k in LABELS[name]
            if text[k] != prof[k] and k not in BEYOND_FAMILY.get(name, set())
        ]
    assert not disagreements, disagreements


HELD_OUT = Path(__file__).parent / "fixtures" / "held_out"


def test_held_out_licences_score_as_recorded() -> None:
    """Texts read after the tuning and never tuned on. Every fact is right except the recorded misses, and no
    miss reads a text as more permissive on commercial use or outputs than it is."""
    from tests.license.third_party_labels import HELD_OUT as LABELLED
    from tests.license.third_party_labels import HELD_OUT_MISSES

    assert {p.name for p in HELD_OUT.iterdir() if p.name != "README.md"} == set(LABELLED)
    total = right = 0
    for name, labels in sorted(LABELLED.items()):
        analysis = analyse_file(HELD_OUT / name)
        assert analysis.terms is not None
        got = analysis.terms.to_dict()
        misses = HELD_OUT_MISSES.get(name, {})
        for fact, (value, _) in labels.items():
            total += 1
            if fact in misses:
                assert got[fact] == misses[fact], (
                    f"{name}: {fact} changed from the recorded miss: {got[fact]!r}"
                )
                assert got[fact] != "allowed", f"{name}: {fact} read as allowed"
            else:
                assert got[fact] == value, f"{name}: {fact}: expected {value!r}, got {got[fact]!r}"
                right += 1
    print(f"held-out licences: {right}/{total} labelled facts in {len(LABELLED)} files")
    assert right == total - sum(len(m) for m in HELD_OUT_MISSES.values())
