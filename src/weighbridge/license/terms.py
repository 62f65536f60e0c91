"""Extract the terms of one licence or policy text by running every clause detector over its sentences."""

from __future__ import annotations

from ..core.license import CommercialUse, Evidence, LicenseTerms, OutputTraining
from .clauses import commercial, duties, grant, legal, uses
from .clauses.base import Collector
from .profiles import profile_terms
from .text import LicenseText, Sentence

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
    _import_referenced(col)
    return terms, sorted(col.evidence, key=lambda e: (e.line or 0, e.term))


_OPEN = (CommercialUse.ALLOWED, CommercialUse.UNKNOWN)
_OPEN_OUTPUTS = (OutputTraining.ALLOWED, OutputTraining.UNKNOWN)


def _import_referenced(col: Collector) -> None:
    """A grant "under CC BY-NC 4.0" carries that licence's restrictions and duties even when the text does
    not restate them: the restrictive terms of its profile are added, quoted with the granting sentence."""
    for licence_id, sentence in col.referenced:
        profile = profile_terms(licence_id)
        if profile is not None:
            _import(col, profile, sentence)


def _import(col: Collector, profile: LicenseTerms, sentence: Sentence) -> None:
    """Only what restricts or obliges is imported, so a licence mentioned for another part (the code's MIT
    licence) can make the reading stricter, never more permissive."""
    terms = col.terms
    imported: list[str] = []
    if profile.commercial_use not in _OPEN and terms.commercial_use in _OPEN:
        terms.commercial_use = profile.commercial_use
        imported.append("commercial_use")
    if (
        profile.outputs_train_other_models not in _OPEN_OUTPUTS
        and terms.outputs_train_other_models in _OPEN_OUTPUTS
    ):
        terms.outputs_train_other_models = profile.outputs_train_other_models
        imported.append("outputs_train_other_models")
    for flag in (
        "non_commercial",
        "research_only",
        "attribution",
        "acceptable_use_policy",
        "field_of_use_restrictions",
        "notice_required",
        "restrictions_flow_down",
    ):
        if getattr(profile, flag) and not getattr(terms, flag):
            setattr(terms, flag, True)
            imported.append(flag)
    if terms.redistribution_allowed is None and profile.redistribution_allowed is not None:
        terms.redistribution_allowed = profile.redistribution_allowed
        imported.append("redistribution_allowed")
    for term in imported:
        col.add(term, sentence)
