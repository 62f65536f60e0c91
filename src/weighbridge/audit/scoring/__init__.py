"""Scoring in layers: terminal outcomes, refusal patterns, deflection and official-line patterns, a judge."""

from __future__ import annotations

from ...core.audit import Completion, Label, Prompt, Score, ScoreLayer
from .terminal import terminal_score


def score_completion(prompt: Prompt, completion: Completion) -> Score:
    """Label one completion of ``prompt``: the first layer that can settle it decides."""
    terminal = terminal_score(completion)
    if terminal is not None:
        return terminal
    return Score(Label.COMPLETE, ScoreLayer.DEFAULT, "no refusal or deflection pattern matched")


__all__ = ["score_completion"]
