"""Policy checks on the rest of the report: openness, jurisdictions, remote code, scan severity, audits and
screening."""

from __future__ import annotations

from ..core.findings import Check, Severity
from ..core.policy import Outcome, PolicyEvidence, PolicyRules, Reason
from ..core.provenance import Party, Provenance, mof_label
from ..core.report import Report
from . import evidence as ev
from .regions import within

FAIL, WARN, PASS = Outcome.FAIL, Outcome.WARN, Outcome.PASS
# code that runs when the model is used: trust_remote_code modules, and a llamafile's own runtime
REMOTE_CODE_RULES = ("WB-REPO-001", "WB-REPO-002", "WB-EXE-003")


def openness_reasons(rules: PolicyRules, report: Report) -> list[Reason]:
    out: list[Reason] = []
    openness = report.openness
    if rules.required_openness_class is not None:
        rule, need = "rules.required_openness_class", rules.required_openness_class
        if openness is None:
            out.append(Reason(rule, FAIL, f"{mof_label(need)} is required but openness was not assessed"))
        else:
            mof = openness.mof
            quotes = tuple(PolicyEvidence("openness", quote=m, key="mof.missing") for m in mof.missing)
            if mof.mof_class is not None and mof.mof_class <= need:
                out.append(Reason(rule, PASS, f"the model is {mof.label}; {mof_label(need)} is required"))
            elif mof.class_if_references_hold is not None and mof.class_if_references_hold <= need:
                out.append(
                    Reason(
                        rule,
                        WARN,
                        f"the model reaches {mof_label(need)} only if the components the "
                        f"card points to are what it says (now {mof.label})",
                        quotes,
                    )
                )
            else:
                out.append(
                    Reason(rule, FAIL, f"the model is {mof.label}; {mof_label(need)} is required", quotes)
                )
    if rules.required_osaid is not None:
        rule = "rules.required_osaid"
        if openness is None:
            out.append(Reason(rule, FAIL, "open source AI is required but openness was not assessed"))
        else:
            osaid = openness.osaid
            quotes = tuple(PolicyEvidence("openness", quote=m, key="osaid.missing") for m in osaid.missing)
            if osaid.verdict == rules.required_osaid:
                out.append(Reason(rule, PASS, "the model meets the OSI Open Source AI Definition"))
            elif osaid.verdict_if_references_hold == rules.required_osaid:
                out.append(
                    Reason(
                        rule,
                        WARN,
                        "the model meets the Open Source AI Definition only if the "
                        f"referenced components hold (now {osaid.verdict})",
                        quotes,
                    )
                )
            else:
                out.append(Reason(rule, FAIL, f"the model is {osaid.verdict}, not open source AI", quotes))
    return out


def _parties(provenance: Provenance) -> list[tuple[str, Party | None, tuple[PolicyEvidence, ...]]]:
    """(who, party, citations): the publisher and every ancestor's publisher."""
    out: list[tuple[str, Party | None, tuple[PolicyEvidence, ...]]] = []
    if provenance.publisher is not None:
        p = provenance.publisher
        out.append((f"publisher {p.name}", p, tuple(ev.from_citation(c) for c in p.citations)))
    for a in provenance.lineage:
        out.append((f"ancestor {a.model}", a.publisher, tuple(ev.from_citation(c) for c in a.citations)))
    return out


def jurisdiction_reasons(rules: PolicyRules, report: Report) -> list[Reason]:
    if rules.allowed_jurisdictions is None and not rules.denied_jurisdictions:
        return []
    provenance = report.provenance
    if provenance is None:
        return [
            Reason(
                "rules.allowed_jurisdictions"
                if rules.allowed_jurisdictions is not None
                else "rules.denied_jurisdictions",
                WARN,
                "provenance was not assessed",
            )
        ]
    parties = _parties(provenance)
    if not parties:
        return [
            Reason(
                "rules.allowed_jurisdictions"
                if rules.allowed_jurisdictions is not None
                else "rules.denied_jurisdictions",
                WARN,
                "neither the publisher nor any ancestor could be identified",
            )
        ]
    out: list[Reason] = []
    for who, party, cites in parties:
        country = party.country if party is not None else None
        data = (
            PolicyEvidence(
                "provenance",
                file=party.jurisdiction.data_file,
                key=party.jurisdiction.organization,
                quote=country,
            )
            if party is not None and party.jurisdiction is not None
            else None
        )
        quotes = cites + ((data,) if data is not None else ())
        if country is None:
            if rules.allowed_jurisdictions is not None:
                out.append(
                    Reason(
                        "rules.allowed_jurisdictions", WARN, f"the country of the {who} is not known", quotes
                    )
                )
            continue
        denied = [d for d in rules.denied_jurisdictions if within(country, d)]
        if denied:
            out.append(
                Reason(
                    "rules.denied_jurisdictions",
                    FAIL,
                    f"the {who} is in {country}, a denied jurisdiction",
                    quotes,
                )
            )
        elif rules.allowed_jurisdictions is not None:
            if any(within(country, a) for a in rules.allowed_jurisdictions):
                out.append(
                    Reason(
                        "rules.allowed_jurisdictions",
                        PASS,
                        f"the {who} is in {country}, an allowed jurisdiction",
                        quotes,
                    )
                )
            else:
                out.append(
                    Reason(
                        "rules.allowed_jurisdictions",
                        FAIL,
                        f"the {who} is in {country}, not an allowed jurisdiction",
                        quotes,
                    )
                )
        else:
            out.append(
                Reason(
                    "rules.denied_jurisdictions",
                    PASS,
                    f"the {who} is in {country}, not a denied jurisdiction",
                    quotes,
                )
            )
    return out


def remote_code_reasons(rules: PolicyRules, report: Report) -> list[Reason]:
    hits = [f for f in report.findings if f.rule.startswith(REMOTE_CODE_RULES)]
    if not hits or rules.remote_code == "allow":
        return []
    outcome = FAIL if rules.remote_code == "forbid" else WARN
    verb = "forbids" if outcome is FAIL else "warns about"
    where = ", ".join(sorted({f.path for f in hits}))
    return [
        Reason(
            "rules.remote_code",
            outcome,
            f"loading the model runs code from the repository ({where}); the policy {verb} remote code",
            tuple(ev.from_finding(f) for f in hits),
        )
    ]


def severity_reasons(rules: PolicyRules, report: Report) -> list[Reason]:
    limit = rules.max_scan_severity
    if limit is None:
        return []
    over = [f for f in report.findings if f.severity > limit]
    if not over:
        top = report.max_severity
        return [
            Reason(
                "rules.max_scan_severity",
                PASS,
                f"the worst finding is {top.label if top else 'none'}; the policy allows up to {limit.label}",
            )
        ]
    worst = max(f.severity for f in over)
    return [
        Reason(
            "rules.max_scan_severity",
            FAIL,
            f"{len(over)} finding(s) above {limit.label} (worst: {worst.label})",
            tuple(ev.from_finding(f) for f in over),
        )
    ]


def integrity_reasons(rules: PolicyRules, report: Report) -> list[Reason]:
    """A failed integrity check (digest mismatch, unreadable or broken weight file) fails every policy: which
    bytes would be admitted is unknown, whatever severity the policy otherwise tolerates."""
    failed = [f for f in report.findings if f.check is Check.INTEGRITY and f.severity >= Severity.HIGH]
    if not failed:
        return []
    where = ", ".join(sorted({f.path for f in failed}))
    return [
        Reason(
            "integrity",
            FAIL,
            f"{len(failed)} file integrity check(s) failed ({where}); the files are not the intact model",
            tuple(ev.from_finding(f) for f in failed),
        )
    ]


def audit_reasons(rules: PolicyRules, report: Report) -> list[Reason]:
    return [
        Reason(
            "rules.required_audits",
            WARN,
            f"the review {name!r} is required: an organization review, "
            "not a behaviour audit Weighbridge measures (those are the policy's audit: section); a person "
            "records its outcome with `weighbridge registry approve`",
            (ev.from_policy("rules.required_audits", name),),
        )
        for name in rules.required_audits
    ]


def screening_reasons(rules: PolicyRules, report: Report) -> list[Reason]:
    screening = report.provenance.screening if report.provenance is not None else None
    rule = "rules.screening_hits"
    if screening is None or screening.list_file is None:
        if rules.screening_hits is None:
            return []
        return [
            Reason(
                rule,
                WARN,
                "the policy checks screening hits but no screening list was supplied "
                "(inspect --screening FILE)",
            )
        ]
    if not screening.matches:
        return [
            Reason(
                rule,
                PASS,
                f"no party matches the screening list ({screening.rows} rows)",
                (PolicyEvidence("provenance", file=screening.list_file),),
            )
        ]
    outcome = FAIL if rules.screening_hits == "fail" else WARN
    out: list[Reason] = []
    for m in screening.matches:
        quote = PolicyEvidence(
            "provenance", file=m.list_file, line=m.row_number, quote=m.listed_name, key=m.matched_on
        )
        out.append(
            Reason(
                rule,
                outcome,
                f"the {m.subject_role} {m.subject!r} matches {m.listed_name!r} on the screening list",
                (quote,),
            )
        )
    return out
