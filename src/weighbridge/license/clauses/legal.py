"""Where and how the licence applies: territory exclusions, export control, governing law, redistribution
and hosting, who owns outputs, whether models trained on outputs are derivatives, whether the licensor may
change the terms or revoke the grant."""

from __future__ import annotations

import re

from ..regions import jurisdiction_code, regions_in
from ..text import Sentence
from .base import NEGATION, Collector, is_definition, is_permission, rx

# Each exclusion clause with where its territories are named: right after the clause (how many characters)
# or inside it ("users located in X may not …").
_EXCLUSION: tuple[tuple[re.Pattern[str], int], ...] = tuple(
    (rx(p), window)
    for p, window in (
        (
            r"(?:licen[cs]e|agreement|grant|rights?|permissions?|terms)\b[^.]{0,80}?\b(?:does|do|shall|will)\s+not\s+apply"
            r"\s+(?:in|to|within)\b",
            160,
        ),
        (
            r"\b(?:territory|worldwide|world-wide|globally|global)\b[^.]{0,60}?\b(?:excluding|except(?:\s+for)?|"
            r"other\s+than|with\s+the\s+exception\s+of|save\s+for|less)\b",
            200,
        ),
        (
            r"\b(?:rights?|licen[cs]es?|permissions?)\b[^.]{0,120}?\b(?:is|are)\s+not\s+(?:being\s+)?(?:granted|available|"
            r"provided|extended|given)\b[^.]{0,160}?\b(?:domiciled|located|resident|residing|headquartered|principal\s+"
            r"place\s+of\s+business|incorporated|established|based)\b",
            160,
        ),
        (
            r"\bnot\s+(?:be\s+)?(?:licensed|permitted|available|authori[sz]ed|allowed|offered|granted)\s+(?:for\s+use\s+)?"
            r"(?:in|within|to\s+(?:\w+\s+){0,3}(?:in|of|from))\b",
            80,
        ),
        (
            NEGATION
            + r"\s+(?:be\s+)?(?:use|used|deploy\w*|distribut\w*|access\w*|offer\w*|ma[dk]e?\s+available|"
            r"provide\w*|export\w*|host\w*)\b[^.]{0,80}?\b(?:in|within|into|to\s+(?:\w+\s+){0,3}"
            r"(?:in|of|from))\b",
            60,
        ),
        (
            r"\b(?:located|domiciled|resident|residing|based|headquartered)\s+in\b[^.]{0,80}?\b(?:may|must|shall|can|"
            r"are|is)\s*not\b",
            0,
        ),
        (r"\b(?:excluded|excludes?)\s+(?:territor\w+|jurisdictions?|countries|regions)\b", 200),
    )
)
# "the laws of the United States", "courts in Hong Kong": a place named for its law, not excluded.
_LAW_CONTEXT = rx(
    r"(?:laws?|regulations?|courts?|government|department|authorit\w+|agenc\w+|rules?|statutes?|"
    r"sanctions?|controls?)\s+(?:of|in|by)\s+(?:the\s+)?(?:[\w.]+\s+){0,3}$"
)
_EXPORT = rx(
    r"export\s+control\w*|export\s+(?:administration|laws?|regulations?|restrictions?)|"
    r"trade\s+(?:compliance|control|sanctions?)|sanctions?\s+(?:laws?|regulations?|programs?|lists?)|"
    r"\bembargo\w*"
)
_STOP = (
    r"(?=\s+(?:without|excluding|and\s+the\s+(?:UN|United\s+Nations)|and\s+any|notwithstanding|except|"
    r"irrespective|regardless)\b|[,;.(]|$)"
)
_LAW = (
    # "governed and construed under", "governed by and construed in accordance with", "governed in all respects by"
    rx(
        r"govern\w*(?:\s+(?:by|and|construed|interpreted|enforced|in\s+all\s+respects)){0,4}\s+(?:by|under|"
        r"in\s+accordance\s+with)\s+(?:the\s+)?"
        r"(?:substantive\s+|internal\s+)?laws?\s+of\s+(?P<place>.{3,120}?)" + _STOP
    ),
    # "This Agreement is subject to the laws of …"
    rx(
        r"(?:agreement|licen[cs]e|terms)\s+(?:is|are|shall\s+be|will\s+be)\s+subject\s+to\s+(?:the\s+)?laws?\s+of\s+"
        r"(?P<place>.{3,120}?)" + _STOP
    ),
    rx(
        r"govern\w*\s+(?:and\s+construed\s+)?(?:by|under)\s+(?:the\s+)?(?P<place>[A-Z][\w'.\s]{1,60}?)\s+laws?\b"
    ),
    rx(r"\blaws?\s+of\s+(?P<place>[^,;.()]{3,80}?)\s+(?:shall|will)\s+govern"),
    rx(r"(?:the\s+)?(?P<place>[^,;.()]{3,60}?)\s+law\s+(?:shall|will)\s+(?:apply|govern)"),
)
_HOSTING_BANNED = rx(
    NEGATION + r"[^.]{0,200}?(?:hosted\s+service|via\s+(?:your\s+|an?\s+)?APIs?\b|"
    r"software[\s-]as[\s-]a[\s-]service|\bSaaS\b|as\s+a\s+(?:hosted\s+|managed\s+|cloud\s+)?service)"
)
_HOSTING_SEPARATE = rx(
    r"(?:hosted\s+services?|hosting|\bSaaS\b|as\s+a\s+service|\bhost\w*)[^.]{0,80}?(?:requires?|"
    r"may\s+require|need\w*|subject\s+to)\s+(?:a\s+)?(?:separate|additional|commercial|specific|"
    r"different)\s+licen"
)
_HOSTING_ALLOWED = rx(
    r"\bmay\s+host\b|\bhost\s+for\s+third[\s-]part|(?:may|can|are\s+(?:free|permitted)\s+to)\s+"
    r"[^.]{0,60}?(?:as\s+a\s+(?:hosted\s+)?service|via\s+(?:an?\s+)?API|software[\s-]as[\s-]a[\s-]"
    r"service)"
)
_HOSTED_IS_DISTRIBUTION = rx(
    r"(?:distribut\w+|share|sharing|making\s+available)\b[^.]{0,200}?(?:hosted\s+service|"
    r"remote\s+means|API-based|web\s+access|\bAPIs?\b)"
)
_REDISTRIBUTE = rx(
    r"(?:right|licen[cs]e|permission|grant\w*|may|free)\b[^.]{0,240}?\b(?:re)?distribut(?:e|ing)\b|"
    r"\bpublish,\s*distribute|\bsublicense\b|\bshare\s+the\s+model|\bdeal\s+in\s+the\b"
)
_NO_REDISTRIBUTE = rx(NEGATION + r"\s+(?:\w+\s+){0,3}(?:re)?distribut\w*|\bno\s+(?:re)?distribution\b")
_QUALIFIED = rx(r"\boutside\b|\bexcept\b|\bunless\b|\bwithout\b|\bother\s+than\b|\bin\s+violation\b")
_OWN_LICENSEE = rx(
    r"claims?\s+no\s+(?:ownership\s+)?(?:rights?|ownership)\s+(?:in|to|over|of)\s+(?:the\s+|any\s+)?(?:outputs?|results?)|"
    r"does\s+not\s+claim\s+(?:any\s+)?(?:ownership|rights?)\s+(?:of|to|in|over)\s+(?:any\s+|the\s+)?outputs?|"
    r"(?:you|licensee)\s+(?:will\s+|shall\s+)?(?:own|retain\s+(?:all\s+)?(?:rights?|ownership))\b[^.]{0,40}?"
    r"\boutputs?|\boutputs?\b[^.]{0,60}?(?:belong|are\s+owned\s+by)\s+(?:to\s+)?(?:you|the\s+licensee)"
)
_OWN_LICENSOR = rx(
    r"(?:licensor|we|us)\s+(?:own|retain\w*)\s+(?:all\s+)?(?:rights?\s+(?:in|to)\s+|ownership\s+of\s+)?"
    r"(?:the\s+|all\s+|any\s+)?outputs?|\boutputs?\b[^.]{0,60}?(?:belong|are\s+owned\s+by|remain\s+the\s+"
    r"property\s+of)\s+(?:to\s+)?(?:the\s+)?(?:licensor|us)"
)
_UPDATABLE = rx(
    r"reserves?\s+the\s+right\s+to\s+(?:update|modify|amend|change|revise)|(?:as\s+)?may\s+be\s+"
    r"(?:updated|amended|modified|revised|changed)\s+(?:from\s+time\s+to\s+time|at\s+any\s+time)|"
    r"may\s+(?:update|modify|amend|change|revise)\s+(?:this|the)\s+(?:\w+\s+){0,3}?(?:agreement|licen[cs]e|"
    r"polic\w+|terms)"
)
_REVOCABLE = rx(r"(?<!ir)\brevocable\b")
_DERIVATIVE_OUTPUTS = rx(
    r"(?:derivative|modification)s?\b[^.]{0,400}?(?:\boutputs?\b|synthetic\s+data|distillation)"
)


def detect(col: Collector) -> None:
    terms = col.terms
    for sentence in col.sentences():
        text = sentence.text
        _territory(col, sentence)
        match = _EXPORT.search(text)
        if match is not None:
            terms.export_control = True
            col.add("export_control", sentence, match.start(), match.end())
        if terms.governing_law is None:
            _governing_law(col, sentence)
        _hosting(col, sentence)
        _redistribution(col, sentence)
        if terms.output_ownership is None:
            for owner, pattern in (("licensee", _OWN_LICENSEE), ("licensor", _OWN_LICENSOR)):
                match = pattern.search(text)
                if match is not None:
                    terms.output_ownership = owner
                    col.add("output_ownership", sentence, match.start(), match.end())
                    break
        for term, pattern in (("terms_updatable", _UPDATABLE), ("revocable", _REVOCABLE)):
            match = pattern.search(text)
            if match is not None:
                setattr(terms, term, True)
                col.add(term, sentence, match.start(), match.end())
        match = _DERIVATIVE_OUTPUTS.search(text)
        if match is not None and is_definition(sentence):
            terms.derivatives_include_outputs = True
            col.add("derivatives_include_outputs", sentence, match.start(), match.end())


def _territory(col: Collector, sentence: Sentence) -> None:
    text = sentence.text
    if is_permission(text):
        return
    for pattern, size in _EXCLUSION:
        match = pattern.search(text)
        if match is None:
            continue
        window = match.group(0) if size == 0 else text[match.end() : match.end() + size]
        found = [(code, at) for code, at in regions_in(window) if _LAW_CONTEXT.search(window[:at]) is None]
        for code, _ in found:
            if code not in col.terms.geographic_restrictions:
                col.terms.geographic_restrictions.append(code)
        if found:
            col.add("geographic_restrictions", sentence, match.start(), match.end())
            return


def _governing_law(col: Collector, sentence: Sentence) -> None:
    for pattern in _LAW:
        match = pattern.search(sentence.text)
        if match is None:
            continue
        place = " ".join(match.group("place").split())
        code = jurisdiction_code(place)
        if code is None:
            continue
        col.terms.governing_law = place
        col.terms.governing_law_code = code
        col.add("governing_law", sentence, match.start(), match.end())
        return


def _hosting(col: Collector, sentence: Sentence) -> None:
    text = sentence.text
    terms = col.terms
    for value, pattern in (
        ("prohibited", _HOSTING_BANNED),
        ("separate_license", _HOSTING_SEPARATE),
        ("allowed", _HOSTING_ALLOWED),
    ):
        match = pattern.search(text)
        if match is None:
            continue
        if value == "prohibited" and (
            _QUALIFIED.search(text, match.start(), match.end()) is not None or is_permission(text)
        ):
            continue
        if terms.hosting is None or (terms.hosting == "allowed" and value != "allowed"):
            terms.hosting = value
            col.add("hosting", sentence, match.start(), match.end())
        break
    if not terms.hosted_service_is_distribution and is_definition(sentence):
        match = _HOSTED_IS_DISTRIBUTION.search(text)
        if match is not None:
            terms.hosted_service_is_distribution = True
            col.add("hosted_service_is_distribution", sentence, match.start(), match.end())


def _redistribution(col: Collector, sentence: Sentence) -> None:
    text = sentence.text
    terms = col.terms
    if terms.redistribution_allowed is True or is_definition(sentence):
        return
    match = _REDISTRIBUTE.search(text)
    negated = _NO_REDISTRIBUTE.search(text)
    if match is not None and (negated is None or negated.start() > match.end()):
        terms.redistribution_allowed = True
        col.add("redistribution_allowed", sentence, match.start(), match.end())
    elif negated is not None and _QUALIFIED.search(text) is None:
        terms.redistribution_allowed = False
        col.add("redistribution_allowed", sentence, negated.start(), negated.end())
