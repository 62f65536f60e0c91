"""What a licensee must do in public: display or naming duties ("Built with …", a model name in the user
interface), derivative naming rules ("Llama" at the start of a derived model's name), and the quieter
duties that do not count as attribution (keeping NOTICE files, passing use restrictions on)."""

from __future__ import annotations

import re

from ..text import Sentence
from .base import OBLIGATION, QUOTES, Collector, negated_at, rx

_Q = f"[{QUOTES}]"
_NQ = f"[^{QUOTES}]"
_OBLIGATION = rx(OBLIGATION + r"|\brequired\b|\bobliged\b|\bobligat\w+")
_SOFT = rx(
    r"encourag\w+|invited\s+to|appreciate|\bwelcome\s+to|\boptional\w*|\brecommend\w*|"
    r"request\s+that\s+you|(?:may|can)\s+(?:choose\s+to\s+|wish\s+to\s+)?(?:also\s+)?(?:display|mark|state|"
    r"credit|attribute|show)"
)
_PROMINENT = rx(
    r"\b(?:prominently|conspicuously|clearly\s+and\s+visibly|visibly)\s+(?:display|show|state|feature|"
    r"mark|credit|attribute|present|indicate)\w*|\bdisplay\w*\s+(?:prominently|conspicuously)"
)
_VERB = rx(
    r"\b(?:display|show|feature|label|mark|credit|attribute|acknowledge|include|indicate|present|state)\w*"
)
_BRAND = rx(
    rf"{_Q}(?:built|powered|made|created|developed|based|running|trained)\s+(?:with|by|on|using)\s+"
    rf"{_NQ}{{1,40}}{_Q}"
)
_PLACE = rx(
    r"user\s+interfaces?|\bUI\b|\bGUI\b|web\s?sites?|web\s?pages?|home\s?page|about\s+page|blog\s?posts?|"
    r"product\s+(?:page|documentation)|splash\s+screen|app\s+store|landing\s+page|marketing\s+materials?"
)
_ATTRIBUTE_SOURCE = rx(
    r"attribut\w*\s+(?:the\s+)?(?:source|origin|model|work|authorship)[^.]{0,80}?\bto\b|"
    r"attribut\w*\s+(?:the\s+)?(?:source|origin|authorship|authors?)\b|"
    r"give\s+(?:appropriate\s+|clear\s+|proper\s+|due\s+)?credit\b|"
    r"credit\s+the\s+(?:licensor|authors?|creators?)"
)
_NOTICE = rx(r"\bnotices?\b|\bNOTICE\b")
_WITH_COPIES = rx(
    r"\b(?:alongside|together\s+with|with|accompany\w*|as\s+part\s+of)\s+(?:the\s+|any\s+|all\s+|such\s+)?"
    r"(?:copies|distribution|distributions|redistribution)\b|\btext\s+file\b|\bdistributed\s+as\s+part"
)
_DISPLAY_TEXT = re.compile(rf"{_Q}({_NQ}{{1,60}}){_Q}")

_NAME = rf"{_Q}(?P<name>{_NQ}{{1,40}}){_Q}"
_NAMING = tuple(
    rx(p)
    for p in (
        rf"\binclude\s+{_NAME}\s+(?:at|in)\s+the\s+(?:very\s+)?(?:beginning|start|front)\s+of\b[^.]{{0,60}}?\bnames?\b",
        rf"\bnames?\b[^.]{{0,100}}?\b(?:must|shall|should|will|has\s+to|have\s+to)\s+(?:always\s+)?(?:begin|start|"
        rf"commence|be\s+prefixed)\s+(?:with|by)\s+(?:the\s+(?:word|term|prefix|string|mark)\s+)?{_NAME}",
        rf"\bprefix\w*\s+(?:any|the|such|each|every|all|its|their)?\s*[^.]{{0,60}}?\bnames?\s+with\s+{_NAME}",
        rf"{_NAME}\s+(?:must|shall)\s+(?:appear|be\s+(?:included|placed|used|put))\s+(?:at\s+the\s+(?:beginning|start|"
        rf"front)|as\s+(?:a|the)\s+(?:first\s+word|prefix))[^.]{{0,40}}?\bnames?\b",
        rf"\bnames?\b[^.]{{0,80}}?\b(?:must|shall)\s+(?:include|contain|carry|bear)\s+{_NAME}\s+(?:at|as)\s+(?:the\s+)?"
        rf"(?:beginning|start|front|prefix|first\s+word)",
    )
)
# The name must be kept or contained rather than prefixed: "shall retain the name X in the model name",
# "the name of any derivative must include X", "must contain X in its name". The name is quoted or capitalised.
_KEPT = r"(?:retain|keep|include|contain|carry|bear|preserve|mention|reflect)\w*"
_CAP_NAME = r"(?P<cname>[A-Z][\w.+-]*(?:[\s-][A-Z0-9][\w.+-]*){0,2})"
_CONTAINED = tuple(
    rx(p) if "cname" not in p else re.compile(p)
    for p in (
        rf"(?i:\b{_KEPT}\s+(?:the\s+)?(?:name|word|term|mark|string)?\s*){_NAME}(?i:[^.;]{{0,60}}?\b(?:in|within|as\s+part\s+of)"
        rf"\s+(?:the|its|their|any|each|such|your)?\s*(?:\w+\s+){{0,3}}?names?\b)",
        rf"(?i:\bnames?\b[^.;]{{0,100}}?\b(?:must|shall|should|will|has\s+to|have\s+to|is\s+required\s+to|are\s+required\s+to)"
        rf"\s+(?:always\s+|also\s+|clearly\s+)?{_KEPT}\s+(?:the\s+(?:name|word|term|mark)\s+)?){_NAME}",
        rf"(?i:\b{_KEPT}\s+the\s+(?:name|word|term|mark)\s+){_CAP_NAME}(?i:[^.;]{{0,60}}?\b(?:in|within|as\s+part\s+of)"
        rf"\s+(?:the|its|their|any|each|such|your)?\s*(?:\w+\s+){{0,3}}?names?\b)",
        rf"(?i:\bnames?\b[^.;]{{0,100}}?\b(?:must|shall|should|will|is\s+required\s+to|are\s+required\s+to)\s+"
        rf"(?:always\s+|also\s+|clearly\s+)?{_KEPT}\s+(?:the\s+(?:name|word|term|mark)\s+)?){_CAP_NAME}",
    )
)
# "Powered by X" / "Built with X" without quotes, and citation duties ("you must cite the paper").
_BRAND_BARE = re.compile(
    r"\b(?:[Bb]uilt|[Pp]owered|[Mm]ade|[Cc]reated|[Dd]eveloped|[Dd]riven)\s+(?:with|by|on|using)\s+"
    r"[A-Z][\w.+-]*(?:\s+[A-Z0-9][\w.+-]*){0,3}"
)
_CITE = rx(
    r"\b(?:cite|citation|reference)\w*\b[^.;]{0,120}?\b(?:paper|publication|work|model|article|report|"
    r"following|below|authors?)\b|\backnowledg\w+\b[^.;]{0,120}?\b(?:in|within)\s+(?:any\s+|all\s+|your\s+)?"
    r"(?:publications?|papers?|research|reports?|articles?|presentations?)"
)
_ABOUT_MODELS = rx(r"\bmodels?\b|\bderivative|fine[\s-]?tun|\bAI\b|\bweights\b|\bcheckpoints?\b")
_NOTICE_DUTY = rx(
    r"(?:retain|include|keep|reproduce|provide|give|accompan\w+|carry)[^.]{0,100}?(?:\bnotices?\b|"
    r"copy\s+of\s+(?:this|the)\s+(?:agreement|licen[cs]e))|\bnotices?\b[^.]{0,100}?(?:shall|must)\s+be\s+"
    r"(?:included|retained|reproduced)"
)
_FLOW_DOWN = rx(
    r"enforceable\s+provision|same\s+use-based\s+restrictions|"
    r"(?:pass|flow)\w*\s+(?:on|down|through)\b[^.]{0,60}?restrictions|"
    r"restrictions\b[^.]{0,100}?(?:must|shall)\s+(?:also\s+)?(?:be\s+)?(?:included|passed|flow|"
    r"apply\s+to\s+(?:any\s+)?(?:recipients?|downstream))|"
    r"\bincludes?:?\s*(?:\(?a[.)]\s*)?Paragraph\s+\d+\s+and\s+the\s+restrictions|"
    r"(?:require|ensure)\s+(?:that\s+)?all\s+(?:of\s+)?(?:your\s+)?(?:users|recipients)\b[^.]{0,80}?"
    r"comply"
)


def detect(col: Collector) -> None:
    for sentence in col.sentences():
        text = sentence.text
        _attribution(col, sentence)
        if col.terms.derivative_naming is None:
            _contained_name(col, sentence)
        if col.terms.derivative_naming is None:
            for pattern in _NAMING:
                match = pattern.search(text)
                if (
                    match is not None
                    and _ABOUT_MODELS.search(text) is not None
                    and not negated_at(text, match.start())
                    and " not " not in match.group(0).lower()
                ):
                    col.terms.derivative_naming = match.group("name").strip()
                    col.add("derivative_naming", sentence, match.start(), match.end())
                    break
        match = _NOTICE_DUTY.search(text)
        if match is not None:
            col.terms.notice_required = True
            col.add("notice_required", sentence, match.start(), match.end())
        match = _FLOW_DOWN.search(text)
        if match is not None:
            col.terms.restrictions_flow_down = True
            col.add("restrictions_flow_down", sentence, match.start(), match.end())


def _contained_name(col: Collector, sentence: Sentence) -> None:
    """A derived model must keep or contain the original name: a naming duty, and so a public attribution."""
    text = sentence.text
    if _ABOUT_MODELS.search(text) is None or _OBLIGATION.search(text) is None:
        return
    for pattern in _CONTAINED:
        match = pattern.search(text)
        if match is None or negated_at(text, match.start()) or " not " in match.group(0).lower():
            continue
        name = match.groupdict().get("name") or match.groupdict().get("cname") or ""
        name = name.strip().rstrip(".,;:")
        if not name or name.lower() in ("the", "this", "such", "licensor", "model"):
            continue
        col.terms.derivative_naming = name
        col.add("derivative_naming", sentence, match.start(), match.end())
        col.terms.attribution = True
        col.add("attribution", sentence, match.start(), match.end())
        return


def _attribution(col: Collector, sentence: Sentence) -> None:
    text = sentence.text
    obligation = _OBLIGATION.search(text)
    if obligation is None:
        return
    span = _display_duty(text)
    if span is None:
        return
    start, end = span
    if negated_at(text, start):
        return
    soft = _SOFT.search(text, 0, end)
    if soft is not None and soft.start() < start:
        return
    col.terms.attribution = True
    if col.terms.attribution_text is None:
        shown = _DISPLAY_TEXT.search(text, start, min(len(text), end + 80))
        if shown is not None:
            col.terms.attribution_text = shown.group(1).strip()
    col.add("attribution", sentence, start, end)


def _copies_notice(text: str) -> bool:
    """A notice shown with distributed copies ("alongside the Distribution", "a Notice text file"): a notice
    duty, not a display in a product, unless a product place (user interface, website) is named too."""
    return (
        _NOTICE.search(text) is not None
        and _WITH_COPIES.search(text) is not None
        and _PLACE.search(text) is None
    )


def _display_duty(text: str) -> tuple[int, int] | None:
    prominent = _PROMINENT.search(text)
    if prominent is not None and not _copies_notice(text):
        return prominent.start(), prominent.end()
    brand = _BRAND.search(text) or _BRAND_BARE.search(text)
    if brand is not None:
        verb = _VERB.search(text, max(0, brand.start() - 80), brand.start())
        if verb is not None:
            return verb.start(), brand.end()
    source = _ATTRIBUTE_SOURCE.search(text) or _CITE.search(text)
    if source is not None:
        return source.start(), source.end()
    if _NOTICE.search(text) is not None:
        return None  # keeping or reproducing notices is not a display duty
    for place in _PLACE.finditer(text):
        verb = _VERB.search(text, max(0, place.start() - 120), place.start())
        if verb is not None:
            return verb.start(), place.end()
    return None
