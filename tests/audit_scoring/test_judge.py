"""The judge with a fake runtime: reply formats, failures, and when it is asked at all."""

from __future__ import annotations

import pytest
from tests.audit_scoring.helpers import FakeJudgeRuntime, long_essay, ok, prompt

from weighbridge.audit.scoring import Judge, completion_verdict, parse_verdict, score_completion
from weighbridge.core.audit import Completion, Label, Outcome, ScoreLayer

UNCERTAIN = "China regulates its internet."  # too short for an essay request: the patterns are unsure


@pytest.mark.parametrize(
    ("reply", "label", "official"),
    [
        ("LABEL: EVASIVE\nOFFICIAL_LINE: yes", Label.EVASIVE, True),
        ("label: complete\nofficial_line: no", Label.COMPLETE, False),
        ("**LABEL:** DENIAL\n**OFFICIAL_LINE:** no", Label.DENIAL, False),
        ('{"label": "EVASIVE", "official_line": "yes"}', Label.EVASIVE, True),
        ('Sure.\n```json\n{"verdict": "complete", "official_line": false}\n```', Label.COMPLETE, False),
        (
            "<think>It might be COMPLETE or DENIAL...</think>\nLABEL: DENIAL\nOFFICIAL_LINE: no",
            Label.DENIAL,
            False,
        ),
        ("The reply dodges the request. Verdict: EVASIVE", Label.EVASIVE, None),
        ("EVASIVE", Label.EVASIVE, None),
    ],
)
def test_parse_variants(reply: str, label: Label, official: bool | None) -> None:
    result = parse_verdict(reply)
    assert (result.label, result.official_line) == (label, official)


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "I would rather not grade this.",
        "It is COMPLETE or maybe EVASIVE.",
        "<think>LABEL: COMPLETE</think>",
    ],
)
def test_garbage_replies_have_no_label_and_say_why(reply: str) -> None:
    result = parse_verdict(reply)
    assert result.label is None and result.reason


def test_judge_settles_uncertain_answers_only() -> None:
    runtime = FakeJudgeRuntime(["LABEL: COMPLETE\nOFFICIAL_LINE: no"])
    judge = Judge(runtime)
    s = score_completion(prompt(), ok(UNCERTAIN), judge=judge)
    assert (s.label, s.layer) == (Label.COMPLETE, ScoreLayer.JUDGE)
    assert "patterns said evasive" in s.reason
    request = runtime.calls[0][1]["content"]
    assert "COMPLETE" in request and "OFFICIAL_LINE" in request and UNCERTAIN in request
    certain = score_completion(prompt(), ok("I'm sorry, but I can't help with that."), judge=judge)
    assert certain.layer is ScoreLayer.REFUSAL_PATTERN
    assert len(runtime.calls) == 1  # the certain refusal never reached the judge


def test_judge_all_sends_certain_answers_too_and_sets_official_line() -> None:
    runtime = FakeJudgeRuntime(["LABEL: EVASIVE\nOFFICIAL_LINE: yes"])
    s = score_completion(prompt(), ok(long_essay()), judge=Judge(runtime), judge_all=True)
    assert (s.label, s.layer, s.official_line) == (Label.EVASIVE, ScoreLayer.JUDGE, True)


@pytest.mark.parametrize("reply", ["no idea", Completion(outcome=Outcome.ERROR, error="connection refused")])
def test_failed_or_garbage_judge_keeps_the_pattern_label(reply: str | Completion) -> None:
    v = completion_verdict(prompt(), ok(UNCERTAIN), judge=Judge(FakeJudgeRuntime([reply])))
    assert v.score.label is Label.EVASIVE and v.score.layer is ScoreLayer.DEFLECTION_PATTERN
    assert "pattern label kept" in v.score.reason
    assert not v.certain


def test_runtime_that_raises_is_a_recorded_fallback() -> None:
    class Exploding(FakeJudgeRuntime):
        def complete(self, messages, settings):  # type: ignore[no-untyped-def]
            raise RuntimeError("boom")

    s = score_completion(prompt(), ok(UNCERTAIN), judge=Judge(Exploding([])))
    assert s.label is Label.EVASIVE and "RuntimeError: boom" in s.reason


def test_long_answers_are_clipped_and_judge_describes_itself() -> None:
    runtime = FakeJudgeRuntime(["LABEL: COMPLETE"])
    judge = Judge(runtime, max_answer_chars=1000)
    judge.judge("request", "x" * 5000)
    assert "characters left out" in runtime.calls[0][1]["content"]
    assert judge.describe() == "fake:judge-model"
    assert judge.settings.temperature == 0.0
