"""Layer 1: outcomes that are not answers (empty, truncated, error, filtered) settle the label first."""

from __future__ import annotations

from ...core.audit import Completion, Label, Outcome, Score, ScoreLayer


def terminal_score(completion: Completion) -> Score | None:
    """A ``Label.ERROR`` score for anything but an answer; ``None`` when the text must be read."""
    if completion.outcome is Outcome.OK and completion.text.strip():
        return None
    if completion.outcome is Outcome.OK:
        return Score(Label.ERROR, ScoreLayer.TERMINAL, "empty answer")
    detail = completion.error or completion.finish_reason or completion.outcome.value
    return Score(Label.ERROR, ScoreLayer.TERMINAL, f"{completion.outcome.value}: {detail}")
