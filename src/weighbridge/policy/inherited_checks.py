"""Policy checks on the obligations a model inherits from its ancestors (``report.inherited``).

A fine-tune whose card says ``apache-2.0`` is still bound by the licence of the Llama 3.1 model it was trained
from. Each licence an ancestor brings is checked once (ancestors under the same licence are grouped); a licence
equal to the model's own weights licence is left to the licence checks, which already cover it. Every reason's
evidence is where the ancestor was stated (file, line) and the licence id with the table entry that resolved it.
"""

from __future__ import annotations

from ..core.license import CommercialUse, InheritedLicense, LicenseTerms, OutputTraining
from ..core.policy import IntendedUse, Outcome, Policy, PolicyEvidence, Reason
from ..core.report import Report
from . import evidence as ev
from .regions import overlaps

FAIL, WARN, PASS = Outcome.FAIL, Outcome.WARN, Outcome.PASS


def inherited_reasons(policy: Policy, report: Report) -> list[Reason]:
    identity = report.license.identity if report.license is not None else None
    own = identity.id if identity is not None else None
    groups: dict[str, list[InheritedLicense]] = {}
    for item in report.inherited:
        lid = item.license.id or item.license.name
        if lid != own:
            groups.setdefault(lid, []).append(item)
    out: list[Reason] = []
    for items in groups.values():
        out.extend(_group_reasons(policy.intended_use, items))
    return out


def _group_reasons(use: IntendedUse, items: list[InheritedLicense]) -> list[Reason]:
    first = items[0]
    quotes = _evidence(items)
    who = _who(items)
    terms = first.terms
    if terms is None:
        return [
            Reason(
                "inherited.terms",
                WARN,
                f"{who}: {first.license.name} has no known terms, so the "
                "intended use could not be checked against them",
                quotes,
            )
        ]
    out: list[Reason] = []
    for check in (_commercial, _naming, _attribution, _acceptable_use, _outputs, _user_cap, _regions):
        reason = check(use, terms, items, who, quotes)
        if reason is not None:
            out.append(reason)
    return out


def _evidence(items: list[InheritedLicense]) -> tuple[PolicyEvidence, ...]:
    out: list[PolicyEvidence] = []
    for item in items:
        out.extend(ev.from_citation(c) for c in item.ancestor.citations)
        out.append(
            PolicyEvidence(
                "inherited",
                file=item.data_file,
                key=item.license.id,
                quote=f"{item.ancestor.model}: {item.basis} ({item.source})",
            )
        )
    return tuple(dict.fromkeys(out))


def _who(items: list[InheritedLicense]) -> str:
    models = ", ".join(dict.fromkeys(i.ancestor.model for i in items))
    plural = "s" if len(items) > 1 else ""
    return f"the ancestor{plural} {models} ({items[0].license.name})"


def _commercial(
    use: IntendedUse,
    terms: LicenseTerms,
    items: list[InheritedLicense],
    who: str,
    quotes: tuple[PolicyEvidence, ...],
) -> Reason | None:
    if not use.commercial:
        return None
    if terms.research_only or terms.non_commercial or terms.commercial_use is CommercialUse.PROHIBITED:
        kind = "research-only" if terms.research_only else "non-commercial"
        return Reason(
            "inherited.commercial",
            FAIL,
            f"commercial use is intended but {who} is {kind}, and a "
            "model derived from it inherits that licence",
            quotes,
        )
    return None


def _naming(
    use: IntendedUse,
    terms: LicenseTerms,
    items: list[InheritedLicense],
    who: str,
    quotes: tuple[PolicyEvidence, ...],
) -> Reason | None:
    prefix = terms.derivative_naming
    derivative = any(i.derivative for i in items)
    possible = any("unknown" in i.relations for i in items)
    if prefix is None or not (derivative or possible):
        return None
    rule = "inherited.derivative_naming"
    kind = "a derivative" if derivative else "possibly a derivative (relation unknown)"
    name = use.derivative_name
    if name is None:
        return Reason(
            rule,
            WARN,
            f"this model is {kind} of {who}: a derivative distributed under any name must "
            f"start with {prefix!r}; the policy names no derivative",
            quotes,
        )
    if name.lower().startswith(prefix.lower()):
        return Reason(
            rule, PASS, f"the derivative name {name!r} starts with {prefix!r}, as {who} requires", quotes
        )
    return Reason(
        rule,
        FAIL if derivative else WARN,
        f"this model is {kind} of {who}: the derivative name {name!r} must start with {prefix!r}",
        quotes,
    )


def _attribution(
    use: IntendedUse,
    terms: LicenseTerms,
    items: list[InheritedLicense],
    who: str,
    quotes: tuple[PolicyEvidence, ...],
) -> Reason | None:
    if not terms.attribution:
        return None
    what = f"display {terms.attribution_text!r}" if terms.attribution_text else "a public attribution"
    return Reason(
        "inherited.attribution", WARN, f"{who} requires {what} in the product or its documentation", quotes
    )


def _acceptable_use(
    use: IntendedUse,
    terms: LicenseTerms,
    items: list[InheritedLicense],
    who: str,
    quotes: tuple[PolicyEvidence, ...],
) -> Reason | None:
    if not terms.acceptable_use_policy:
        return None
    url = f" ({terms.acceptable_use_policy_url})" if terms.acceptable_use_policy_url else ""
    return Reason(
        "inherited.acceptable_use_policy",
        WARN,
        f"{who} incorporates an acceptable-use policy{url}: its restrictions bind this model's use too",
        quotes,
    )


def _outputs(
    use: IntendedUse,
    terms: LicenseTerms,
    items: list[InheritedLicense],
    who: str,
    quotes: tuple[PolicyEvidence, ...],
) -> Reason | None:
    if not use.outputs_train_other_models:
        return None
    rule = "inherited.outputs_train_other_models"
    if terms.outputs_train_other_models is OutputTraining.PROHIBITED:
        return Reason(
            rule, FAIL, f"the policy plans to train other models on the outputs; {who} forbids it", quotes
        )
    if terms.outputs_train_other_models in (OutputTraining.CONDITIONAL, OutputTraining.UNKNOWN):
        return Reason(
            rule,
            WARN,
            f"the policy plans to train other models on the outputs; {who} allows that "
            f"only on conditions or does not decide it ({terms.outputs_train_other_models.value})",
            quotes,
        )
    return Reason(rule, PASS, f"{who} does not forbid training other models on the outputs", quotes)


def _user_cap(
    use: IntendedUse,
    terms: LicenseTerms,
    items: list[InheritedLicense],
    who: str,
    quotes: tuple[PolicyEvidence, ...],
) -> Reason | None:
    cap = terms.user_cap
    if cap is None:
        return None
    rule = "inherited.monthly_active_users"
    users = use.monthly_active_users
    if users is None:
        if not use.commercial:
            return None
        return Reason(
            rule,
            WARN,
            f"{who} sets a threshold of {cap:,} monthly active users; the policy does not "
            "say how many the organization has",
            quotes,
        )
    if users <= cap:
        return Reason(
            rule,
            PASS,
            f"{users:,} monthly active users is within the threshold of {cap:,} set by {who}",
            quotes,
        )
    return Reason(
        rule,
        FAIL,
        f"{users:,} monthly active users is above the threshold of {cap:,} set by {who}: "
        "a separate licence from the licensor is needed",
        quotes,
    )


def _regions(
    use: IntendedUse,
    terms: LicenseTerms,
    items: list[InheritedLicense],
    who: str,
    quotes: tuple[PolicyEvidence, ...],
) -> Reason | None:
    if not terms.geographic_restrictions or not use.regions:
        return None
    hits = sorted(
        {f"{r} (excluded: {x})" for r in use.regions for x in terms.geographic_restrictions if overlaps(r, x)}
    )
    if hits:
        return Reason(
            "inherited.regions",
            FAIL,
            f"{who} excludes territories the organization operates in: {', '.join(hits)}",
            quotes,
        )
    return None
