"""Extract the terms of one licence or policy text by running every clause detector over its sentences."""

from __future__ import annotations

from ..core.types import Evidence, LicenseTerms
from .clauses import commercial, duties, grant, legal, uses
from .clauses.base import Collector
from .text import LicenseText

_DETECTORS = (grant.detect, commercial.detect, duties.detect, uses.detect, legal.detect)


def extract_terms(doc: LicenseText) -> tuple[LicenseTerms, list[Evidence]]:
    """The terms ``doc`` states and one to three quoted sentences for each term it sets."""
    col = Collector(doc)
    for detect in _DETECTORS:
        detect(col)
    terms = col.terms
    if terms.acceptable_use_policy and not terms.field_of_use_restrictions:
        # an incorporated use policy restricts fields of use even when its text is elsewhere
        terms.field_of_use_restrictions = True
        for item in [e for e in col.evidence if e.term == "acceptable_use_policy"][:1]:
            col.evidence.append(Evidence("field_of_use_restrictions", item.quote, item.file, item.line))
    return terms, sorted(col.evidence, key=lambda e: (e.line or 0, e.term))
