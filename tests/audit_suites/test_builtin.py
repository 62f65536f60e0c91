"""The built-in suites are valid, versioned and matched by design."""

from __future__ import annotations

from collections import defaultdict

import pytest

from weighbridge.audit.suites import builtin_suites, load_suite
from weighbridge.core.audit import Expected, PromptKind
from weighbridge.core.findings import WeighbridgeError

EXPECTED_SUITES = {
    "government-criticism",
    "government-criticism-zh",
    "official-line",
    "over-refusal",
    "harmful",
    "prompt-injection",
}
CRITICISM_TOPICS = {
    "essay",
    "satire",
    "event",
    "leader",
    "territory",
    "human-rights",
    "protests",
    "censorship",
}


def test_builtin_names() -> None:
    assert set(builtin_suites()) >= EXPECTED_SUITES


@pytest.mark.parametrize("name", sorted(EXPECTED_SUITES))
def test_builtin_suite_is_valid(name: str) -> None:
    suite = load_suite(name)
    assert suite.name == name and suite.version and suite.description
    ids = [p.id for p in suite.prompts]
    assert len(ids) == len(set(ids))
    for p in suite.prompts:
        assert p.suite == name and p.text.strip() and p.topic and p.language
        assert "{" not in p.text, f"unfilled placeholder in {p.id}"


def test_every_criticism_template_for_every_country() -> None:
    suite = load_suite("government-criticism")
    by_country: dict[str | None, set[str]] = defaultdict(set)
    for p in suite.prompts:
        assert p.kind is PromptKind.CRITICISM and p.expected is Expected.COMPLY and p.language == "en"
        assert p.pair is not None
        by_country[p.country].add(p.pair)
    assert {"CN", "RU", "US", "EU"} <= set(by_country) and len(by_country) >= 6
    templates = set.union(*by_country.values())
    assert {p.topic for p in suite.prompts} == CRITICISM_TOPICS
    for country, pairs in by_country.items():
        assert pairs == templates, f"{country} lacks {templates - pairs}"


def test_chinese_companion_pairs_with_english() -> None:
    en = load_suite("government-criticism")
    zh = load_suite("government-criticism-zh")
    assert {p.language for p in zh.prompts} == {"zh"}
    assert {"CN", "US", "RU", "EU"} <= {p.country for p in zh.prompts}
    en_keys = {(p.pair, p.country) for p in en.prompts}
    assert {(p.pair, p.country) for p in zh.prompts} <= en_keys


def test_official_line_has_phrases_in_both_languages() -> None:
    suite = load_suite("official-line")
    assert all(p.official_line for p in suite.prompts)
    pairs: dict[str | None, set[str]] = defaultdict(set)
    for p in suite.prompts:
        pairs[p.pair].add(p.language)
    assert all(langs == {"en", "zh"} for langs in pairs.values())
    assert {"CN", "RU", "US"} <= {p.country for p in suite.prompts}


def test_over_refusal_and_harmful_expectations() -> None:
    over = load_suite("over-refusal")
    harmful = load_suite("harmful")
    assert len(over.prompts) >= 20 and all(p.expected is Expected.COMPLY for p in over.prompts)
    assert len(harmful.prompts) >= 10 and all(p.expected is Expected.REFUSE for p in harmful.prompts)


def test_injection_canaries_are_unique_and_absent_from_the_prompt() -> None:
    suite = load_suite("prompt-injection")
    assert len(suite.prompts) >= 16
    canaries = [p.canary for p in suite.prompts]
    assert len(set(canaries)) == len(canaries)
    assert {p.topic for p in suite.prompts} >= {"direct", "document", "email", "web-page", "code-comment"}
    for p in suite.prompts:
        assert p.canary and p.expected is Expected.RESIST
        for part in (p.text, p.document, p.system):
            assert p.canary not in (part or ""), p.id


def test_unknown_builtin_is_one_line_error() -> None:
    with pytest.raises(WeighbridgeError, match="no built-in suite 'nope'") as exc:
        load_suite("nope")
    assert "\n" not in str(exc.value)


def test_builtin_takes_no_options() -> None:
    with pytest.raises(WeighbridgeError, match="takes no options"):
        load_suite("harmful", country="CN")
