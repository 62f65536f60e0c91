"""What every clause detector shares: the terms being filled in and their evidence."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from ...core.license import Evidence, LicenseTerms
from ..text import LicenseText, Sentence

MAX_EVIDENCE_PER_TERM = 3
QUOTES = "\"\u201c\u201d\u2018\u2019'"
OBLIGATION = r"(?:must|shall|will|are\s+required\s+to|is\s+required\s+to|agree\s+to|undertake\s+to|need\s+to)"
NEGATION = (
    r"(?:(?:must|shall|will|may|can|should)\s*not|cannot|can't|won't|mustn't|shan't|"
    r"agrees?\s+not\s+to|(?:is|are)\s+(?:not\s+(?:permitted|allowed|authori[sz]ed)|prohibited|forbidden)"
    r"|prohibited\s+from|not\s+permitted\s+to)"
)
DEFINITION = re.compile(
    r"[\"\u201c\u201d']\s*(?:means|shall\s+mean|refers\s+to|includes?)\b|^\W*[A-Z][\w\s-]{0,40}"
    r"[\"\u201d]?\s+(?:means|shall\s+mean|refers\s+to)\b|"
    # Chinese definitions: “许可人”或“我们”指…, “软件”是指…
    r"^\W{0,6}[a-z]?\W{0,3}\u201c[^\u201d]{1,20}\u201d[^\u3002]{0,30}?(?:是指|系指|指)",
    re.IGNORECASE,
)


def rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# A sentence that grants or disclaims rather than restricts ("shall not restrict", "no restrictions").
PERMISSION = rx(
    r"(?:does|do|shall|will|is|are|may)\s+not\s+(?:\w+\s+)?(?:restrict|prohibit|prevent|limit|forbid|"
    r"impose\s+(?:any\s+)?(?:restrictions?|limits?))\b|\bnot\s+(?:be\s+)?(?:prohibited|restricted|"
    r"forbidden)\b|\bno\s+restrictions?\b|nothing\s+in\s+this\b[^.]{0,80}?(?:restricts?|prohibits?|"
    r"prevents?|limits?)\b"
)
# The negation right before a verb ("must not display", "never include").
NEGATED_BEFORE = re.compile(r"\b(?:not|never|no)\b\W+(?:\w+\W+){0,2}$", re.IGNORECASE)


def is_permission(text: str) -> bool:
    return PERMISSION.search(text) is not None


def negated_at(text: str, index: int) -> bool:
    """Whether the word at ``index`` is negated ("must not display", "shall never include")."""
    return NEGATED_BEFORE.search(text[max(0, index - 30) : index]) is not None


@dataclass(slots=True)
class Collector:
    """The terms found so far in one document and the sentences that support them."""

    doc: LicenseText
    terms: LicenseTerms = field(default_factory=LicenseTerms)
    evidence: list[Evidence] = field(default_factory=list)
    _count: Counter[str] = field(default_factory=Counter)
    # licence ids that grant sentences incorporate by reference ("licensed under CC BY-NC 4.0"), in order
    referenced: list[tuple[str, Sentence]] = field(default_factory=list)

    def add(self, term: str, sentence: Sentence, start: int = 0, end: int | None = None) -> None:
        """Record ``sentence`` as evidence for ``term`` (the clause at ``start:end`` is kept in the quote)."""
        if self._count[term] >= MAX_EVIDENCE_PER_TERM:
            return
        stop = len(sentence.text) if end is None else end
        for existing in self.evidence:
            if existing.term == term and existing.line == sentence.line_at(start):
                return
        self._count[term] += 1
        quote, _ = sentence.quote(start, stop)
        self.evidence.append(
            Evidence(term=term, quote=quote, file=self.doc.file, line=sentence.line_at(start))
        )

    def has(self, term: str) -> bool:
        return self._count[term] > 0

    def sentences(self) -> Iterator[Sentence]:
        return iter(self.doc.sentences)


def is_definition(sentence: Sentence) -> bool:
    """'"Derivatives" means …', '“Territory” shall mean …'."""
    return DEFINITION.search(sentence.text[:160]) is not None


def quoted(text: str, start: int = 0) -> re.Match[str] | None:
    """The first quoted phrase at or after ``start`` (straight or curly quotes)."""
    return re.compile(rf"[{QUOTES}]([^{QUOTES}]{{1,60}})[{QUOTES}]").search(text, start)
