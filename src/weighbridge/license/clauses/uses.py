"""How the model may be used: incorporated acceptable-use policies, use-based restrictions by field
(military, medical advice, law enforcement, critical infrastructure, automated decisions…), bans on using
outputs to improve other models, and the licensor's right to restrict usage remotely."""

from __future__ import annotations

import re
from dataclasses import replace

from ...core.license import OutputTraining
from ..text import LIST_MARKER, Sentence
from .base import NEGATION, Collector, is_definition, is_permission, rx

_POLICY = rx(
    r"acceptable\s+use\s+polic\w+|(?:prohibited|permitted|responsible)\s+use\s+polic\w+|usage\s+polic\w+|"
    r"\buse\s+polic\w+|\bAUP\b|use\s+guidelines|code\s+of\s+conduct|trustworthy\s+AI\s+terms|"
    # the same document under other names: "Prohibited Use Policy", "Responsible AI Guidelines",
    # "Usage Rules", "Content Standards", "use restrictions set out in Exhibit B"
    r"\b(?:prohibited|permitted|acceptable|responsible|restricted|allowed|fair)\s+(?:AI\s+)?(?:uses?|usage)\s+"
    r"(?:polic\w+|guidelines|terms|standards|rules|restrictions|requirements)|"
    r"\b(?:usage|use|conduct|content|safety|responsible\s+AI|AI\s+safety|ethics?|ethical)\s+(?:polic\w+|"
    r"guidelines|standards|rules|principles|requirements)"
)
# A policy named with capitals ("the Nimbus Safety Policy") that the text itself never defines.
_NAMED_POLICY = re.compile(
    r"\b(?:[A-Z][\w.&-]*\s+){1,4}(?:Polic(?:y|ies)|Guidelines|Rules|Standards|Principles)\b"
)
_NOT_A_USE_POLICY = rx(
    r"privacy|cookie|data\s+protection|security\s+polic|refund|shipping|return|"
    r"contribut\w+\s+guidelines|brand\s+guidelines|trademark"
)
_HERE = rx(r"\bsection\s+\d|\bthis\s+(?:agreement|licen[cs]e)\b|\bherein\b|\bbelow\b|\babove\b|\battached\b")
# A restriction list in another document: "the restrictions in Attachment A", "Exhibit 2", "Appendix I"
_ATTACHED = rx(
    r"\b(?P<kind>attachment|exhibit|appendix|schedule|annex|addendum)\s+(?P<label>[A-Z0-9]{1,3}|[IVX]{1,4})\b"
)
_RESTRICTION_WORDS = rx(
    r"restrict\w*|prohibit\w*|limitations?|polic\w+|not\s+(?:to\s+)?use|use\s+(?:of|in)|"
    r"in\s+accordance|comply|complian\w+|subject\s+to|set\s+(?:forth|out)"
)
_DOCUMENT_URL = rx(
    r"(?:polic\w+|guidelines|rules|standards|restrictions|terms|requirements)\b[^.]{0,120}?"
    r"(?:https?://|www\.)|(?:https?://|www\.)[^\s]{0,120}?(?:polic|guideline|rules|terms|use)"
)
_INCORPORATED = rx(
    r"incorporated\s+(?:herein\s+|into\s+this\s+\w+\s+)?by\s+reference|incorporated\s+(?:herein|into)|"
    r"\b(?:forms?|constitutes?|is|are)\s+(?:an?\s+)?(?:integral\s+)?part\s+of\s+(?:this|the)\b|"
    r"\bas\s+set\s+(?:forth|out)\s+in\b|\b(?:set\s+(?:forth|out)|listed|described|specified|"
    r"contained)\s+in\s+(?:the\s+)?(?:attachment|exhibit|appendix|schedule|annex|addendum)\b|"
    r"\b(?:available|found|located|published)\s+at\b|"
    r"(?:must|shall|will|agree\s+to)\s+(?:\w+\s+){0,3}?(?:adhere\s+to|comply\s+with|abide\s+by|"
    r"follow)\b|\bconsistent\s+with\b|subject\s+to\s+[^.]{0,60}?\b(?:the\s+)?(?:\w+\s+){0,4}?(?:polic\w+|AUP)\b|"
    r"in\s+accordance\s+with\s+[^.]{0,40}?\b(?:polic\w+|AUP)\b"
)
_SELF = rx(r"\bthis\s+(?:acceptable\s+use\s+|usage\s+|use\s+)?polic")
_URL = re.compile(
    r"(?:https?://|www\.)[^\s)\]>\"\u201d,;]+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|ai|org|io|dev)"
    r"/[^\s)\]>\"\u201d,;]*",
    re.IGNORECASE,
)

CATEGORIES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, rx(p))
    for name, p in (
        (
            "military",
            r"\bmilitar\w*|\bwarfare\b|armed\s+conflicts?|\bcombat\b|\bdefen[cs]e\s+(?:applications?|purposes)",
        ),
        (
            "weapons",
            r"\bweapon\w*|\bfirearms?\b|\bguns?\b|\bmunitions?\b|\bexplosives?\b|\bITAR\b|"
            r"International\s+Traffic\s+(?:in\s+)?Arms",
        ),
        ("nuclear", r"\bnuclear\b"),
        (
            "surveillance",
            r"\bsurveil\w+|\bespionage\b|biometric\s+(?:identification|categori[sz]ation|surveillance)|"
            r"facial\s+recognition|track(?:ing)?\s+(?:of\s+)?(?:individuals|people|persons)",
        ),
        (
            "law_enforcement",
            r"law\s+enforcement|administration\s+of\s+justice|\bimmigration\b|\basylum\b|"
            r"\bpolicing\b|criminal\s+justice|\bmigration\b",
        ),
        (
            "medical_advice",
            r"medical\s+(?:advice|results|diagnos\w+|decisions?|devices?)|medical/health|"
            r"\bmedicine/health\b|clinical\s+(?:decisions?|diagnos\w+|use)|\bdiagnos(?:e|is|tic)\b",
        ),
        (
            "critical_infrastructure",
            r"critical\s+infrastructure|heavy\s+machinery|transportation\s+technolog\w+|"
            r"power\s+grids?|air\s+traffic\s+control|water\s+supply",
        ),
        (
            "automated_decisions",
            r"automated\s+decision|high-stakes\s+(?:automated\s+)?decisions?|\bsocial\s+scoring\b|"
            r"credit\s+scor\w+|eligibility\s+(?:for|determinations?)",
        ),
        (
            "professional_practice",
            r"(?:unauthori[sz]ed|unlicensed)\s+(?:or\s+unlicensed\s+)?practice|"
            r"practice\s+of\s+(?:any\s+)?(?:law|medicine|profession)",
        ),
        (
            "use_based_restrictions",
            r"use-based\s+restrictions|\brestricted\s+uses\b|use\s+restrictions\s+(?:set\s+forth|"
            r"in\s+attachment|listed|referenced)",
        ),
    )
)
_LEAD = rx(
    NEGATION + r"|\bprohibited\s+uses?\b|\buse\s+restrictions\b|\brestricted\s+uses?\b|\bnot\s+to\s+use\b|"
    r"\bnot\s+(?:be\s+)?used\b|\bnot\s+permitting\b|\bnot\s+for\b"
)
_HEADING_WORDS = frozenset({"and", "of", "or", "the", "to", "for", "in", "a", "an", "on", "with"})

_OUTPUT = (
    r"(?:outputs?|results?|generated\s+(?:content|data|text)|synthetic\s+data|completions?|responses?|"
    r"(?:text|content|data|images?|code)\s+(?:produced|generated|created)\s+(?:by|with))"
)
_IMPROVE = r"(?:improve|train|develop|build|create|enhance|fine[\s-]?tune|distil|bootstrap|pre-?train)\w*"
_OTHER = (
    r"(?:(?:(?:any|an)\s+)?(?:other|another|competing|competitive|third[\s-]party|rival|different|new)\s+"
    r"(?:[\w-]+\s+){0,3}?(?:models?|LLMs?|AI|systems?)\b|"
    # "a model that is competitive with the X model", "models which compete with"
    r"\b(?:an?|any)\s+(?:[\w-]+\s+){0,2}?models?\s+(?:that|which)\s+(?:is\s+|are\s+|would\s+be\s+|could\s+be\s+)?"
    r"compet\w+|\b(?:any|other)\s+[^.;]{0,60}?\b(?:foundation(?:al)?|language|AI|"
    r"machine[\s-]learning|general[\s-]purpose)\s+models?)"
)
_BAN_NEGATION = rf"(?:{NEGATION}|\bnot\s+to\b)"  # "you agree: (ii) not to use … any output … to improve"
_OUTPUT_BAN = tuple(
    rx(p)
    for p in (
        rf"{_BAN_NEGATION}[^.;]{{0,100}}?\b{_OUTPUT}[^.;]{{0,80}}?\b{_IMPROVE}[^.;]{{0,60}}?{_OTHER}",
        rf"\b{_OUTPUT}[^.;]{{0,60}}?(?:may|must|shall|can)\s*not\s+be\s+used[^.;]{{0,40}}?\b{_IMPROVE}[^.;]{{0,60}}?"
        rf"{_OTHER}",
        rf"{NEGATION}[^.;]{{0,40}}?\b{_IMPROVE}[^.;]{{0,60}}?{_OTHER}[^.;]{{0,80}}?\b(?:using|with|from|based\s+on)"
        rf"[^.;]{{0,40}}?\b{_OUTPUT}",
    )
)
# Outputs neither free nor banned: usable only for some purposes, only within a policy or the agreement, or
# not for commercial purposes. (Models trained on outputs counting as derivatives is a separate term.)
_LIMITER = r"(?:only|solely|exclusively|strictly|limited\s+to|restricted\s+to|provided\s+that)"
_OUTPUT_CONDITION = tuple(
    rx(p)
    for p in (
        rf"\b{_OUTPUT}[^.;]{{0,120}}?\b{_LIMITER}\b[^.;]{{0,60}}?\b(?:non-?commercial|research|personal|internal|"
        rf"academic|evaluation|educational)",
        rf"\b{_OUTPUT}[^.;]{{0,120}}?\b{_LIMITER}\s+(?:\w+\s+){{0,3}}?(?:in\s+accordance\s+with|in\s+compliance\s+with|"
        rf"within|as\s+permitted\s+(?:by|under)|subject\s+to|consistent\s+with|in\s+conformity\s+with)\b[^.;]{{0,80}}?"
        rf"\b(?:polic\w+|agreement|licen[cs]e|terms|guidelines|restrictions)",
        rf"\b{_OUTPUT}[^.;]{{0,120}}?\b(?:in\s+accordance\s+with|in\s+compliance\s+with|subject\s+to|comply\s+with|"
        rf"consistent\s+with)\b[^.;]{{0,80}}?\b(?:use\s+polic\w+|usage\s+polic\w+|AUP|guidelines)",
        rf"{NEGATION}\s+(?:\w+\s+){{0,3}}?(?:use|exploit|sell|commerciali[sz]e|monetize|distribute)\w*\b[^.;]{{0,60}}?"
        rf"\b{_OUTPUT}[^.;]{{0,80}}?\bcommercial",
        # "allows only non-commercial use of the model and its outputs" (the limit before the outputs)
        rf"\b{_LIMITER}\s+(?:for\s+)?(?:non-?commercial|research|personal|academic)\s+(?:uses?|purposes?)\s+of\s+[^.;]{{0,80}}?"
        rf"\b{_OUTPUT}",
        rf"\b{_OUTPUT}[^.;]{{0,80}}?(?:may|must|shall|can)\s*not\s+be\s+(?:used|exploited|sold|distributed)[^.;]{{0,60}}?"
        rf"\bcommercial",
    )
)
_LISTED_OUTPUT = rx(rf"\b{_OUTPUT}[^;]{{0,160}}?\b(?:for|in)\s+(?:\(\w+\)\s+)?(?:any\s+)?commercial\b")
_OUTPUT_PERMITTED = rx(
    rf"\b{_OUTPUT}[^.;]{{0,80}}?\b{_IMPROVE}[^.;]{{0,60}}?{_OTHER}|{_IMPROVE}[^.;]{{0,60}}?{_OTHER}"
    rf"[^.;]{{0,60}}?\b{_OUTPUT}"
)
_OUTPUT_MAY = rx(
    rf"\b(?:may|can|are\s+(?:free|permitted|allowed)\s+to)\s+(?:freely\s+)?use\s+(?:the\s+|any\s+)?"
    rf"{_OUTPUT}[^.;]{{0,60}}?\b{_IMPROVE}|\bmodels?\s+{_IMPROVE}\s+(?:on|from|with|using)\s+"
    rf"(?:the\s+|its\s+|any\s+)?{_OUTPUT}[^.;]{{0,40}}?\b(?:are|is)\s+(?:also\s+)?(?:allowed|permitted)"
)
_REMOTE = rx(
    r"(?:restrict|disable|suspend|limit|terminate|revoke|shut\s+down|throttle|deactivate)\w*\s*\(?\s*"
    r"remotely|remotely\s+(?:or\s+otherwise\s+)?(?:restrict|disable|suspend|limit|deactivat|terminate|"
    r"revoke)\w*|\(\s*remotely\s+or\s+otherwise\s*\)|remote\s+(?:kill[\s-]?switch|disabl\w+)"
)


def detect(col: Collector) -> None:
    in_list = False
    banned = conditional = permitted = False
    present = _present_documents(col)
    for sentence in col.sentences():
        text = sentence.text
        if sentence.first_in_paragraph and (
            not sentence.list_item or (_is_heading(text) and not _sub_heading(text))
        ):
            in_list = False
        permission = is_permission(text)
        if _LEAD.search(text) is not None and not permission:
            in_list = True
        if in_list and not permission:
            _categories(col, sentence)
        _policy(col, sentence, present)
        if not banned and not permission:
            for pattern in _OUTPUT_BAN:
                match = pattern.search(text)
                if match is not None:
                    banned = True
                    col.add("outputs_train_other_models", sentence, match.start(), match.end())
                    break
        if not banned and not conditional and not permission and in_list:
            match = _LISTED_OUTPUT.search(text)
            if (
                match is not None
            ):  # "You will not: (a) use … any data produced by the Model … for commercial …"
                conditional = True
                col.add("outputs_condition", sentence, match.start(), match.end())
        if not banned and not conditional and not permission:
            for pattern in _OUTPUT_CONDITION:
                match = pattern.search(text)
                if match is not None:
                    conditional = True
                    col.add("outputs_condition", sentence, match.start(), match.end())
                    break
        if not permitted:
            match = _OUTPUT_PERMITTED.search(text) if permission else _OUTPUT_MAY.search(text)
            if match is not None:
                permitted = True
                col.add("outputs_permission", sentence, match.start(), match.end())
        match = _REMOTE.search(text)
        if match is not None:
            col.terms.remote_restriction = True
            col.add("remote_restriction", sentence, match.start(), match.end())
    if col.terms.restricted_uses:
        col.terms.field_of_use_restrictions = True
    _decide_outputs(col, banned, conditional, permitted)


def _decide_outputs(col: Collector, banned: bool, conditional: bool, permitted: bool) -> None:
    """Banned > conditional > allowed (said so, or left free by a licence grant) > unknown."""
    terms = col.terms
    if banned:
        terms.outputs_train_other_models = OutputTraining.PROHIBITED
    elif conditional:
        terms.outputs_train_other_models = OutputTraining.CONDITIONAL
        _cite(col, "outputs_condition")
    elif permitted:
        terms.outputs_train_other_models = OutputTraining.ALLOWED
        _cite(col, "outputs_permission")
    elif terms.rights_granted:
        terms.outputs_train_other_models = OutputTraining.ALLOWED  # a grant that does not restrict outputs
    else:
        terms.outputs_train_other_models = OutputTraining.UNKNOWN


def _cite(col: Collector, term: str) -> None:
    for item in [e for e in col.evidence if e.term == term][:1]:
        col.evidence.append(replace(item, term="outputs_train_other_models"))


def _present_documents(col: Collector) -> set[str]:
    """Attachments, exhibits and appendices whose text is in this file: a heading that names one."""
    out: set[str] = set()
    for sentence in col.sentences():
        if not sentence.first_in_paragraph:
            continue
        match = _ATTACHED.match(sentence.text.lstrip("#*-\u2022 ").strip())
        if match is not None and len(sentence.text) < 200 and not _INCORPORATED.search(sentence.text):
            out.add(f"{match.group('kind').lower()} {match.group('label').upper()}")
    return out


_LETTER_MARKER = re.compile(r"^\(?[a-z][.)]\s")


def _sub_heading(text: str) -> bool:
    """ "a. Impersonation and Deepfakes": a lettered heading groups items inside a list, it does not end it."""
    return _LETTER_MARKER.match(text) is not None


def _is_heading(text: str) -> bool:
    """ "5. RULES OF USE.", "3. Disclaimer of Warranty." — a section title, which ends a list of items."""
    marker = LIST_MARKER.match(text)
    body = text[marker.end() :] if marker else text
    body = body.strip()
    if not body or body[-1] in ";,:" or len(body) > 80:
        return False
    words = body.rstrip(".").split()
    return 0 < len(words) <= 8 and all(w[0].isupper() or w.lower() in _HEADING_WORDS for w in words)


def _categories(col: Collector, sentence: Sentence) -> None:
    for name, pattern in CATEGORIES:
        match = pattern.search(sentence.text)
        if match is None:
            continue
        if name not in col.terms.restricted_uses:
            col.terms.restricted_uses.append(name)
        col.add("field_of_use_restrictions", sentence, match.start(), match.end())


def _named_policy(col: Collector, text: str) -> re.Match[str] | None:
    """ "the Nimbus Responsible Deployment Rules": a capitalised policy name, not a privacy or brand policy,
    that the text does not define (a defined term is part of the licence itself)."""
    for match in _NAMED_POLICY.finditer(text):
        name = match.group(0)
        if _NOT_A_USE_POLICY.search(name) or _SELF.search(text[max(0, match.start() - 10) : match.end()]):
            continue
        if not _defined_here(col, name):
            return match
    return None


def _defined_here(col: Collector, name: str) -> bool:
    """The policy is a defined term whose content is in this text ("'Usage Rules' means Section 4"), rather
    than a document elsewhere (a definition that points to a web address still incorporates one)."""
    words = name.split()
    for size in range(len(words), 0, -1):
        tail = " ".join(words[-size:])
        probe = re.compile(
            rf"[\"\u201c']\s*(?:[\w-]+\s+){{0,3}}{re.escape(tail)}\s*[\"\u201d']\s*(?:means|shall\s+mean|"
            rf"refers)",
            re.IGNORECASE,
        )
        for sentence in col.sentences():
            if probe.search(sentence.text[:200]) is not None:
                return _URL.search(sentence.text) is None and _HERE.search(sentence.text) is not None
    return False


def _attached_elsewhere(text: str, present: set[str]) -> re.Match[str] | None:
    """Restrictions "set out in Exhibit B" when no Exhibit B is in this file: a document incorporated by
    reference, whose text Weighbridge does not have."""
    for match in _ATTACHED.finditer(text):
        key = f"{match.group('kind').lower()} {match.group('label').upper()}"
        if key not in present and _RESTRICTION_WORDS.search(text) is not None:
            return match
    return None


def _policy(col: Collector, sentence: Sentence, present: set[str]) -> None:
    text = sentence.text
    if _SELF.search(text) is not None or is_definition(sentence):
        return
    policy = _POLICY.search(text)
    if policy is not None and _defined_here(col, policy.group(0)):
        policy = None
    policy = policy or _named_policy(col, text) or _attached_elsewhere(text, present)
    incorporated = _INCORPORATED.search(text) or _LEAD.search(text)
    if policy is None and incorporated is not None:
        policy = _DOCUMENT_URL.search(text)
    if policy is None or incorporated is None:
        return
    col.terms.acceptable_use_policy = True
    if col.terms.acceptable_use_policy_url is None:
        url = _URL.search(text)
        if url is not None:
            col.terms.acceptable_use_policy_url = url.group(0).rstrip(".")
    col.add(
        "acceptable_use_policy",
        sentence,
        min(policy.start(), incorporated.start()),
        max(policy.end(), incorporated.end()),
    )
