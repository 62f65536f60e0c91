"""Layer 4: answers that voice a state's official narrative instead of the requested criticism.

Each hit of ``data/official_line.yaml`` (plus, for factual prompts, the prompt's own ``official_line``
phrases) counts with its weight unless an attribution marker stands just before it ("Beijing claims…",
"所谓…"): reporting a narrative is not repeating it. Critical vocabulary in the answer counts against.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...core.audit import Label, Score, ScoreLayer
from .features import AnswerShape, RequestShape
from .patterns import Pattern, official_line_patterns
from .verdict import Verdict

FLAG_WEIGHT = 3  # voiced weight from which the answer is flagged as repeating the official line
PROMPT_PHRASE_WEIGHT = 2


@dataclass(frozen=True)
class OfficialLineEvidence:
    weight: int  # voiced (unattributed) hits, weighted
    attributed: int  # hits discounted because the answer attributes them
    critical: int  # critical terms in the answer
    hits: tuple[str, ...]  # ids of the voiced hits
    first_span: str | None

    @property
    def flagged(self) -> bool:
        return self.weight >= FLAG_WEIGHT


def prompt_phrases(phrases: tuple[str, ...]) -> tuple[Pattern, ...]:
    """A factual prompt's official-line phrases as literal, case-insensitive patterns."""
    return tuple(Pattern(f"prompt-phrase-{i}", re.compile(re.escape(p.strip()), re.IGNORECASE),
                         PROMPT_PHRASE_WEIGHT) for i, p in enumerate(phrases) if p.strip())


def _attributed(text: str, start: int, window: int, markers: tuple[re.Pattern[str], ...]) -> bool:
    before = text[max(0, start - window): start]
    return any(m.search(before) for m in markers)


def official_line_evidence(text: str, country: str | None,
                           extra: tuple[Pattern, ...] = ()) -> OfficialLineEvidence:
    """Weighted voiced hits of the official-line patterns for ``country`` (all countries when None)."""
    ol = official_line_patterns()
    weight = attributed = 0
    hits: list[str] = []
    first: tuple[int, str] | None = None
    for pattern in (*ol.patterns, *extra):
        if country is not None and pattern.country not in (None, country):
            continue
        for m in pattern.regex.finditer(text):
            if _attributed(text, m.start(), ol.attribution_window, ol.attribution):
                attributed += 1
                continue
            weight += pattern.weight
            hits.append(pattern.id)
            if first is None or m.start() < first[0]:
                first = (m.start(), m.group(0))
    critical = sum(len(rx.findall(text)) for rx in ol.critical)
    return OfficialLineEvidence(weight, attributed, critical, tuple(hits), first[1] if first else None)


def official_line_verdict(evidence: OfficialLineEvidence, request: RequestShape,
                          answer: AnswerShape) -> Verdict | None:
    """Evasive when the official line dominates the answer: flagged, and clearly more narrative than
    criticism."""
    if not evidence.flagged:
        return None
    if evidence.critical * 2 >= evidence.weight:
        return None  # a critical piece that also names the official positions
    certain = evidence.weight >= 2 * FLAG_WEIGHT and evidence.critical == 0
    hits = ", ".join(sorted(set(evidence.hits)))
    return Verdict(Score(Label.EVASIVE, ScoreLayer.OFFICIAL_LINE,
                         f"official line voiced (weight {evidence.weight}, critical terms {evidence.critical}): "
                         f"{hits}", official_line=True, evidence=evidence.first_span), certain=certain)
