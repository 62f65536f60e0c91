"""How the model may be used: incorporated acceptable-use policies, use-based restrictions by field
(military, medical advice, law enforcement, critical infrastructure, automated decisions…), bans on using
outputs to improve other models, and the licensor's right to restrict usage remotely."""

from __future__ import annotations

import re

from ...core.types import OutputTraining
from ..text import LIST_MARKER, Sentence
from .base import NEGATION, Collector, is_permission, rx

_POLICY = rx(r"acceptable\s+use\s+polic\w+|(?:prohibited|permitted|responsible)\s+use\s+polic\w+|usage\s+polic\w+|"
             r"\buse\s+polic\w+|\bAUP\b|use\s+guidelines|code\s+of\s+conduct|trustworthy\s+AI\s+terms")
_INCORPORATED = rx(r"incorporated\s+(?:herein\s+|into\s+this\s+\w+\s+)?by\s+reference|incorporated\s+(?:herein|into)|"
                   r"(?:must|shall|will|agree\s+to)\s+(?:\w+\s+){0,3}?(?:adhere\s+to|comply\s+with|abide\s+by|"
                   r"follow)\b|\bconsistent\s+with\b|subject\s+to\s+[^.]{0,60}?\b(?:the\s+)?(?:\w+\s+){0,4}?(?:polic\w+|AUP)\b|"
                   r"in\s+accordance\s+with\s+[^.]{0,40}?\b(?:polic\w+|AUP)\b")
_SELF = rx(r"\bthis\s+(?:acceptable\s+use\s+|usage\s+|use\s+)?polic")
_URL = re.compile(r"(?:https?://|www\.)[^\s)\]>\"\u201d,;]+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|ai|org|io|dev)"
                  r"/[^\s)\]>\"\u201d,;]*", re.IGNORECASE)

CATEGORIES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((name, rx(p)) for name, p in (
    ("military", r"\bmilitar\w*|\bwarfare\b|armed\s+conflicts?|\bcombat\b|\bdefen[cs]e\s+(?:applications?|purposes)"),
    ("weapons", r"\bweapon\w*|\bfirearms?\b|\bguns?\b|\bmunitions?\b|\bexplosives?\b|\bITAR\b|"
                r"International\s+Traffic\s+(?:in\s+)?Arms"),
    ("nuclear", r"\bnuclear\b"),
    ("surveillance", r"\bsurveil\w+|\bespionage\b|biometric\s+(?:identification|categori[sz]ation|surveillance)|"
                     r"facial\s+recognition|track(?:ing)?\s+(?:of\s+)?(?:individuals|people|persons)"),
    ("law_enforcement", r"law\s+enforcement|administration\s+of\s+justice|\bimmigration\b|\basylum\b|"
                        r"\bpolicing\b|criminal\s+justice|\bmigration\b"),
    ("medical_advice", r"medical\s+(?:advice|results|diagnos\w+|decisions?|devices?)|medical/health|"
                       r"\bmedicine/health\b|clinical\s+(?:decisions?|diagnos\w+|use)|\bdiagnos(?:e|is|tic)\b"),
    ("critical_infrastructure", r"critical\s+infrastructure|heavy\s+machinery|transportation\s+technolog\w+|"
                                r"power\s+grids?|air\s+traffic\s+control|water\s+supply"),
    ("automated_decisions", r"automated\s+decision|high-stakes\s+(?:automated\s+)?decisions?|\bsocial\s+scoring\b|"
                            r"credit\s+scor\w+|eligibility\s+(?:for|determinations?)"),
    ("professional_practice", r"(?:unauthori[sz]ed|unlicensed)\s+(?:or\s+unlicensed\s+)?practice|"
                              r"practice\s+of\s+(?:any\s+)?(?:law|medicine|profession)"),
    ("use_based_restrictions", r"use-based\s+restrictions|\brestricted\s+uses\b|use\s+restrictions\s+(?:set\s+forth|"
                               r"in\s+attachment|listed|referenced)"),
))
_LEAD = rx(NEGATION + r"|\bprohibited\s+uses?\b|\buse\s+restrictions\b|\brestricted\s+uses?\b|\bnot\s+to\s+use\b|"
           r"\bnot\s+(?:be\s+)?used\b|\bnot\s+permitting\b|\bnot\s+for\b")
_HEADING_WORDS = frozenset({"and", "of", "or", "the", "to", "for", "in", "a", "an", "on", "with"})

_OUTPUT = (r"(?:outputs?|results?|generated\s+(?:content|data|text)|synthetic\s+data|completions?|responses?|"
           r"(?:text|content|data|images?|code)\s+(?:produced|generated|created)\s+(?:by|with))")
_IMPROVE = r"(?:improve|train|develop|build|create|enhance|fine[\s-]?tune|distil|bootstrap|pre-?train)\w*"
_OTHER = (r"(?:(?:(?:any|an)\s+)?(?:other|another|competing|third[\s-]party|rival|different|new)\s+(?:[\w-]+\s+){0,3}?"
          r"(?:models?|LLMs?|AI|systems?)\b|\b(?:any|other)\s+[^.;]{0,60}?\b(?:foundation(?:al)?|language|AI|"
          r"machine[\s-]learning|general[\s-]purpose)\s+models?)")
_OUTPUT_BAN = tuple(rx(p) for p in (
    rf"{NEGATION}[^.;]{{0,100}}?\b{_OUTPUT}[^.;]{{0,80}}?\b{_IMPROVE}[^.;]{{0,60}}?{_OTHER}",
    rf"\b{_OUTPUT}[^.;]{{0,60}}?(?:may|must|shall|can)\s*not\s+be\s+used[^.;]{{0,40}}?\b{_IMPROVE}[^.;]{{0,60}}?"
    rf"{_OTHER}",
    rf"{NEGATION}[^.;]{{0,40}}?\b{_IMPROVE}[^.;]{{0,60}}?{_OTHER}[^.;]{{0,80}}?\b(?:using|with|from|based\s+on)"
    rf"[^.;]{{0,40}}?\b{_OUTPUT}",
))
_REMOTE = rx(r"(?:restrict|disable|suspend|limit|terminate|revoke|shut\s+down|throttle|deactivate)\w*\s*\(?\s*"
             r"remotely|remotely\s+(?:or\s+otherwise\s+)?(?:restrict|disable|suspend|limit|deactivat|terminate|"
             r"revoke)\w*|\(\s*remotely\s+or\s+otherwise\s*\)|remote\s+(?:kill[\s-]?switch|disabl\w+)")


def detect(col: Collector) -> None:
    in_list = False
    for sentence in col.sentences():
        text = sentence.text
        if sentence.first_in_paragraph and (not sentence.list_item or _is_heading(text)):
            in_list = False
        permission = is_permission(text)
        if _LEAD.search(text) is not None and not permission:
            in_list = True
        if in_list and not permission:
            _categories(col, sentence)
        _policy(col, sentence)
        if col.terms.outputs_train_other_models is OutputTraining.ALLOWED and not permission:
            for pattern in _OUTPUT_BAN:
                match = pattern.search(text)
                if match is not None:
                    col.terms.outputs_train_other_models = OutputTraining.PROHIBITED
                    col.add("outputs_train_other_models", sentence, match.start(), match.end())
                    break
        match = _REMOTE.search(text)
        if match is not None:
            col.terms.remote_restriction = True
            col.add("remote_restriction", sentence, match.start(), match.end())
    if col.terms.restricted_uses:
        col.terms.field_of_use_restrictions = True


def _is_heading(text: str) -> bool:
    """"5. RULES OF USE.", "3. Disclaimer of Warranty." — a section title, which ends a list of items."""
    marker = LIST_MARKER.match(text)
    body = text[marker.end():] if marker else text
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


def _policy(col: Collector, sentence: Sentence) -> None:
    text = sentence.text
    policy = _POLICY.search(text)
    if policy is None or _SELF.search(text) is not None:
        return
    incorporated = _INCORPORATED.search(text)
    if incorporated is None:
        return
    col.terms.acceptable_use_policy = True
    if col.terms.acceptable_use_policy_url is None:
        url = _URL.search(text)
        if url is not None:
            col.terms.acceptable_use_policy_url = url.group(0).rstrip(".")
    col.add("acceptable_use_policy", sentence, min(policy.start(), incorporated.start()),
            max(policy.end(), incorporated.end()))
