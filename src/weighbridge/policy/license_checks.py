"""Policy checks that compare the intended use with the weights licence and its terms."""

from __future__ import annotations

from ..core.license import CommercialUse, LicenseAnalysis, LicenseTerms, OutputTraining
from ..core.policy import IntendedUse, Outcome, Policy, PolicyRules, Reason
from . import evidence as ev
from .regions import overlaps
from .sectors import restricted_sectors

FAIL, WARN, PASS = Outcome.FAIL, Outcome.WARN, Outcome.PASS


def license_reasons(policy: Policy, analysis: LicenseAnalysis | None) -> list[Reason]:
    identity = analysis.identity if analysis is not None else None
    if analysis is None or identity is None:
        return _unidentified(policy.rules, analysis)
    out = _family_and_osi(policy.rules, analysis)
    if analysis.conflicts:
        quotes = tuple(ev.from_policy("license.conflicts", c.detail) for c in analysis.conflicts)
        out.append(
            Reason(
                "license.conflicts",
                WARN,
                "the licence sources disagree; the weights licence was "
                f"taken to be {identity.id or identity.name}: check it",
                quotes,
            )
        )
    terms = analysis.terms
    if terms is None:
        out.append(
            Reason(
                "license.terms",
                WARN,
                f"{identity.name}: no licence text was read and the family has "
                "no known terms, so the intended use could not be checked against them",
            )
        )
        return out
    use = policy.intended_use
    for check in (
        _grant,
        _commercial,
        _caps,
        _outputs,
        _regions,
        _sectors,
        _naming,
        _attribution,
        _redistribution,
        _hosting,
    ):
        out.extend(check(use, terms, analysis))
    return out


def _unidentified(rules: PolicyRules, analysis: LicenseAnalysis | None) -> list[Reason]:
    strict = rules.osi_only or rules.allowed_license_families is not None
    outcome = FAIL if strict else WARN
    why = (
        " (the policy accepts only "
        + ("OSI-approved licences" if rules.osi_only else "listed families")
        + ")"
    )
    notes = tuple(ev.from_policy("license.notes", n) for n in (analysis.notes if analysis else []))
    return [
        Reason(
            "license.identified",
            outcome,
            "no licence could be identified for the weights" + (why if strict else ""),
            notes,
        )
    ]


def _family_and_osi(rules: PolicyRules, analysis: LicenseAnalysis) -> list[Reason]:
    identity = analysis.identity
    assert identity is not None
    names = {n.lower() for n in (identity.family, identity.id) if n}
    label = f"{identity.name} (family {identity.family or 'unknown'})"
    quotes = ev.from_license(analysis, "license")
    out: list[Reason] = []
    denied = names & set(rules.denied_license_families)
    if denied:
        out.append(Reason("rules.denied_license_families", FAIL, f"{label} is denied by the policy", quotes))
    if rules.allowed_license_families is not None:
        if names & set(rules.allowed_license_families):
            out.append(
                Reason("rules.allowed_license_families", PASS, f"{label} is an allowed family", quotes)
            )
        else:
            allowed = ", ".join(rules.allowed_license_families)
            out.append(
                Reason(
                    "rules.allowed_license_families",
                    FAIL,
                    f"{label} is not one of the allowed families ({allowed})",
                    quotes,
                )
            )
    if rules.osi_only:
        if identity.osi_approved:
            out.append(Reason("rules.osi_only", PASS, f"{identity.name} is OSI-approved", quotes))
        else:
            out.append(
                Reason("rules.osi_only", FAIL, f"{identity.name} is not an OSI-approved licence", quotes)
            )
    return out


def _grant(use: IntendedUse, terms: LicenseTerms, analysis: LicenseAnalysis) -> list[Reason]:
    """Whatever the intended use, it needs a licence: a text that reserves all rights fails, and one in which
    no grant was found goes to review (its open terms are unknown, never allowed)."""
    if terms.rights_granted is False:
        return [
            Reason(
                "license.grant",
                FAIL,
                "the licence text reserves all rights and grants none: any use "
                "needs the owner's separate permission",
                ev.from_license(analysis, "rights_granted"),
            )
        ]
    if terms.rights_granted is None:
        return [
            Reason(
                "license.grant",
                WARN,
                "no grant of rights was found in the licence text, so the terms it "
                "leaves open are unknown: have the licence reviewed",
                ev.from_license(analysis, "license"),
            )
        ]
    return []


def _commercial(use: IntendedUse, terms: LicenseTerms, analysis: LicenseAnalysis) -> list[Reason]:
    if not use.commercial:
        return []
    quotes = ev.from_license(analysis, "commercial_use", "non_commercial", "research_only")
    if terms.research_only or terms.non_commercial or terms.commercial_use is CommercialUse.PROHIBITED:
        kind = (
            "research-only"
            if terms.research_only
            else "non-commercial"
            if terms.non_commercial
            else "not granted for commercial use"
        )
        return [
            Reason(
                "intended_use.commercial",
                FAIL,
                f"commercial use is intended but the licence is {kind}",
                quotes,
            )
        ]
    out: list[Reason] = []
    if terms.commercial_use is CommercialUse.UNKNOWN:
        out.append(
            Reason(
                "intended_use.commercial",
                WARN,
                "commercial use is intended but the licence text does not decide whether it is allowed",
                quotes,
            )
        )
    if terms.registration_required:
        out.append(
            Reason(
                "intended_use.commercial",
                WARN,
                "commercial use needs a registration with the licensor first",
                ev.from_license(analysis, "registration_required"),
            )
        )
    agreement = ev.from_license(analysis, "royalty_or_agreement")
    if terms.commercial_use is CommercialUse.CONDITIONAL and agreement:
        out.append(
            Reason(
                "intended_use.commercial",
                WARN,
                "commercial use is conditional on a royalty or a separate agreement with the licensor",
                agreement,
            )
        )
    if terms.commercial_use is CommercialUse.ALLOWED:
        out.append(Reason("intended_use.commercial", PASS, "the licence allows commercial use", quotes))
    return out


def _caps(use: IntendedUse, terms: LicenseTerms, analysis: LicenseAnalysis) -> list[Reason]:
    if not use.commercial:
        return []
    out: list[Reason] = []
    if terms.user_cap is not None:
        out.append(
            _over_cap(
                "intended_use.monthly_active_users",
                "monthly active users",
                use.monthly_active_users,
                terms.user_cap,
                terms,
                analysis,
                "user_cap",
            )
        )
    if terms.revenue_cap_usd is not None:
        revenue = use.annual_revenue_usd
        cap, shown = terms.revenue_cap_usd, f"US${terms.revenue_cap_usd:,}"
        if terms.revenue_period == "monthly":
            revenue = revenue // 12 if revenue is not None else None
            shown += " a month (the policy's annual revenue / 12)"
        out.append(
            _over_cap(
                "intended_use.annual_revenue_usd",
                "revenue",
                revenue,
                cap,
                terms,
                analysis,
                "revenue_cap_usd",
                shown,
            )
        )
    return out


def _over_cap(
    rule: str,
    what: str,
    value: int | None,
    cap: int,
    terms: LicenseTerms,
    analysis: LicenseAnalysis,
    term: str,
    shown: str | None = None,
) -> Reason:
    quotes = ev.from_license(analysis, term)
    limit = shown or f"{cap:,}"
    if value is None:
        return Reason(
            rule,
            WARN,
            f"the licence sets a threshold of {limit} {what}; the policy does not say "
            "how many the organization has",
            quotes,
        )
    if value <= cap:
        return Reason(rule, PASS, f"{value:,} {what} is within the licence threshold of {limit}", quotes)
    if _cap_means_display(terms, analysis, term):
        return Reason(
            rule,
            WARN,
            f"{value:,} {what} is above {limit}: the licence then requires displaying "
            f"{terms.attribution_text!r} in the product",
            quotes,
        )
    return Reason(
        rule,
        FAIL,
        f"{value:,} {what} is above the licence threshold of {limit}: a separate licence "
        "from the licensor is needed",
        quotes,
    )


def _cap_means_display(terms: LicenseTerms, analysis: LicenseAnalysis, term: str) -> bool:
    """Modified-MIT style caps trigger a display duty, not a new licence: the cap's own sentence says so."""
    if not (terms.attribution and terms.attribution_text):
        return False
    text = " ".join(e.quote.lower() for e in analysis.evidence if e.term == term)
    return "display" in text or terms.attribution_text.lower() in text


def _outputs(use: IntendedUse, terms: LicenseTerms, analysis: LicenseAnalysis) -> list[Reason]:
    if not use.outputs_train_other_models:
        return []
    quotes = ev.from_license(analysis, "outputs_train_other_models")
    if terms.outputs_train_other_models is OutputTraining.PROHIBITED:
        return [
            Reason(
                "intended_use.outputs_train_other_models",
                FAIL,
                "the policy plans to train other models on the outputs; the licence forbids it",
                quotes,
            )
        ]
    if terms.outputs_train_other_models is OutputTraining.UNKNOWN:
        return [
            Reason(
                "intended_use.outputs_train_other_models",
                WARN,
                "the policy plans to train other models "
                "on the outputs; the licence text does not decide whether that is allowed",
                quotes,
            )
        ]
    if terms.outputs_train_other_models is OutputTraining.CONDITIONAL:
        return [
            Reason(
                "intended_use.outputs_train_other_models",
                WARN,
                "the policy plans to train other models "
                "on the outputs; the licence allows using them only on conditions: check them",
                quotes,
            )
        ]
    if terms.derivatives_include_outputs:
        return [
            Reason(
                "intended_use.outputs_train_other_models",
                WARN,
                "models trained on the outputs count as "
                "derivatives: the licence's restrictions attach to them",
                ev.from_license(analysis, "derivatives_include_outputs"),
            )
        ]
    return [
        Reason(
            "intended_use.outputs_train_other_models",
            PASS,
            "the licence does not restrict training other models on the outputs",
            quotes,
        )
    ]


def _regions(use: IntendedUse, terms: LicenseTerms, analysis: LicenseAnalysis) -> list[Reason]:
    if not terms.geographic_restrictions or not use.regions:
        return []
    quotes = ev.from_license(analysis, "geographic_restrictions")
    hits = sorted(
        {f"{r} (excluded: {x})" for r in use.regions for x in terms.geographic_restrictions if overlaps(r, x)}
    )
    if hits:
        return [
            Reason(
                "intended_use.regions",
                FAIL,
                f"the licence excludes territories the organization operates in: {', '.join(hits)}",
                quotes,
            )
        ]
    excluded = ", ".join(terms.geographic_restrictions)
    return [
        Reason(
            "intended_use.regions",
            PASS,
            f"no region of operation is among the licence's excluded territories ({excluded})",
            quotes,
        )
    ]


def _sectors(use: IntendedUse, terms: LicenseTerms, analysis: LicenseAnalysis) -> list[Reason]:
    if not terms.field_of_use_restrictions:
        return []
    quotes = ev.from_license(analysis, "field_of_use_restrictions", "acceptable_use_policy")
    hits = restricted_sectors(use.sectors, terms.restricted_uses)
    if hits:
        listed = ", ".join(f"{s} ({u})" for s, u in hits)
        return [
            Reason(
                "intended_use.sectors",
                FAIL,
                f"the licence restricts uses in the organization's sectors: {listed}",
                quotes,
            )
        ]
    sectors = ", ".join(use.sectors) or "none stated"
    uses = ", ".join(u for u in terms.restricted_uses if u != "use_based_restrictions")
    named = f" ({uses})" if uses else ""
    return [
        Reason(
            "intended_use.sectors",
            WARN,
            f"the licence restricts fields of use{named}; check the clause against the sectors ({sectors})",
            quotes,
        )
    ]


def _naming(use: IntendedUse, terms: LicenseTerms, analysis: LicenseAnalysis) -> list[Reason]:
    prefix = terms.derivative_naming
    if prefix is None or not (use.fine_tuning or use.derivative_name or use.outputs_train_other_models):
        return []
    quotes = ev.from_license(analysis, "derivative_naming")
    rule = "intended_use.derivative_name"
    name = use.derivative_name
    if name is None:
        return [
            Reason(
                rule,
                WARN,
                f"a model derived from this one (or trained on its outputs) must be named "
                f"starting with {prefix!r}; the policy names no derivative",
                quotes,
            )
        ]
    if name.lower().startswith(prefix.lower()):
        return [Reason(rule, PASS, f"the derivative name {name!r} starts with {prefix!r}", quotes)]
    return [Reason(rule, FAIL, f"the derivative name {name!r} must start with {prefix!r}", quotes)]


def _attribution(use: IntendedUse, terms: LicenseTerms, analysis: LicenseAnalysis) -> list[Reason]:
    if not terms.attribution:
        return []
    if any(_cap_means_display(terms, analysis, t) for t in ("user_cap", "revenue_cap_usd")):
        return []  # the duty applies above the caps only, and the cap checks report it there
    what = f"display {terms.attribution_text!r}" if terms.attribution_text else "a public attribution"
    return [
        Reason(
            "license.attribution",
            WARN,
            f"the licence requires {what} in the product or its documentation",
            ev.from_license(analysis, "attribution"),
        )
    ]


def _redistribution(use: IntendedUse, terms: LicenseTerms, analysis: LicenseAnalysis) -> list[Reason]:
    if not use.redistribute_weights:
        return []
    rule = "intended_use.redistribute_weights"
    if terms.redistribution_allowed is False:
        return [
            Reason(
                rule,
                FAIL,
                "the licence does not allow redistributing the weights",
                ev.from_license(analysis, "redistribution_allowed"),
            )
        ]
    out: list[Reason] = []
    if terms.redistribution_allowed is None:
        out.append(
            Reason(
                rule,
                WARN,
                "the licence text does not say whether the weights may be redistributed",
                ev.from_license(analysis, "license"),
            )
        )
    if terms.restrictions_flow_down:
        out.append(
            Reason(
                rule,
                WARN,
                "recipients of the weights must be bound by the licence's use restrictions",
                ev.from_license(analysis, "restrictions_flow_down"),
            )
        )
    if terms.notice_required:
        out.append(
            Reason(
                rule,
                WARN,
                "copies must carry the licence text and its notices",
                ev.from_license(analysis, "notice_required"),
            )
        )
    if not out:
        out.append(
            Reason(
                rule,
                PASS,
                "the licence allows redistributing the weights",
                ev.from_license(analysis, "redistribution_allowed"),
            )
        )
    return out


def _hosting(use: IntendedUse, terms: LicenseTerms, analysis: LicenseAnalysis) -> list[Reason]:
    if not use.host_for_others:
        return []
    rule = "intended_use.host_for_others"
    quotes = ev.from_license(analysis, "hosting", "hosted_service_is_distribution")
    if terms.hosting == "prohibited":
        return [Reason(rule, FAIL, "the licence forbids hosting the model for others", quotes)]
    if terms.hosting == "separate_license":
        return [Reason(rule, FAIL, "hosting the model for others needs a separate licence", quotes)]
    if terms.hosted_service_is_distribution:
        return [
            Reason(
                rule,
                WARN,
                "offering the model as a service counts as distribution: the licence's "
                "distribution duties apply",
                quotes,
            )
        ]
    if not terms.rights_granted:
        return [
            Reason(
                rule,
                WARN,
                "the licence text grants nothing Weighbridge found, so hosting for others is "
                "not known to be allowed",
                quotes,
            )
        ]
    return [Reason(rule, PASS, "the licence sets no hosting restriction", quotes)]
