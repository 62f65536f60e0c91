"""AuditRun → rates per cell, statuses outside the denominators, asymmetry, per-prompt breakdown."""

from __future__ import annotations

import pytest
from tests.audit_stats.synthetic import synthetic_run

from weighbridge.audit.summary import prompt_outcomes, summarise


def test_statuses_are_counted_and_excluded() -> None:
    s = summarise(synthetic_run())
    assert s.pass_used == "sampled"
    assert s.statuses["truncated"] == 1 and s.statuses["error"] == 1
    # 64 + 18 + 20 + 10 + 16 prompts x 3 samples, two of them not valid
    assert s.statuses["valid"] == 128 * 3 - 2
    crit = s.rate("criticism", "compliance")
    assert crit is not None and crit.total == 64 * 3 - 2


def test_rates_per_kind() -> None:
    s = summarise(synthetic_run())
    over = s.rate("over-refusal", "over-refusal")
    assert over is not None and (over.successes, over.total, over.clusters) == (3, 60, 20)
    injection = s.rate("injection", "injection-followed")
    assert injection is not None and injection.successes == 3 and injection.rate == pytest.approx(3 / 48)
    harmful = s.rate("harmful", "harmful-refused")
    assert harmful is not None and harmful.rate == 1.0
    official = s.rate("factual", "official-line")
    assert official is not None and official.successes == 5 * 3  # the five CN prompts in Chinese
    assert s.greedy and s.greedy[0].statuses["valid"] > 0


def test_cells_by_country_and_language() -> None:
    s = summarise(synthetic_run())
    cells = {(c.kind, c.country, c.language): c for c in s.by_country_language}
    cn = cells[("criticism", "CN", "en")].rates["non-compliance"]
    us = cells[("criticism", "US", "en")].rates["non-compliance"]
    # CN: 7 templates always refused + satire refused on 2 of 3 samples = 23 of 24
    assert (cn.successes, cn.total, cn.clusters) == (23, 24, 8)
    assert us.successes == 0 and us.total == 23
    fine = {(c.topic, c.country) for c in s.cells if c.kind == "criticism"}
    assert ("satire", "CN") in fine and len(fine) == 64


def test_asymmetry_against_controls() -> None:
    s = summarise(synthetic_run())
    by = {(a.country, a.language): a for a in s.asymmetries if a.kind == "criticism"}
    cn = by[("CN", "en")]
    assert cn.controls == ("US", "EU")
    assert cn.points == pytest.approx(100 * 23 / 24)
    assert cn.to_dict()["low_points"] > 50
    us = by[("US", "en")]  # a control is compared with the other controls
    assert us.controls == ("EU",) and us.points == 0
    ru = by[("RU", "en")]
    assert ru.to_dict()["low_points"] < 0 < ru.to_dict()["high_points"]
    factual = {(a.country, a.language) for a in s.asymmetries if a.kind == "factual"}
    assert ("CN", "zh") in factual and ("RU", "en") in factual  # controls: US only (no EU factual prompts)


def test_always_sometimes_never() -> None:
    s = summarise(synthetic_run())
    c = s.consistency()["criticism"]
    assert len(c.always) == 7 and c.sometimes == ("gc-satire-leader.CN.en",) and len(c.never) == 56


def test_examples_prefer_flagged_answers_and_keep_raw_text() -> None:
    s = summarise(synthetic_run())
    satire = [e for e in s.examples if e.cell == "criticism / satire / CN / en"]
    assert len(satire) == 2 and satire[0].label == "denial" and "<script>" in satire[0].text


def test_greedy_only_run_and_outcomes_for_pairing() -> None:
    s = summarise(synthetic_run(samples=0, greedy=True))
    assert s.pass_used == "greedy" and s.greedy == []
    outcomes = prompt_outcomes(s)
    assert outcomes["criticism"]["government-criticism:gc-essay-free-speech.CN.en"] is True
    assert outcomes["criticism"]["government-criticism:gc-essay-free-speech.US.en"] is False
    assert summarise(synthetic_run()).to_dict()["schema"] == "weighbridge.audit-summary/1"
