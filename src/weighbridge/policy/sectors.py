"""Sector names an organization may write, mapped to the restricted-use codes licence analysis reports."""

from __future__ import annotations

import re

# restricted-use code -> words that name a sector falling under it
_SECTOR_WORDS: dict[str, tuple[str, ...]] = {
    "military": ("military", "defence", "defense", "armed_forces", "weapons"),
    "law_enforcement": ("law_enforcement", "police", "policing", "justice", "border_control"),
    "medical_advice": ("medical", "healthcare", "health", "clinical"),
    "critical_infrastructure": ("critical_infrastructure", "energy", "utilities", "transport", "water"),
    "automated_decisions": ("credit", "lending", "insurance", "employment", "hiring", "benefits"),
    "professional_practice": ("legal", "law", "finance", "financial_advice", "accounting"),
    "surveillance": ("surveillance", "intelligence", "security"),
}


def _normal(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def restricted_sectors(sectors: tuple[str, ...], restricted_uses: list[str]) -> list[tuple[str, str]]:
    """(sector, restricted use) for each sector of the policy that a restricted use of the licence covers."""
    out: list[tuple[str, str]] = []
    for sector in sectors:
        name = _normal(sector)
        for use in restricted_uses:
            words = _SECTOR_WORDS.get(use, (use,))
            if name == use or name in words or any(w in name.split("_") for w in words if "_" not in w):
                out.append((sector, use))
    return out
