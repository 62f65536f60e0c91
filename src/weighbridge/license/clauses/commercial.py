"""Who may use the model commercially: non-commercial and research-only grants, registration, user and
revenue thresholds ("more than 700 million monthly active users", "annual revenue above US$10M")."""

from __future__ import annotations

from dataclasses import replace

from ...core.license import CommercialUse
from ..amounts import money, numbers
from ..text import Sentence
from .base import Collector, is_definition, rx

MIN_USER_CAP = 1000  # smaller numbers near "users" are section numbers or examples, not thresholds
MIN_REVENUE_CAP = 10_000  # revenue thresholds in licences are large; small sums are fees or liability caps
_USERS = rx(
    r"(?:monthly|daily|weekly)\s+active\s+users?|\b[MD]AUs?\b|\bactive\s+users?|"
    r"\bregistered\s+users?|\bend[\s-]users?|\busers\b"
)
_COMPARATOR = rx(
    r"more\s+than|greater\s+than|in\s+excess\s+of|exceed\w*|\babove\b|\bover\b|at\s+least|"
    r"surpass\w*|\bbeyond\b|larger\s+than|higher\s+than|\breach\w*|or\s+more|[>\u2265<\u2264]|"
    r"\bupwards\s+of\b|\bin\s+excess\b|(?:less|fewer|lower)\s+than|\bunder\b|\bbelow\b|"
    r"\bup\s+to\b|\bat\s+most\b|\bno\s+more\s+than\b|\bnot\s+more\s+than\b"
)
_COMPARATOR_AFTER = rx(r"^\W{0,3}(?:or|and)\s+(?:more|greater|above|higher|over|beyond)\b")
# A threshold decides something only in a condition ("if", "whose", "companies with") or with a duty.
_CONDITION = rx(
    r"\b(?:if|where|when|whenever|once|whose|unless|provided\s+that|in\s+the\s+event)\b|"
    r"\b(?:licensees?|organi[sz]ations?|compan(?:y|ies)|entit(?:y|ies)|businesses|products?|services?|"
    r"users?|you)\s+(?:\w+\s+)?(?:with|having|that\s+(?:have|has|had|earn|exceed))\b|"
    r"\b(?:must|shall|required?|requires|need\s+to|request|obtain|purchase|contact|not\s+permitted|"
    r"may\s+not|cannot|not\s+granted)\b"
)
_REVENUE = rx(r"revenue|turnover|\bsales\b|\bincome\b|\bARR\b|gross\s+receipts|earnings|\bproceeds\b")
_MONTHLY = rx(r"\bmonthly\b|per\s+month|a\s+month|each\s+month|every\s+month|calendar\s+month")
_ANNUAL = rx(
    r"\bannual\w*|per\s+(?:year|annum)|a\s+year|each\s+year|yearly|fiscal\s+year|\bARR\b|"
    r"twelve\s+months|12\s+months|calendar\s+year|financial\s+year"
)
_MAU_PHRASE = rx(r"(?:monthly|daily|weekly)\s+active\s+users?|\b[MD]AUs?\b")
_NON_COMMERCIAL = rx(
    r"(?:only|solely|exclusively|strictly|limited\s+to)\s+(?:for\s+)?(?:your\s+)?(?:own\s+)?"
    r"(?:personal\s+(?:and|or)\s+)?non-?commercial|non-?commercial\s+(?:\w+\s+){0,3}only\b|"
    r"commercial\s+use\s+(?:of\s+[^.]{0,60})?(?:is|are)\s+(?:not\s+(?:permitted|allowed|authori[sz]ed|licensed)|"
    r"(?:strictly\s+)?prohibited|forbidden|excluded)|"
    r"(?:(?:may|must|shall|will)\s*not|cannot)\s+(?:be\s+)?(?:used?|exploit\w*|deploy\w*|sell|offer\w*)"
    r"[^.;]{0,80}?\b(?:for|in)\s+(?:any\s+)?commercial(?:ly)?\s+(?:purposes?|uses?|products?|activit\w+|"
    r"settings?|manner)|\bnot\s+for\s+commercial\s+(?:use|purposes)|\bno\s+commercial\s+use|\bNonCommercial\b|"
    # a grant "for purposes other than commercial or production use", "excluding any commercial use"
    r"\b(?:purposes?|uses?)\s+other\s+than\s+(?:for\s+)?(?:any\s+)?commercial\b|"
    r"\bexcluding\s+(?:any\s+|all\s+)?commercial\s+(?:use|purposes|exploitation)"
)
_RESEARCH_ONLY = rx(
    r"(?:only|solely|exclusively|strictly|limited\s+to)\s+(?:for\s+)?(?:the\s+purposes?\s+of\s+)?(?:your\s+|its\s+|their\s+)?"
    r"(?:own\s+)?(?:non-?commercial\s+|academic\s+|scientific\s+|internal\s+)*research|"
    r"research(?:\s*(?:and|or|&|/)\s*(?:evaluation|educational|academic|testing|non-?commercial|"
    r"development))?\s+(?:purposes?\s+|use\s+|uses\s+)?only\b|\bresearch[-\s]only\b"
)
_REGISTRATION = rx(
    r"regist(?:er|ration)[^.]{0,200}?(?:commercial|business)|(?:commercial|business)[^.]{0,200}?"
    r"\bregist(?:er|ration)"
)
_COMMERCIAL_NEEDS_LICENSE = rx(
    r"commercial\w*[^.]{0,80}?(?:(?:must|shall|will\s+need\s+to|need\s+to)\s+(?:first\s+)?(?:request|obtain|"
    r"purchase|acquire|contact)|requires?\s+(?:a\s+|an\s+)?(?:(?:separate|commercial|enterprise|paid|written|additional)\s+){0,3}licen[cs]e)|"
    r"(?:request|obtain|purchase|acquire)\s+(?:a|the)?\s*(?:separate\s+|commercial\s+|enterprise\s+)?"
    r"licen[cs]e\s+for\s+(?:any\s+)?commercial"
)
# Commercial use on terms rather than refused: a royalty or fee owed for it, or a separate agreement needed only
# for one kind of commercial use (offering the model as a hosted or commercial service, production use).
_ROYALTY = rx(
    r"\broyalt(?:y|ies)\b(?!\s*[-\u2010]?\s*free)|\brevenue[\s-]shar\w*|\b(?:licen[cs]e|usage|subscription)\s+fees?\b|"
    r"\bpercentage\s+of\s+(?:\w+\s+){0,2}(?:revenue|sales|receipts)"
)
_PAY = rx(r"\bpay\w*|\bowe\w*|\bpayable\b|\bsubject\s+to\b|\bcharge\w*|\bremit\w*")
_ROYALTY_FREE = rx(
    r"royalty[\s-]*free|free\s+of\s+(?:charge|royalt\w+)|no\s+(?:royalt\w+|fees?)\b|without\s+(?:any\s+)?"
    r"(?:royalt\w+|fees?|charge)"
)
_SERVICE = rx(
    r"hosted\s+(?:service|offering|API)|\bas\s+a\s+(?:hosted\s+|managed\s+|cloud\s+)?service\b|\bSaaS\b|"
    r"\bvia\s+(?:an?\s+|your\s+)?APIs?\b|commercial\s+(?:services?|offerings?|products?\s+or\s+services?)|"
    r"\bproduction\s+(?:use|deployment|environments?)|\bcommercial\s+(?:deployment|hosting)|\bresell\w*|"
    r"make\s+(?:\w+\s+){0,3}available\s+to\s+third\s+parties"
)
_SEPARATE_AGREEMENT = rx(
    r"(?:separate|additional|commercial|enterprise|written|specific|another|different|paid)\s+"
    r"(?:\w+\s+)?(?:licen[cs]e|agreement|contract|permission|authori[sz]ation)|"
    r"(?:enter\s+into|execute|sign|conclude|obtain|request|negotiate)\s+(?:an?\s+|the\s+)?"
    r"(?:\w+\s+){0,2}(?:agreement|contract|licen[cs]e)"
)
_ALL_COMMERCIAL = rx(
    r"\b(?:any|all|every)\s+(?:\w+\s+)?commercial\s+(?:use|purposes?|exploitation|usage)|"
    r"\bcommercial\s+use\s+(?:of\s+(?:the\s+)?\w+\s+)?(?:requires?|is\s+subject)"
)
# A sentence about the outputs, whose limits (outputs "only for non-commercial purposes") bind the outputs,
# not the commercial use of the model itself.
_OUTPUT_SUBJECT = rx(
    r"\b(?:outputs?|generated\s+(?:content|images?|videos?|audio|text|data)|results?\s+(?:generated|"
    r"produced)|content\s+(?:you\s+)?(?:generate|create)\w*)\b"
)
_COMMERCIAL_PERMITTED = rx(
    r"\bsell\b|commercial\s+(?:use|purposes?|versions?)\s+(?:is|are)?\s*(?:permitted|allowed)|"
    r"share\s+commercial\s+versions|commercially\s+usable|for\s+any\s+(?:lawful\s+)?purpose|without\s+restriction"
)


def detect(col: Collector) -> None:
    terms = col.terms
    needs_license = False
    for sentence in col.sentences():
        text = sentence.text
        match = _NON_COMMERCIAL.search(text)
        if match is not None and _about_outputs(text, match.start()):
            match = None
        if match is not None:
            terms.non_commercial = True
            col.add("non_commercial", sentence, match.start(), match.end())
        match = _RESEARCH_ONLY.search(text)
        if match is not None:
            terms.research_only = True
            col.add("research_only", sentence, match.start(), match.end())
        match = _REGISTRATION.search(text)
        if match is not None:
            terms.registration_required = True
            col.add("registration_required", sentence, match.start(), match.end())
        if terms.user_cap is None:
            _user_cap(col, sentence)
        if terms.revenue_cap_usd is None:
            _revenue_cap(col, sentence)
        if not is_definition(sentence) and _on_terms(col, sentence):
            continue
        match = _COMMERCIAL_NEEDS_LICENSE.search(text)
        if (
            match is not None
            and not is_definition(sentence)
            and not numbers_in_clause(text)
            and _COMMERCIAL_PERMITTED.search(text) is None
        ):
            needs_license = True
            col.add("commercial_use", sentence, match.start(), match.end())
    _decide(col, needs_license)


def _about_outputs(text: str, start: int) -> bool:
    """The limit at ``start`` governs the outputs ("Outputs may be used only for non-commercial purposes")."""
    subject = _OUTPUT_SUBJECT.search(text, 0, start)
    return subject is not None and start - subject.start() <= 120


def _on_terms(col: Collector, sentence: Sentence) -> bool:
    """Commercial use granted on terms: a royalty or fee for it, or a separate agreement for hosted or
    commercial services only (not for every commercial use, which is a refusal under this licence)."""
    text = sentence.text
    if "commercial" not in text.lower() and _SERVICE.search(text) is None:
        return False
    royalty = _ROYALTY.search(text)
    if royalty is not None and _PAY.search(text) is not None and _ROYALTY_FREE.search(text) is None:
        col.add("royalty_or_agreement", sentence, royalty.start(), royalty.end())
        return True
    service = _SERVICE.search(text)
    agreement = _SEPARATE_AGREEMENT.search(text)
    if (
        service is not None
        and agreement is not None
        and _ALL_COMMERCIAL.search(text) is None
        and "commercial" in text.lower()
        and _COMMERCIAL_PERMITTED.search(text) is None
    ):
        col.add(
            "royalty_or_agreement",
            sentence,
            min(service.start(), agreement.start()),
            max(service.end(), agreement.end()),
        )
        return True
    return False


def numbers_in_clause(text: str) -> bool:
    """A threshold in the same sentence (then the cap decides, not a blanket licence requirement)."""
    return any(value >= 1000 for value, _, _ in numbers(text))


def _decide(col: Collector, needs_license: bool) -> None:
    terms = col.terms
    if terms.non_commercial or terms.research_only:
        terms.commercial_use = CommercialUse.PROHIBITED
        _cite(col, ("non_commercial", "research_only"))
    elif (
        terms.user_cap is not None
        or terms.revenue_cap_usd is not None
        or terms.registration_required
        or col.has("royalty_or_agreement")
    ):
        terms.commercial_use = CommercialUse.CONDITIONAL
        _cite(col, ("user_cap", "revenue_cap_usd", "registration_required", "royalty_or_agreement"))
    elif needs_license:
        terms.commercial_use = CommercialUse.PROHIBITED
    elif terms.rights_granted is False:
        # all rights reserved, no use without permission: nothing is granted, commercial use included
        terms.commercial_use = CommercialUse.PROHIBITED
        _cite(col, ("rights_reserved",))
    elif terms.rights_granted is None:
        terms.commercial_use = CommercialUse.UNKNOWN  # no grant found: nothing left open is allowed
    else:
        terms.commercial_use = CommercialUse.ALLOWED
        for sentence in col.sentences():
            match = _COMMERCIAL_PERMITTED.search(sentence.text)
            if match is not None:
                col.add("commercial_use", sentence, match.start(), match.end())
                break


def _cite(col: Collector, terms: tuple[str, ...]) -> None:
    """The sentence that made commercial use conditional or prohibited also supports ``commercial_use``."""
    for evidence in list(col.evidence):
        if evidence.term in terms:
            col.evidence.append(replace(evidence, term="commercial_use"))
            return


def _user_cap(col: Collector, sentence: Sentence) -> None:
    text = sentence.text
    users = list(_USERS.finditer(text))
    if not users or _CONDITION.search(text) is None:
        return
    spans = [(m.start, m.end) for m in money(text)]
    for value, start, end in numbers(text):
        if value < MIN_USER_CAP or any(a <= start < b for a, b in spans):
            continue
        after = next((u for u in users if 0 <= u.start() - end <= 25), None)
        before = next((u for u in users if 0 <= start - u.end() <= 60), None)
        if after is not None and (
            _COMPARATOR.search(text[max(0, start - 40) : start]) is not None
            or _COMPARATOR_AFTER.search(text[end : after.start()]) is not None
        ):
            found = after
        elif before is not None and (
            _COMPARATOR.search(text[before.end() : start]) is not None
            or _COMPARATOR_AFTER.search(text[end : end + 15]) is not None
        ):
            found = before
        else:
            continue
        col.terms.user_cap = value
        col.add("user_cap", sentence, min(start, found.start()), max(end, found.end()))
        return


def _revenue_cap(col: Collector, sentence: Sentence) -> None:
    text = sentence.text
    if _REVENUE.search(text) is None or _CONDITION.search(text) is None:
        return
    for amount in money(text):
        if amount.amount < MIN_REVENUE_CAP:
            continue
        lo, hi = max(0, amount.start - 90), min(len(text), amount.end + 90)
        window = text[lo:hi]
        revenue = _REVENUE.search(window)
        if revenue is None:
            continue
        before = text[max(0, amount.start - 40) : amount.start]
        between = text[min(lo + revenue.end(), amount.start) : amount.start]
        if (
            _COMPARATOR.search(before) is None
            and _COMPARATOR.search(between) is None
            and _COMPARATOR_AFTER.search(text[amount.end : amount.end + 15]) is None
        ):
            continue
        if amount.currency != "USD":
            continue
        col.terms.revenue_cap_usd = amount.amount
        col.terms.revenue_period = _period(_MAU_PHRASE.sub(" ", text[max(0, amount.start - 60) : hi]))
        col.add("revenue_cap_usd", sentence, amount.start, amount.end)
        return


def _period(window: str) -> str | None:
    monthly = _MONTHLY.search(window)
    annual = _ANNUAL.search(window)
    if monthly and not annual:
        return "monthly"
    if annual and not monthly:
        return "annual"
    if monthly and annual:
        return "monthly" if monthly.start() < annual.start() else "annual"
    return None
