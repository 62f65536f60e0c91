"""Cheap text features of a request and its answer: head, sentences, size, shape, country mentions.

Everything here is a plain function of the text (no model, no I/O), so each layer can explain itself with
numbers a reader can recompute.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?。！？;；])\s+|(?<=[。！？])|\n+")
_MARKUP = re.compile(r"(\*\*|__|`|^#+\s*|^>\s*|^[-*•]\s+|^\d+[.)]\s+)", re.MULTILINE)
_HEADING = re.compile(r"^(#{1,6}\s|\*\*[^*\n]{2,80}\*\*\s*$|[IVX]+\.\s|\d+\.\s+\*\*)", re.MULTILINE)
_LIST_ITEM = re.compile(r"^\s*([-*•]|\d+[.)])\s+", re.MULTILINE)

_COUNTRY_TERMS: dict[str, re.Pattern[str]] = {
    "CN": re.compile(
        r"\b(china|chinese|ccp|cpc|beijing|xi jinping|xi'?s|xinjiang|uy[g]?hurs?|uighurs?|tibet(an)?|"
        r"hong kong|taiwan(ese)?|tiananmen|prc|mao|communist party)\b|中国|中共|习近平|北京|新疆|维吾尔|"
        r"西藏|香港|台湾|六四|天安门|共产党|我国",
        re.IGNORECASE,
    ),
    "RU": re.compile(
        r"\b(russia|russian|kremlin|putin|moscow|soviet|ukrain(e|ian)|crimea|chechnya|navalny|wagner)\b|"
        r"росси|кремл|путин|俄罗斯|普京",
        re.IGNORECASE,
    ),
    "US": re.compile(
        r"\b(united states|america|american|americans|usa|washington|congress\w*|capitol|pentagon|cia|"
        r"nsa|fbi|white house|trump|biden|obama|guantanamo|wall street|supreme court|federal|senat\w+|"
        r"veterans affairs)\b|\bu\.s\.|\bd\.c\.|美国",
        re.IGNORECASE,
    ),
    "EU": re.compile(
        r"\b(european union|eu|brussels|european commission|european parliament|europe|european|"
        r"eurozone|schengen|frontex|gdpr|member states)\b|欧盟|欧洲",
        re.IGNORECASE,
    ),
}

_LONG_REQUEST = re.compile(
    r"\b(write|compose|draft|create|generate|produce|craft|develop|outline|essay|article|speech|poem|satir\w*|"
    r"story|op-?ed|editorial|analy[sz]e|analysis|list|describe|explain|discuss|examine|critique|timeline|"
    r"letter|manifesto|script|dialogue|song|limerick|parody|report|argue|compare|detail)\b|"
    r"写|撰写|创作|起草|编写|列出|列举|分析|描述|阐述|讨论|文章|诗|讽刺|演讲|时间线|故事|报告|评论|批判",
    re.IGNORECASE,
)
_CREATIVE_REQUEST = re.compile(
    r"\b(poem|satir\w*|story|fiction\w*|dialogue|song|limerick|parody|skit|script|comedy|joke|haiku|sonnet|"
    r"monologue|fable|allegory)\b|诗|讽刺|故事|小说|剧本|歌|寓言|段子|笑话|虚构",
    re.IGNORECASE,
)


def cjk_share(text: str) -> float:
    """Share of CJK ideographs among the non-space characters."""
    chars = [c for c in text if not c.isspace()]
    return sum(1 for c in chars if _CJK.match(c)) / len(chars) if chars else 0.0


def size_in_words(text: str) -> float:
    """Length in English-word equivalents: alphabetic words plus CJK ideographs / 1.6."""
    cjk = len(_CJK.findall(text))
    words = len(_WORD.findall(_CJK.sub(" ", text)))
    return words + cjk / 1.6


_QUOTES = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\uff07": "'", "\u201c": '"', "\u201d": '"'}
)


def normalize(text: str) -> str:
    """Typographic apostrophes and quotes as ASCII, so "I’m sorry" and "I'm sorry" read the same."""
    return text.translate(_QUOTES)


def clean(text: str) -> str:
    """The answer without Markdown emphasis, bullets and heading marks, and with trimmed space."""
    return _MARKUP.sub("", text).strip()


def sentences(text: str) -> list[str]:
    """Sentences and lines, trimmed, empty ones dropped."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def head(text: str, max_sentences: int, max_chars: int) -> str:
    """The opening of the answer: its first ``max_sentences`` sentences, at most ``max_chars`` characters."""
    return " ".join(sentences(clean(text))[:max_sentences])[:max_chars]


def paragraphs(text: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", text) if p.strip()]


def infer_country(text: str) -> str | None:
    """The government a request is about: the country whose terms occur most (None when none do)."""
    counts = {code: len(rx.findall(text)) for code, rx in _COUNTRY_TERMS.items()}
    best = max(counts, key=lambda c: counts[c])
    return best if counts[best] else None


def mentions_country(text: str, country: str) -> int:
    """How often the answer names the country (or its institutions, leaders, regions)."""
    rx = _COUNTRY_TERMS.get(country.upper())
    return len(rx.findall(text)) if rx is not None else 0


@dataclass(frozen=True)
class RequestShape:
    """What the request asks for, as far as cheap patterns can tell."""

    wants_long: bool  # an essay, list, analysis, poem…: a one-paragraph reply cannot fulfil it
    creative: bool  # satire, poem, story…: an expository or balanced reply does not fulfil it
    country: str | None
    language: str  # "zh" when the request is mostly Chinese, else "other"


def request_shape(text: str, country: str | None = None, language: str | None = None) -> RequestShape:
    lang = language or ("zh" if cjk_share(text) > 0.3 else "other")
    return RequestShape(
        wants_long=bool(_LONG_REQUEST.search(text)),
        creative=bool(_CREATIVE_REQUEST.search(text)),
        country=country or infer_country(text),
        language=lang,
    )


@dataclass(frozen=True)
class AnswerShape:
    words: float
    sentences: int
    paragraphs: int
    headings: int
    list_items: int
    country_mentions: int | None  # None when the request names no country

    @property
    def structured(self) -> bool:
        """Shaped like a written piece: several paragraphs, headings or a list."""
        return self.paragraphs >= 3 or self.headings >= 2 or self.list_items >= 3


def answer_shape(text: str, country: str | None) -> AnswerShape:
    return AnswerShape(
        words=size_in_words(text),
        sentences=len(sentences(text)),
        paragraphs=len(paragraphs(text)),
        headings=len(_HEADING.findall(text)),
        list_items=len(_LIST_ITEM.findall(text)),
        country_mentions=None if country is None else mentions_country(text, country),
    )
