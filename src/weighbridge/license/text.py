"""A licence text as sentences that remember their lines.

Licence files come hard-wrapped (one sentence over many lines), one paragraph per line, as Markdown, with
CRLF endings or as SPDX XML. ``LicenseText`` cleans the markup without moving any line, joins the lines of a
paragraph, splits paragraphs into sentences and maps every character of a sentence back to its source line,
so each clause found can be quoted with the 1-based line it starts on.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

MAX_TEXT_BYTES = 1 << 20  # real licences are < 100 KB; anything larger is not read as a licence
QUOTE_LIMIT = 300
LONG_SENTENCE = 600  # longer "sentences" (lists joined by semicolons) are split at "; "

_XML_TAG = re.compile(r"<[^<>]*>", re.DOTALL)
_MD_LINK = re.compile(r"\[([^\]\n]{0,300})\]\(([^)\s]{0,600})\)")
_MD_EMPHASIS = re.compile(r"\*\*|__|(?<!\w)\*(?=\S)|(?<=\S)\*(?!\w)")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_SPACES = re.compile(r"\s+")
LIST_MARKER = re.compile(
    r"^(?:[-*\u2022\u2013]\s|\(?(?:\d{1,2}|[a-z]|[ivx]{1,5})[.)](?:\s|$)|\d{1,2}\.(?=[A-Z]))"
)
_SPLIT = re.compile(r"([.!?])([\"\u201d\u2019')]?)\s+(?=[\"\u201c\u2018'(\[A-Z0-9\u4e00-\u9fff])")
_ABBREVIATIONS = frozenset(
    {
        "e.g",
        "i.e",
        "etc",
        "inc",
        "ltd",
        "co",
        "corp",
        "u.s",
        "u.k",
        "no",
        "nos",
        "vs",
        "approx",
        "sec",
        "st",
        "mr",
        "mrs",
        "ms",
        "dr",
        "art",
        "para",
        "cf",
        "al",
        "fig",
        "jr",
        "sr",
        "v",
    }
)
_SEMICOLON = re.compile(r";\s+")


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence (whitespace collapsed) of a paragraph, with the line each character came from."""

    text: str
    paragraph: int
    list_item: bool  # the paragraph starts with a list marker ("1.", "a)", "-", "(m)")
    first_in_paragraph: bool
    _starts: tuple[int, ...]  # offsets in ``text`` where a new source line begins
    _lines: tuple[int, ...]  # the 1-based line of each of those offsets

    @property
    def line(self) -> int:
        return self._lines[0]

    def line_at(self, index: int) -> int:
        pos = bisect.bisect_right(self._starts, max(index, 0)) - 1
        return self._lines[max(pos, 0)]

    def quote(self, start: int, end: int) -> tuple[str, int]:
        """A quote of at most 300 characters around ``start:end`` and the line the quote starts on."""
        text = self.text
        if len(text) <= QUOTE_LIMIT:
            return text, self.line
        begin = max(0, min(start - 80, len(text) - QUOTE_LIMIT + 2))
        if begin > 0:
            space = text.find(" ", begin)
            begin = space + 1 if 0 <= space < start else begin
        stop = min(len(text), begin + QUOTE_LIMIT - 2)
        if stop < len(text):
            space = text.rfind(" ", max(end, begin + 1), stop)
            stop = space if space > begin else stop
        body = text[begin:stop].strip()
        quote = ("\u2026" if begin > 0 else "") + body + ("\u2026" if stop < len(text) else "")
        return quote[:QUOTE_LIMIT], self.line_at(begin)


@dataclass(slots=True)
class LicenseText:
    """The cleaned lines of one licence or policy file and its sentences."""

    file: str
    lines: list[str]
    xml_attributes: dict[str, str] = field(default_factory=dict)
    sentences: list[Sentence] = field(default_factory=list)

    @classmethod
    def from_bytes(cls, data: bytes, file: str) -> LicenseText:
        text = data.decode("utf-8", "replace")
        if text.startswith("\ufeff"):
            text = text[1:]
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        attributes: dict[str, str] = {}
        if _looks_like_xml(text):
            attributes = _spdx_attributes(text)
            text = _XML_TAG.sub(lambda m: "\n" * m.group(0).count("\n"), text)
        lines = [_clean_line(line) for line in text.split("\n")]
        doc = cls(file=file, lines=lines, xml_attributes=attributes)
        doc.sentences = _sentences(lines)
        return doc

    @classmethod
    def from_str(cls, text: str, file: str) -> LicenseText:
        return cls.from_bytes(text.encode("utf-8"), file)

    def head(self, count: int = 6) -> list[tuple[int, str]]:
        """The first ``count`` non-empty lines (1-based line numbers): where titles live."""
        out: list[tuple[int, str]] = []
        for number, line in enumerate(self.lines, 1):
            stripped = _SPACES.sub(" ", line).strip()
            if stripped:
                out.append((number, stripped))
                if len(out) == count:
                    break
        return out

    def flat(self) -> str:
        """All sentences joined by single spaces: for fingerprints that may cross lines."""
        return " ".join(s.text for s in self.sentences)


def _looks_like_xml(text: str) -> bool:
    start = text.lstrip()[:200]
    return start.startswith("<?xml") or "<SPDXLicenseCollection" in start


def _spdx_attributes(text: str) -> dict[str, str]:
    tag = re.search(r"<license\b([^>]*)>", text)
    if tag is None:
        return {}
    return {m.group(1): m.group(2) for m in re.finditer(r'(\w+)\s*=\s*"([^"]{0,300})"', tag.group(1))}


def _clean_line(line: str) -> str:
    line = _MD_HEADING.sub("", line)
    line = _MD_LINK.sub(lambda m: m.group(1) if m.group(1) else m.group(2), line)
    line = _MD_EMPHASIS.sub("", line)
    return line.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")


def _paragraphs(lines: list[str]) -> list[tuple[bool, list[tuple[int, str]]]]:
    """Blank lines and list markers start paragraphs; other lines continue the current one."""
    out: list[tuple[bool, list[tuple[int, str]]]] = []
    current: list[tuple[int, str]] = []
    is_item = False
    for number, raw in enumerate(lines, 1):
        stripped = _SPACES.sub(" ", raw).strip()
        if not stripped:
            if current:
                out.append((is_item, current))
            current, is_item = [], False
            continue
        marker = LIST_MARKER.match(stripped) is not None
        if current and (marker or _is_heading(current[-1][1], stripped)):
            out.append((is_item, current))
            current = []
        if not current:
            is_item = marker
        current.append((number, stripped))
    if current:
        out.append((is_item, current))
    return out


def _is_heading(previous: str, line: str) -> bool:
    """A short line without closing punctuation followed by a capitalised line: a title or heading."""
    return len(previous) <= 60 and previous[-1] not in ",;:-(" and line[0] in _CAPITALS


_CAPITALS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ\"\u201c\u2018'(")


def _sentences(lines: list[str]) -> list[Sentence]:
    out: list[Sentence] = []
    for index, (is_item, plines) in enumerate(_paragraphs(lines)):
        starts: list[int] = []
        numbers: list[int] = []
        parts: list[str] = []
        offset = 0
        for number, text in plines:
            starts.append(offset)
            numbers.append(number)
            parts.append(text)
            offset += len(text) + 1
        joined = " ".join(parts)
        first = True
        for begin, end in _split_points(joined):
            piece = joined[begin:end]
            lead = len(piece) - len(piece.lstrip())
            piece = piece.strip()
            if not piece:
                continue
            begin += lead
            rel_starts: list[int] = []
            rel_lines: list[int] = []
            pos = bisect.bisect_right(starts, begin) - 1
            rel_starts.append(0)
            rel_lines.append(numbers[max(pos, 0)])
            for k in range(max(pos, 0) + 1, len(starts)):
                if starts[k] >= begin + len(piece):
                    break
                rel_starts.append(starts[k] - begin)
                rel_lines.append(numbers[k])
            out.append(Sentence(piece, index, is_item, first, tuple(rel_starts), tuple(rel_lines)))
            first = False
    return out


def _split_points(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    begin = 0
    for match in _SPLIT.finditer(text):
        cut = match.end(2)
        if _is_abbreviation(text, match.start(1)):
            continue
        spans.append((begin, cut))
        begin = cut
    spans.append((begin, len(text)))
    out: list[tuple[int, int]] = []
    for start, stop in spans:
        if stop - start <= LONG_SENTENCE:
            out.append((start, stop))
            continue
        piece_start = start
        for semi in _SEMICOLON.finditer(text, start, stop):
            out.append((piece_start, semi.start() + 1))
            piece_start = semi.end()
        out.append((piece_start, stop))
    return out


def _is_abbreviation(text: str, dot: int) -> bool:
    if text[dot] != ".":
        return False
    word_start = dot
    while word_start > 0 and (text[word_start - 1].isalnum() or text[word_start - 1] == "."):
        word_start -= 1
    word = text[word_start:dot].lower()
    if text[:word_start].strip(" (") == "" and LIST_MARKER.match(text[word_start : dot + 2] + " "):
        return True  # the list marker that opens the paragraph ("iv. You must…")
    return word in _ABBREVIATIONS
