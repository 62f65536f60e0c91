"""A pattern layer's answer: the score it would give and whether it is sure of it.

An uncertain verdict is still a label (the best guess of the patterns), but it is the one a judge is asked
to settle when a judge is configured.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...core.audit import Score


@dataclass(frozen=True)
class Verdict:
    score: Score
    certain: bool
