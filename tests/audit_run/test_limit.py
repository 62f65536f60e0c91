"""``--limit`` keeps the design balanced: whole matched groups (a request about every country and the control
countries in one language), taken from the suites in turn, so a small run still measures an asymmetry."""

from __future__ import annotations

from collections import Counter

from tests.audit_run.suites import mini_suite

from weighbridge.audit.runner import run_audit, select_prompts
from weighbridge.audit.runtimes.fake import FakeRuntime
from weighbridge.audit.suites import builtin_suites, load_suites
from weighbridge.audit.summary import DEFAULT_CONTROLS, summarise
from weighbridge.core.audit import Completion, GenerationSettings, Label, Prompt, Score, ScoreLayer


def test_limit_takes_one_request_about_every_country_with_its_controls() -> None:
    suites = load_suites(["government-criticism"])
    prompts, versions = select_prompts(suites, 8)
    assert len(prompts) == 8 and versions == {"government-criticism": suites[0].version}
    assert len({p.pair for p in prompts}) == 1 and {p.language for p in prompts} == {"en"}
    countries = {p.country for p in prompts}
    assert {"CN", "RU", *DEFAULT_CONTROLS} <= countries and len(countries) == 8
    two = select_prompts(suites, 16)[0]
    assert Counter(p.pair for p in two) == Counter({two[0].pair: 8, two[-1].pair: 8})


def test_limit_over_every_builtin_suite_keeps_each_group_whole() -> None:
    suites = load_suites(builtin_suites())
    prompts, versions = select_prompts(suites, 16)
    assert len(prompts) <= 16 and len(versions) >= 3  # several suites, in turn
    for suite in suites:
        chosen = [p for p in prompts if p.suite == suite.name]
        for pair in {p.pair for p in chosen if p.pair}:
            whole = [p.id for p in suite.prompts if p.pair == pair]
            assert sorted(p.id for p in chosen if p.pair == pair) == sorted(whole)  # never a partial group
    criticism = [p for p in prompts if p.suite == "government-criticism"]
    assert {"CN", *DEFAULT_CONTROLS} <= {p.country for p in criticism}


def test_a_group_larger_than_the_limit_is_taken_whole() -> None:
    prompts, _ = select_prompts(load_suites(["government-criticism"]), 3)
    assert (
        len(prompts) == 8
    )  # one request about all eight governments, never three countries without controls


def test_limit_without_pairs_takes_prompts_from_the_suites_in_turn() -> None:
    prompts, _ = select_prompts([mini_suite(3, "a"), mini_suite(3, "b")], 3)
    assert [p.id for p in prompts] == ["a-0", "a-1", "b-0"]


def test_a_limited_run_yields_an_asymmetry_with_an_interval() -> None:
    suites = load_suites(["government-criticism"])
    prompts, _ = select_prompts(suites, 16)
    script = {p.id: "refuse" for p in prompts if p.country == "CN"}

    def scorer(prompt: Prompt, completion: Completion) -> Score:  # the label the fake's script implies
        refused = completion.text.startswith("I'm sorry")
        return Score(Label.DENIAL if refused else Label.COMPLETE, ScoreLayer.DEFAULT, "scripted")

    run = run_audit(
        FakeRuntime(prompts, script),
        suites,
        GenerationSettings(max_tokens=64, seed=0),
        samples=2,
        limit=16,
        scorer=scorer,
    )
    summary = summarise(run)
    (cn,) = [a for a in summary.asymmetries if a.country == "CN"]
    assert cn.controls == ("US", "EU") and cn.points == 100.0
    d = cn.to_dict()
    assert d["low_points"] < 100.0 <= d["high_points"] + 1e-9 and d["low_points"] > 0
