"""Region groups a policy or a licence may name, and whether one territory falls inside another."""

from __future__ import annotations

EU_MEMBERS = frozenset(
    {
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    }
)
EEA_MEMBERS = EU_MEMBERS | {"IS", "LI", "NO"}
_GROUPS = {"EU": EU_MEMBERS, "EEA": EEA_MEMBERS}
_ALIASES = {"UK": "GB", "EL": "GR"}  # licences and the EU write UK and EL; ISO 3166-1 says GB and GR


def canonical(code: str) -> str:
    upper = code.strip().upper()
    return _ALIASES.get(upper, upper)


def members(code: str) -> frozenset[str]:
    """The countries a code stands for: a group's members (and the group itself), or the one country."""
    c = canonical(code)
    return _GROUPS.get(c, frozenset()) | {c}


def overlaps(a: str, b: str) -> bool:
    """Do two territories share any country ("EU" and "DE", "EEA" and "EU", "GB" and "UK")?"""
    return bool(members(a) & members(b))


def within(code: str, area: str) -> bool:
    """Is the country ``code`` inside ``area`` (a country or a group)?"""
    return canonical(code) in members(area)
