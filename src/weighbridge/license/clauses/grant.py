"""Whether the text grants a licence at all, or reserves every right.

Everything a licence leaves unsaid is free only because something was granted: "hereby grants you a …
licence", "permission is hereby granted", "you may use, copy and distribute", "is licensed under …". A text
with no grant (a copyright line, a proprietary notice, a use policy, an empty file) decides nothing in the
licensee's favour, so the terms it leaves open stay ``unknown``. A text that reserves all rights and makes
every use depend on the owner's written permission grants nothing and forbids use: ``rights_granted`` is
then False.
"""

from __future__ import annotations

import re

from ..families import match_title, normalize_identifier
from .base import Collector, is_definition, negated_at, rx

_RIGHT = r"(?:licen[cs]es?|rights?|permissions?|sub-?licen[cs]es?)"
_USE_VERBS = (
    r"(?:use|copy|reproduce|modify|adapt|distribute|redistribute|run|deploy|share|publish|"
    r"create\s+derivative|make\s+derivative|prepare\s+derivative|fine[\s-]?tune|convey|propagate)"
)
_GRANT = rx(
    # "Licensor hereby grants (to) You a worldwide … licence", "grants you a non-exclusive right"
    rf"\b(?:hereby\s+)?grants?\s+(?:to\s+)?(?:you|licensee|the\s+licensee|each\s+recipient|recipients?|users?|"
    rf"everyone|any\s+person)\b[^.;]{{0,300}}?\b{_RIGHT}\b|"
    rf"\bhereby\s+grants?\b[^.;]{{0,200}}?\b{_RIGHT}\b|"
    # "Permission is hereby granted", "you are granted a licence", "the following rights are granted"
    rf"\b{_RIGHT}\s+(?:is|are)\s+(?:hereby\s+)?granted\b|"
    rf"\b(?:you|licensee)\s+(?:are|is)\s+(?:hereby\s+)?granted\b|"
    # "You may use, copy, modify …", "you are free to use and share …"
    rf"\b(?:you|licensee|recipients?)\s+(?:may|can|are\s+(?:free|permitted|allowed|entitled)\s+to)\s+(?!not\b)"
    rf"(?:freely\s+)?(?:[\w-]+,?\s+){{0,3}}?{_USE_VERBS}\b|"
    # BSD: "Redistribution and use … are permitted"; GPL: "You may convey verbatim copies"
    rf"\b(?:redistribution|use|copying)\b[^.;]{{0,120}}?\b(?:are|is)\s+permitted\b|"
    # "licensed under the Apache License", "made available under the terms of the X License"
    rf"\b(?:is|are)\s+(?:hereby\s+)?(?:licensed|released|made\s+available|distributed|provided)\s+"
    rf"(?:to\s+you\s+)?under\s+(?:the\s+)?(?:terms\s+of\s+)?(?:the\s+)?[\w\s.+-]{{0,100}}?\b(?:licen[cs]e|"
    rf"agreement)\b|"
    # "This license permits commercial and non-commercial use"
    rf"\bthis\s+(?:licen[cs]e|agreement)\s+(?:hereby\s+)?(?:permits|allows|authori[sz]es)\b|"
    # a licence that declares itself a modification of another: its grant comes from that licence
    r"\b(?:based\s+on|built\s+on|derived\s+from|(?:a\s+)?modified\s+(?:version\s+of\s+)?|modification\s+of)\s+"
    r"(?:the\s+)?[\w.-]+(?:\s+[\w.-]+){0,3}\s+licen[cs]e\b|"
    # Chinese grants: 授予 … 许可 ("grants … a licence")
    r"授予[^。；]{0,80}?许可"
)
_NEGATED_GRANT = rx(
    r"\bno\s+(?:other\s+)?(?:licen[cs]e|rights?|permission)s?\s+(?:is|are)\s+(?:hereby\s+)?granted|"
    r"(?:does|do|shall|will)\s+not\s+grant|\bnothing\b[^.;]{0,80}?\bgrants?\b|"
    r"\bnot\s+(?:be\s+)?(?:granted|licensed)\b"
)
# "no use without written permission", "may not be used, copied … without the prior written consent"
_RESERVED = rx(
    r"\b(?:no|any)\s+(?:part|portion|use|reproduction|copying|distribution|disclosure)\b[^.;]{0,160}?"
    r"\bwithout\s+(?:the\s+)?(?:(?:prior|express|explicit|specific)\s+)*(?:written\s+)?(?:permission|consent|"
    r"authori[sz]ation|approval|licen[cs]e)|"
    r"\b(?:may|must|shall|can)\s*not\s+(?:be\s+)?(?:[\w-]+,?\s+(?:or\s+|and\s+)?){0,6}?(?:used?|cop(?:y|ied)|"
    r"reproduced?|distributed?|modif(?:y|ied)|disclosed?)\b[^.;]{0,160}?\bwithout\s+(?:the\s+)?"
    r"(?:(?:prior|express|explicit|specific)\s+)*(?:written\s+)?(?:permission|consent|authori[sz]ation|approval)|"
    r"\bunauthori[sz]ed\s+(?:use|copying|reproduction|distribution)\b[^.;]{0,80}?\b(?:is|are)\s+(?:strictly\s+)?"
    r"(?:prohibited|forbidden)|"
    r"\bproprietary\s+and\s+confidential\b|\bconfidential\s+and\s+proprietary\b"
)
_NO_FIRST = rx(r"\W*(?:no|not|never)\b")
_ALL_RIGHTS = rx(r"\ball\s+rights\s+reserved\b")


# "… are licensed under CC BY NC 4.0": a grant by reference to a licence named by its identifier.
_UNDER_ID = rx(
    r"\b(?:is|are)\s+(?:hereby\s+)?(?:licensed|released|made\s+available|distributed)\s+under\s+(?:the\s+)?"
    r"(?P<id>[A-Za-z][\w.+ -]{1,40}?)\s*(?:licen[cs]e)?\s*(?:[.;,(](?=\s|$)|$)"
)


def _grant_by_identifier(text: str) -> re.Match[str] | None:
    match = _UNDER_ID.search(text)
    if match is None:
        return None
    name = match.group("id").strip()
    return match if (normalize_identifier(name.replace(" ", "-")) or normalize_identifier(name)) else None


_UNDER = rx(r"\bunder\s+(?:the\s+)?(?:terms\s+of\s+(?:the\s+)?)?(?P<name>(?:[^.;:]|\.(?=\d)){2,120})")


def referenced_licence(text: str) -> str | None:
    """The id of a known licence a grant sentence names ("licensed under the Creative Commons
    Attribution-NonCommercial 4.0 International License", "under CC BY NC 4.0")."""
    match = _UNDER.search(text)
    if match is None:
        return None
    name = match.group("name").strip()
    identity = match_title(name)
    words = name.replace("(", " ").replace(")", " ").split()
    for size in range(min(len(words), 8), 0, -1):
        if identity is not None:
            break
        identity = normalize_identifier("-".join(words[:size])) or normalize_identifier(
            " ".join(words[:size])
        )
    return identity.id if identity is not None and identity.id else None


def detect(col: Collector) -> None:
    """Set ``rights_granted``: True on a grant, False on a reservation without any grant."""
    granted = reserved = False
    for sentence in col.sentences():
        text = sentence.text
        if is_definition(sentence):
            continue
        match = _GRANT.search(text) or _grant_by_identifier(text)
        if (
            match is not None
            and _NEGATED_GRANT.search(text[: match.end() + 40]) is None
            and not negated_at(text, match.start())
            and _NO_FIRST.match(match.group(0)) is None
            and _RESERVED.search(text) is None
        ):
            if not granted:
                granted = True
                col.add("rights_granted", sentence, match.start(), match.end())
            referenced = referenced_licence(text[match.start() :])
            if referenced is not None and referenced not in (r for r, _ in col.referenced):
                col.referenced.append((referenced, sentence))
            continue
        match = _RESERVED.search(text) or _NEGATED_GRANT.search(text)
        if match is not None and not reserved:
            reserved = True
            col.add("rights_reserved", sentence, match.start(), match.end())
    if granted:
        col.terms.rights_granted = True
    elif reserved or any(_ALL_RIGHTS.search(s.text) for s in col.sentences()):
        col.terms.rights_granted = False
        if not reserved:
            for sentence in col.sentences():
                match = _ALL_RIGHTS.search(sentence.text)
                if match is not None:
                    col.add("rights_reserved", sentence, match.start(), match.end())
                    break
        for item in [e for e in col.evidence if e.term == "rights_reserved"][:1]:
            col.evidence.append(type(item)("rights_granted", item.quote, item.file, item.line))
