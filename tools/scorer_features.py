"""Features for the learned-layer experiment of ``tools/train_scorer.py`` (not shipped: the experiment found
that the layer does not generalise better than the patterns; see benchmarks/README-scorer.md).

What the pattern layers saw for one answer — which layer fired and how sure it was, official-line weights,
refusal/deflection hits, length for the kind of request, country mentions, hedging, structure, language —
as named numbers, plus hashed word n-grams of the answer's opening (CRC-32 bucket indices, so the same
text gives the same buckets anywhere). Plain Python over the package's public scoring functions.
"""

from __future__ import annotations

import math
import re
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from weighbridge.audit.scoring.deflection import deflection_verdict, hedge_share  # noqa: E402
from weighbridge.audit.scoring.features import (  # noqa: E402
    AnswerShape,
    RequestShape,
    answer_shape,
    cjk_share,
    head,
    normalize,
    request_shape,
    sentences,
)
from weighbridge.audit.scoring.layers import pattern_verdict  # noqa: E402
from weighbridge.audit.scoring.official_line import (  # noqa: E402
    OfficialLineEvidence,
    asks_for_official_voice,
    official_line_evidence,
    official_line_verdict,
    prompt_phrases,
)
from weighbridge.audit.scoring.patterns import deflection_patterns, first_match, refusal_patterns  # noqa: E402
from weighbridge.audit.scoring.refusal import refusal_verdict  # noqa: E402
from weighbridge.audit.scoring.verdict import Verdict  # noqa: E402
from weighbridge.core.audit import Label, Prompt, PromptKind, ScoreLayer  # noqa: E402

ARRANGEMENTS = ("all", "uncertain", "uncertain+default")
# all               the classifier labels every answer (terminal outcomes aside)
# uncertain         the patterns' certain verdicts stand; the classifier labels the uncertain ones
# uncertain+default certain refusal/deflection/official-line verdicts stand; the classifier labels the
#                   uncertain ones and every default "complete"


@dataclass(frozen=True)
class PatternAnalysis:
    """Everything the pattern layers look at for one answer, what each of them would say on its own, and
    the first-that-settles verdict the scorer gives (``pattern_verdict``)."""

    text: str  # normalized answer
    request: RequestShape
    answer: AnswerShape
    evidence: OfficialLineEvidence
    refusal: Verdict | None
    official: Verdict | None
    deflection: Verdict | None
    hedge: float
    verdict: Verdict


def pattern_analysis(prompt: Prompt, text: str) -> PatternAnalysis:
    """Run every pattern layer (not only up to the first that settles) on a non-empty answer."""
    normalized = normalize(text)
    request = request_shape(prompt.text, prompt.country, prompt.language if prompt.language != "en" else None)
    answer = answer_shape(normalized, request.country)
    extra = prompt_phrases(prompt.official_line) if prompt.kind is PromptKind.FACTUAL else ()
    evidence = official_line_evidence(normalized, extra)
    return PatternAnalysis(
        normalized,
        request,
        answer,
        evidence,
        refusal_verdict(normalized, answer),
        official_line_verdict(evidence, prompt.text, request, answer),
        deflection_verdict(normalized, request, answer),
        hedge_share(normalized),
        pattern_verdict(prompt, text),
    )


_COUNTRIES = ("CN", "RU", "US", "EU")
_LAYERS = (
    ScoreLayer.REFUSAL_PATTERN,
    ScoreLayer.DEFLECTION_PATTERN,
    ScoreLayer.OFFICIAL_LINE,
    ScoreLayer.DEFAULT,
)

DENSE_FEATURES: tuple[str, ...] = (
    "verdict_evasive",
    "verdict_denial",
    "verdict_certain",
    "certain_complete",
    "certain_evasive",
    "certain_denial",
    *(f"layer_{layer.value}" for layer in _LAYERS),
    "refusal_fired",
    "refusal_denial",
    "refusal_evasive",
    "refusal_certain",
    "official_fired",
    "official_certain",
    "deflection_fired",
    "deflection_certain",
    "ol_weight",
    "ol_opening",
    "ol_attributed",
    "ol_critical",
    "ol_flagged",
    "ol_net",
    "log_words",
    "log_sentences",
    "log_paragraphs",
    "log_headings",
    "log_list_items",
    "structured",
    "words_lt_60",
    "words_lt_150",
    "words_lt_300",
    "words_ge_600",
    "no_country",
    "log_country_mentions",
    "country_per_100_words",
    "country_absent",
    "hedge_share",
    "hedge_ge_25",
    "wants_long",
    "creative",
    "persona",
    "long_words",
    "creative_words",
    "long_short",
    "request_zh",
    *(f"country_{c}" for c in _COUNTRIES),
    "answer_cjk",
    "zh_request_other_answer",
    "other_request_zh_answer",
    "refusal_anywhere",
    "canned_opening",
    "canned_anywhere",
    "change_topic",
    "redirect",
    "clarify",
    "sensitivity_opening",
    "instead_of_task_opening",
    "ends_with_question",
    "title_first",
    "opening_hedges",
)

_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]", re.UNICODE)
_TITLE = re.compile(r"^\s*(#{1,6}\s|\*\*[^*\n]{2,120}\*\*\s*\n)")


def _log(x: float) -> float:
    return math.log1p(max(x, 0.0))


def dense_features(a: PatternAnalysis, prompt_text: str) -> list[float]:
    """The named numeric features (``DENSE_FEATURES`` order) of one analysed answer."""
    v = a.verdict
    label, layer, certain = v.score.label, v.score.layer, float(v.certain)
    words = a.answer.words
    ev = a.evidence
    mentions = a.answer.country_mentions
    request_zh = a.request.language == "zh"
    answer_cjk = cjk_share(a.text)
    dp = deflection_patterns()
    rp = refusal_patterns()
    opening = head(a.text, 3, 500)
    parts = sentences(a.text)
    opening_parts = parts[:3]
    hedges = dp.hedge
    values: list[float] = [
        float(label is Label.EVASIVE),
        float(label is Label.DENIAL),
        certain,
        certain * (label is Label.COMPLETE),
        certain * (label is Label.EVASIVE),
        certain * (label is Label.DENIAL),
        *(float(layer is lay) for lay in _LAYERS),
        float(a.refusal is not None),
        float(a.refusal is not None and a.refusal.score.label is Label.DENIAL),
        float(a.refusal is not None and a.refusal.score.label is Label.EVASIVE),
        float(a.refusal is not None and a.refusal.certain),
        float(a.official is not None),
        float(a.official is not None and a.official.certain),
        float(a.deflection is not None),
        float(a.deflection is not None and a.deflection.certain),
        _log(ev.weight),
        _log(ev.opening),
        _log(ev.attributed),
        _log(ev.critical),
        float(ev.flagged),
        math.copysign(_log(abs(ev.weight - 2 * ev.critical)), ev.weight - 2 * ev.critical),
        _log(words),
        _log(a.answer.sentences),
        _log(a.answer.paragraphs),
        _log(a.answer.headings),
        _log(a.answer.list_items),
        float(a.answer.structured),
        float(words < 60),
        float(words < 150),
        float(words < 300),
        float(words >= 600),
        float(mentions is None),
        _log(mentions or 0),
        min(100.0 * (mentions or 0) / max(words, 1.0), 10.0),
        float(mentions == 0),
        a.hedge,
        float(a.hedge >= 0.25),
        float(a.request.wants_long),
        float(a.request.creative),
        float(asks_for_official_voice(prompt_text)),
        float(a.request.wants_long) * _log(words),
        float(a.request.creative) * _log(words),
        float(a.request.wants_long and words < 60),
        float(request_zh),
        *(float(a.request.country == c) for c in _COUNTRIES),
        answer_cjk,
        float(request_zh and answer_cjk < 0.1),
        float(not request_zh and answer_cjk > 0.3),
        float(first_match(rp.patterns, a.text) is not None),
        float(first_match(dp.canned, opening) is not None),
        float(first_match(dp.canned, a.text) is not None),
        float(first_match(dp.change_topic, a.text) is not None),
        float(first_match(dp.redirect, a.text) is not None),
        float(first_match(dp.clarify, a.text) is not None),
        float(first_match(dp.sensitivity, opening) is not None),
        float(first_match(dp.instead_of_task, opening) is not None),
        float(bool(parts) and parts[-1].rstrip("*_ )").endswith(("?", "？"))),
        float(bool(_TITLE.match(a.text))),
        sum(1.0 for s in opening_parts if any(p.search(s) for p in hedges)) / max(len(opening_parts), 1),
    ]
    if len(values) != len(DENSE_FEATURES):
        raise AssertionError(f"{len(values)} feature values for {len(DENSE_FEATURES)} names")
    return values


def opening_buckets(text: str, buckets: int, chars: int) -> list[int]:
    """Hash buckets (sorted, distinct) of the word unigrams and bigrams of the answer's first ``chars``
    characters; a CJK ideograph counts as a word. CRC-32, so the same text gives the same buckets anywhere."""
    if buckets <= 0:
        return []
    tokens = [t.lower() for t in _TOKEN.findall(text[:chars])]
    grams = [f"1 {t}" for t in tokens] + [f"2 {a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
    return sorted({zlib.crc32(g.encode("utf-8")) % buckets for g in grams})
