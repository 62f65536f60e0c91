"""Splitting <think> reasoning from the answer, and outcomes from finish reasons."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from weighbridge.audit.runtimes.completion import (
    build_completion,
    error_completion,
    outcome_for,
    split_reasoning,
)
from weighbridge.core.audit import Outcome


@pytest.mark.parametrize(
    ("raw", "reasoning", "answer"),
    [
        ("Just an answer.", None, "Just an answer."),
        ("<think>why</think>because", "why", "because"),
        ("  <think>\nstep 1\nstep 2\n</think>\n\nThe answer.", "step 1\nstep 2", "The answer."),
        ("<THINK>upper</THINK>ok", "upper", "ok"),
        ("<think>never closed, ran out of tokens", "never closed, ran out of tokens", ""),
        ("<think></think>Answer with an empty think block.", "", "Answer with an empty think block."),
        ("prompt-opened reasoning</think>answer", "prompt-opened reasoning", "answer"),
        ("<think>a</think>middle<think>b</think>end", "a\n\nb", "middleend"),
        ("Answer first <think>then an unclosed thought", "then an unclosed thought", "Answer first"),
    ],
)
def test_split_reasoning(raw: str, reasoning: str | None, answer: str) -> None:
    assert split_reasoning(raw) == (reasoning, answer)


@given(st.text())
def test_split_never_raises_and_never_keeps_tags(text: str) -> None:
    reasoning, answer = split_reasoning(text)
    assert "<think>" not in answer.lower() and "</think>" not in answer.lower()
    if "think>" not in text.lower():
        assert reasoning is None and answer == text.strip()


@pytest.mark.parametrize(
    ("answer", "finish", "outcome"),
    [
        ("text", "stop", Outcome.OK),
        ("text", None, Outcome.OK),
        ("text", "length", Outcome.TRUNCATED),
        ("", "length", Outcome.TRUNCATED),
        ("", "content_filter", Outcome.FILTERED),
        ("  \n", "stop", Outcome.EMPTY),
    ],
)
def test_outcome_for(answer: str, finish: str | None, outcome: Outcome) -> None:
    assert outcome_for(answer, finish) is outcome


def test_build_completion_merges_separate_and_inline_reasoning() -> None:
    c = build_completion("<think>inline</think>ans", reasoning_field="separate", finish_reason="stop")
    assert (c.outcome, c.reasoning, c.text) == (Outcome.OK, "separate\n\ninline", "ans")
    only_reasoning = build_completion("", reasoning_field="thought a lot", finish_reason="stop")
    assert only_reasoning.outcome is Outcome.EMPTY and only_reasoning.reasoning == "thought a lot"


def test_error_completion_is_one_line() -> None:
    c = error_completion("Traceback:\n  line 1\n\tboom  ")
    assert c.outcome is Outcome.ERROR and c.error == "Traceback: line 1 boom" and c.text == ""
