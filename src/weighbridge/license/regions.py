"""Territory names as licences write them, mapped to short codes ("European Union" -> "EU")."""

from __future__ import annotations

import re

# Longest names first so "South Korea" is never read as "Korea" or "North Korea" as "Korea".
_REGIONS: tuple[tuple[str, str], ...] = (
    (r"European\s+Economic\s+Area|EEA", "EEA"),
    (r"European\s+Union|EU", "EU"),
    (
        r"United\s+Kingdom(?:\s+of\s+Great\s+Britain(?:\s+and\s+Northern\s+Ireland)?)?|Great\s+Britain|U\.K\.|UK",
        "UK",
    ),
    (r"North\s+Korea|Democratic\s+People'?s\s+Republic\s+of\s+Korea|DPRK", "KP"),
    (r"South\s+Korea|Republic\s+of\s+Korea|Korea,?\s+Republic\s+of|Korea", "KR"),
    (
        r"(?:mainland\s+(?:of\s+(?:the\s+)?)?)?People'?s\s+Republic\s+of\s+China|mainland\s+China|PRC|China",
        "CN",
    ),
    (r"Hong\s+Kong(?:\s+SAR)?", "HK"),
    (r"Macau|Macao", "MO"),
    (r"Taiwan", "TW"),
    (r"United\s+States(?:\s+of\s+America)?|U\.S\.A?\.?|USA|US", "US"),
    (r"Russian\s+Federation|Russia", "RU"),
    (r"Belarus", "BY"),
    (r"Iran", "IR"),
    (r"Cuba", "CU"),
    (r"Syria", "SY"),
    (r"Crimea", "UA-43"),
    (r"Switzerland", "CH"),
    (r"Japan", "JP"),
    (r"India", "IN"),
    (r"Canada", "CA"),
    (r"Brazil", "BR"),
    (r"Australia", "AU"),
    (r"Singapore", "SG"),
    (r"Germany", "DE"),
    (r"France", "FR"),
    (r"Israel", "IL"),
)
_ABBREVIATIONS = frozenset({"EEA", "EU", "UK", "US", "USA", "PRC", "DPRK"})
REGION = re.compile(
    "|".join(f"(?P<r{i}>\\b(?:{pattern})\\b)" for i, (pattern, _) in enumerate(_REGIONS)), re.IGNORECASE
)


def regions_in(text: str) -> list[tuple[str, int]]:
    """Codes of the territories named in ``text`` (in order, once each) with where each first appears."""
    out: list[tuple[str, int]] = []
    seen: set[str] = set()
    for match in REGION.finditer(text):
        word = match.group(0)
        if word.replace(".", "").upper() in _ABBREVIATIONS and word != word.upper():
            continue  # "us" is a pronoun; abbreviations count only in capitals
        index = int(next(k for k, v in match.groupdict().items() if v is not None)[1:])
        code = _REGIONS[index][1]
        if code not in seen:
            seen.add(code)
            out.append((code, match.start()))
    return out


# Governing law: the place named after "laws of" -> a short jurisdiction code.
_JURISDICTIONS: tuple[tuple[str, str], ...] = (
    (r"Hong\s+Kong", "HK"),
    (r"Macau|Macao", "MO"),
    (r"People'?s\s+Republic\s+of\s+China|PRC|China", "CN"),
    (r"State\s+of\s+California|California", "US-CA"),
    (r"State\s+of\s+New\s+York|New\s+York", "US-NY"),
    (r"State\s+of\s+Delaware|Delaware", "US-DE"),
    (r"State\s+of\s+Washington|Washington", "US-WA"),
    (r"State\s+of\s+Texas|Texas", "US-TX"),
    (r"Massachusetts", "US-MA"),
    (r"United\s+States|U\.S\.A?\.?|USA", "US"),
    (r"England\s+and\s+Wales|England", "GB-ENG"),
    (r"Scotland", "GB-SCT"),
    (r"United\s+Kingdom", "GB"),
    (r"Ireland", "IE"),
    (r"France|French\s+Republic", "FR"),
    (r"Germany|Federal\s+Republic\s+of\s+Germany", "DE"),
    (r"Switzerland", "CH"),
    (r"Singapore", "SG"),
    (r"United\s+Arab\s+Emirates|UAE|Abu\s+Dhabi|Dubai", "AE"),
    (r"Japan", "JP"),
    (r"Republic\s+of\s+Korea|South\s+Korea|Korea", "KR"),
    (r"Canada|Ontario|British\s+Columbia|Quebec", "CA"),
    (r"Israel", "IL"),
    (r"India", "IN"),
    (r"Netherlands", "NL"),
    # the rest of Europe and other common seats of licensors
    (r"(?:Kingdom\s+of\s+)?Denmark", "DK"),
    (r"(?:Kingdom\s+of\s+)?Sweden", "SE"),
    (r"(?:Kingdom\s+of\s+)?Norway", "NO"),
    (r"Finland", "FI"),
    (r"(?:Kingdom\s+of\s+)?Spain", "ES"),
    (r"Italy|Italian\s+Republic", "IT"),
    (r"(?:Kingdom\s+of\s+)?Belgium", "BE"),
    (r"Austria", "AT"),
    (r"Poland", "PL"),
    (r"Czech\s+Republic|Czechia", "CZ"),
    (r"Luxembourg", "LU"),
    (r"Portugal", "PT"),
    (r"Estonia", "EE"),
    (r"Taiwan", "TW"),
    (r"Australia|New\s+South\s+Wales|Victoria", "AU"),
    (r"New\s+Zealand", "NZ"),
    (r"Brazil", "BR"),
)
_JURISDICTION = [(re.compile(rf"\b(?:{p})\b", re.IGNORECASE), code) for p, code in _JURISDICTIONS]


def jurisdiction_code(place: str) -> str | None:
    for pattern, code in _JURISDICTION:
        if pattern.search(place):
            return code
    return None
