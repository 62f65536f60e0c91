"""The report codec, both directions: a ``Report`` to its ``weighbridge.report/1`` JSON document
(``report_to_dict``, behind ``Report.to_dict()``, in ``core/encode.py``) and back (``report_from_dict``, here),
so a policy can be evaluated again on what was recorded without reading the model's files. The encoder lives
apart because every JSON or SARIF report needs it and none needs the licence, provenance and policy types the
decoder builds (a one-file scan's start-up pays for those otherwise). Plain dicts in and out: no I/O, nothing is
unpickled, which is why it lives in ``core`` beside the types it encodes.

Everything a policy looks at survives the round trip; fields ``to_dict`` never wrote (a card's body and
outline, GGUF key offsets, ``LicenseIdentity.generic``) come back empty.
"""

from __future__ import annotations

from typing import Any

from .encode import report_to_dict
from .findings import Check, Finding, Location, Severity, WeighbridgeError
from .license import (
    CommercialUse,
    Evidence,
    InheritedLicense,
    LicenseAnalysis,
    LicenseConflict,
    LicenseDocKind,
    LicenseIdentity,
    LicenseRole,
    LicenseSource,
    LicenseSourceKind,
    LicenseTerms,
    OutputTraining,
)
from .policy import Outcome, PolicyEvidence, PolicyVerdict, Reason
from .provenance import (
    Ancestor,
    Citation,
    ComponentLicense,
    EvalResult,
    GGUFBaseModel,
    GGUFGeneral,
    GGUFValue,
    Jurisdiction,
    MetadataProblem,
    ModelCard,
    MOFResult,
    Openness,
    OpennessComponent,
    OSAIDRequirement,
    OSAIDResult,
    Party,
    Provenance,
    Screening,
    ScreeningMatch,
    SourceURL,
)
from .report import FileRecord, Report, Target, TargetKind

D = dict[str, Any]

__all__ = ["report_from_dict", "report_to_dict"]


def report_from_dict(doc: D) -> Report:
    """The Report a ``weighbridge.report/1`` document describes. Raises ``WeighbridgeError`` when it is not one."""
    if not isinstance(doc, dict) or doc.get("schema") != "weighbridge.report/1":
        raise WeighbridgeError("stored report is not a weighbridge.report/1 document")
    try:
        return _report(doc)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise WeighbridgeError(f"stored report cannot be read back: {type(exc).__name__}: {exc}") from None


def _report(doc: D) -> Report:
    provenance = _provenance(doc["provenance"]) if doc.get("provenance") is not None else None
    lineage = provenance.lineage if provenance is not None else ()
    return Report(
        target=_target(doc["target"]),
        tool_version=doc["tool"]["version"],
        files=[_file(f) for f in doc["files"]],
        findings=[_finding(f) for f in doc["findings"]],
        manifest_digest=(doc.get("manifest") or {}).get("digest"),
        license=_license(doc["license"]) if doc.get("license") is not None else None,
        provenance=provenance,
        openness=_openness(doc["openness"]) if doc.get("openness") is not None else None,
        policy=_verdict(doc["policy"]) if doc.get("policy") is not None else None,
        inherited=tuple(_inherited(i, lineage) for i in doc.get("inherited") or ()),
    )


def _target(d: D) -> Target:
    return Target(input=d["input"], kind=TargetKind(d["kind"]), path=d["path"], revision=d.get("revision"))


def _location(d: D | None) -> Location | None:
    if d is None:
        return None  # ``{}`` is a Location with nothing set, as ``Finding.to_dict`` writes one
    return Location(
        offset=d.get("offset"),
        opcode=d.get("opcode"),
        key=d.get("key"),
        line=d.get("line"),
        member=d.get("member"),
    )


def finding_from_dict(d: D) -> Finding:
    return _finding(d)


def _finding(d: D) -> Finding:
    return Finding(
        rule=d["rule"],
        check=Check(d["check"]),
        severity=Severity.parse(d["severity"]),
        title=d["title"],
        detail=d["detail"],
        path=d["path"],
        location=_location(d.get("location")),
        evidence=d.get("evidence"),
    )


def file_record_from_dict(d: D) -> FileRecord:
    """The ``FileRecord`` its ``to_dict`` describes (a scan worker's answer, a stored report's file)."""
    return _file(d)


def _file(d: D) -> FileRecord:
    return FileRecord(
        path=d["path"],
        size=d["size"],
        sha256=d.get("sha256"),
        format=d["format"],
        findings=[_finding(f) for f in d.get("findings") or ()],
        formats=list(d.get("formats") or ()),
    )


# --- licence ---


def identity_from_dict(d: D) -> LicenseIdentity:
    return LicenseIdentity(
        id=d.get("id"),
        name=d.get("name") or d.get("id") or "unknown",
        version=d.get("version"),
        family=d.get("family"),
        osi_approved=bool(d.get("osi_approved")),
        spdx=d.get("spdx"),
        hf_tag=d.get("hf_tag"),
        hf_license_name=d.get("hf_license_name"),
        kind=LicenseDocKind(d.get("kind") or LicenseDocKind.LICENSE.value),
    )


def terms_from_dict(d: D) -> LicenseTerms:
    return LicenseTerms(
        commercial_use=CommercialUse(d["commercial_use"]),
        user_cap=d.get("user_cap"),
        revenue_cap_usd=d.get("revenue_cap_usd"),
        revenue_period=d.get("revenue_period"),
        attribution=bool(d.get("attribution")),
        attribution_text=d.get("attribution_text"),
        derivative_naming=d.get("derivative_naming"),
        acceptable_use_policy=bool(d.get("acceptable_use_policy")),
        acceptable_use_policy_url=d.get("acceptable_use_policy_url"),
        outputs_train_other_models=OutputTraining(d["outputs_train_other_models"]),
        geographic_restrictions=list(d.get("geographic_restrictions") or ()),
        field_of_use_restrictions=bool(d.get("field_of_use_restrictions")),
        restricted_uses=list(d.get("restricted_uses") or ()),
        remote_restriction=bool(d.get("remote_restriction")),
        non_commercial=bool(d.get("non_commercial")),
        research_only=bool(d.get("research_only")),
        registration_required=bool(d.get("registration_required")),
        output_ownership=d.get("output_ownership"),
        derivatives_include_outputs=bool(d.get("derivatives_include_outputs")),
        restrictions_flow_down=bool(d.get("restrictions_flow_down")),
        redistribution_allowed=d.get("redistribution_allowed"),
        notice_required=bool(d.get("notice_required")),
        hosting=d.get("hosting"),
        hosted_service_is_distribution=bool(d.get("hosted_service_is_distribution")),
        export_control=bool(d.get("export_control")),
        governing_law=d.get("governing_law"),
        governing_law_code=d.get("governing_law_code"),
        terms_updatable=bool(d.get("terms_updatable")),
        revocable=bool(d.get("revocable")),
        rights_granted=d.get("rights_granted"),
    )


def evidence_from_dict(d: D) -> Evidence:
    return Evidence(term=d["term"], quote=d["quote"], file=d["file"], line=d.get("line"), key=d.get("key"))


def _source(d: D) -> LicenseSource:
    identity = None
    if d.get("id") is not None or d.get("name") is not None:
        identity = LicenseIdentity(id=d.get("id"), name=d.get("name") or d.get("id") or "unknown")
    return LicenseSource(
        kind=LicenseSourceKind(d["kind"]),
        file=d["file"],
        role=LicenseRole(d["role"]),
        identity=identity,
        value=d["value"],
        line=d.get("line"),
        key=d.get("key"),
    )


def _license(d: D) -> LicenseAnalysis:
    identity = identity_from_dict(d) if d.get("id") is not None or d.get("name") is not None else None
    return LicenseAnalysis(
        identity=identity,
        terms=terms_from_dict(d["terms"]) if d.get("terms") is not None else None,
        evidence=[evidence_from_dict(e) for e in d.get("evidence") or ()],
        sources=[_source(s) for s in d.get("sources") or ()],
        conflicts=[
            LicenseConflict(
                kind=c["kind"], detail=c["detail"], sources=tuple(c["sources"]), decided=c.get("decided")
            )
            for c in d.get("conflicts") or ()
        ],
        terms_basis=d.get("terms_basis") or "none",
        notes=list(d.get("notes") or ()),
    )


# --- provenance ---


def _citation(d: D) -> Citation:
    return Citation(
        file=d.get("file"), key=d.get("key"), line=d.get("line"), offset=d.get("offset"), value=d.get("value")
    )


def _citations(items: Any) -> tuple[Citation, ...]:
    return tuple(_citation(c) for c in items or ())


def _problem(d: D) -> MetadataProblem:
    return MetadataProblem(file=d.get("file"), message=d["message"], key=d.get("key"), line=d.get("line"))


def _jurisdiction(d: D | None) -> Jurisdiction | None:
    if d is None:
        return None
    return Jurisdiction(
        organization=d["organization"],
        country=d.get("country"),
        matched=d["matched"],
        sources=tuple(d.get("sources") or ()),
        data_file=d["data_file"],
        note=d.get("note"),
    )


def _party(d: D | None) -> Party | None:
    if d is None:
        return None
    return Party(
        name=d["name"],
        role=d["role"],
        citations=_citations(d.get("citations")),
        jurisdiction=_jurisdiction(d.get("jurisdiction")),
        inferred=d.get("inferred"),
    )


def _ancestor(d: D) -> Ancestor:
    return Ancestor(
        model=d["model"],
        repo_id=d.get("repo_id"),
        relation=d["relation"],
        relation_basis=d.get("relation_basis") or "stated",
        citations=_citations(d.get("citations")),
        child=d.get("child"),
        publisher=_party(d.get("publisher")),
        url=d.get("url"),
    )


def _card(d: D | None) -> ModelCard | None:
    if d is None:
        return None
    return ModelCard(
        file=d["file"],
        has_front_matter=bool(d.get("front_matter")),
        license=d.get("license"),
        license_name=d.get("license_name"),
        license_link=d.get("license_link"),
        base_model=tuple(d.get("base_model") or ()),
        base_model_relation=d.get("base_model_relation"),
        datasets=tuple(d.get("datasets") or ()),
        language=tuple(d.get("language") or ()),
        library_name=d.get("library_name"),
        pipeline_tag=d.get("pipeline_tag"),
        tags=tuple(d.get("tags") or ()),
        model_name=d.get("model_name"),
        model_creator=d.get("model_creator"),
        quantized_by=d.get("quantized_by"),
        eval_results=tuple(
            EvalResult(
                task=r.get("task"), dataset=r.get("dataset"), metric=r.get("metric"), value=r.get("value")
            )
            for r in d.get("eval_results") or ()
        ),
        headline=d.get("headline"),
    )


def _gguf_value(value: Any) -> GGUFValue:
    return tuple(str(v) for v in value) if isinstance(value, list) else value


def _gguf(d: D) -> GGUFGeneral:
    bases = tuple(
        GGUFBaseModel(
            index=b["index"],
            name=b.get("name"),
            organization=b.get("organization"),
            author=b.get("author"),
            version=b.get("version"),
            repo_url=b.get("repo_url"),
            url=b.get("url"),
        )
        for b in d.get("base_models") or ()
    )
    return GGUFGeneral(
        file=d["file"],
        values={k: _gguf_value(v) for k, v in (d.get("values") or {}).items()},
        base_models=bases,
        complete=bool(d.get("complete", True)),
    )


def _screening(d: D | None) -> Screening:
    if not d:
        return Screening()
    matches = tuple(
        ScreeningMatch(
            subject=m["subject"],
            subject_role=m["subject_role"],
            matched_on=m["matched_on"],
            listed_name=m["listed_name"],
            row_number=m["row_number"],
            row=dict(m["row"]),
            list_file=m["list_file"],
        )
        for m in d.get("matches") or ()
    )
    return Screening(
        list_file=d.get("list_file"),
        rows=d.get("rows") or 0,
        subjects=tuple(d.get("subjects") or ()),
        matches=matches,
    )


def _provenance(d: D) -> Provenance:
    return Provenance(
        publisher=_party(d.get("publisher")),
        parties=tuple(p for p in (_party(x) for x in d.get("parties") or ()) if p is not None),
        lineage=tuple(_ancestor(a) for a in d.get("lineage") or ()),
        source_urls=tuple(
            SourceURL(url=u["url"], role=u["role"], citations=_citations(u.get("citations")))
            for u in d.get("source_urls") or ()
        ),
        screening=_screening(d.get("screening")),
        card=_card(d.get("card")),
        gguf=tuple(_gguf(g) for g in d.get("gguf") or ()),
        problems=tuple(_problem(p) for p in d.get("problems") or ()),
        data_files=tuple(d.get("data_files") or ()),
    )


# --- openness ---


def _component(d: D) -> OpennessComponent:
    lic = d["license"]
    return OpennessComponent(
        id=d["id"],
        name=d["name"],
        mof_class=d["class"],
        content_type=d["content_type"],
        required=d["required"],
        status=d["status"],
        citations=_citations(d.get("citations")),
        license=ComponentLicense(
            id=lic.get("id"),
            open=lic.get("open"),
            basis=lic["basis"],
            type_appropriate=bool(lic.get("type_appropriate", True)),
        ),
        note=d.get("note"),
    )


def _openness(d: D) -> Openness:
    mof, osaid, weights = d["mof"], d["osaid"], d.get("weights_license") or {}
    progress = {int(k.removeprefix("class_")): float(v) for k, v in (mof.get("progress") or {}).items()}
    requirements = tuple(
        OSAIDRequirement(
            name=r["name"],
            met=r["met"],
            met_if_references_hold=r["met_if_references_hold"],
            reasons=tuple(r.get("reasons") or ()),
            citations=_citations(r.get("citations")),
        )
        for r in osaid.get("requirements") or ()
    )
    return Openness(
        weights_license_id=weights.get("id"),
        weights_license_osi=weights.get("osi_approved"),
        mof=MOFResult(
            mof_class=mof.get("class"),
            class_if_references_hold=mof.get("class_if_references_hold"),
            progress=progress,
            components=tuple(_component(c) for c in mof.get("components") or ()),
            missing=tuple(mof.get("missing") or ()),
        ),
        osaid=OSAIDResult(
            verdict=osaid["verdict"],
            verdict_if_references_hold=osaid["verdict_if_references_hold"],
            requirements=requirements,
        ),
        tokenizer=_citations((d.get("tokenizer") or {}).get("citations")),
        problems=tuple(_problem(p) for p in d.get("problems") or ()),
    )


# --- policy verdict and inherited licences ---


def _verdict(d: D) -> PolicyVerdict:
    reasons = tuple(
        Reason(
            rule=r["rule"],
            outcome=Outcome(r["outcome"]),
            message=r["message"],
            evidence=tuple(
                PolicyEvidence(
                    source=e["source"],
                    file=e.get("file"),
                    line=e.get("line"),
                    quote=e.get("quote"),
                    key=e.get("key"),
                    rule=e.get("rule"),
                )
                for e in r.get("evidence") or ()
            ),
        )
        for r in d.get("reasons") or ()
    )
    return PolicyVerdict(
        policy=d["name"], policy_file=d.get("file"), verdict=Outcome(d["verdict"]), reasons=reasons
    )


def _inherited(d: D, lineage: tuple[Ancestor, ...]) -> InheritedLicense:
    ancestor = next((a for a in lineage if a.model == d["ancestor"] and a.repo_id == d.get("repo_id")), None)
    if ancestor is None:
        ancestor = Ancestor(
            model=d["ancestor"],
            repo_id=d.get("repo_id"),
            relation=d["relation"],
            relation_basis="stated",
            citations=_citations(d.get("citations")),
        )
    return InheritedLicense(
        ancestor=ancestor,
        license=identity_from_dict(d["license"]),
        terms=terms_from_dict(d["terms"]) if d.get("terms") is not None else None,
        basis=d["basis"],
        source=d["source"],
        relations=tuple(d.get("relations") or ()),
        data_file=d.get("data_file") or "builtin:weighbridge/license/data/known_models.yaml",
    )
