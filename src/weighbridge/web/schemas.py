"""The REST API's request and response bodies (pydantic), so the OpenAPI document says what each returns.

The registry hands out plain dicts; these models fix their shape at the API boundary. The report sections
(licence, provenance, openness, policy) keep the structure of ``weighbridge.report/1`` and are typed as
JSON objects here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..core.registry import Decision, DecisionAction

POLICY_NAME = r"^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$"  # no "/", no ".." (the registry agrees)
MODEL_NAME_MAX = 200


class Error(BaseModel):
    """Every error the API returns (except request validation, 422)."""

    detail: str = Field(description="One line saying what went wrong.")


class ValidationIssue(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorBody(BaseModel):
    detail: list[ValidationIssue]


class HumanAction(StrEnum):
    """What a person may decide through the API."""

    APPROVE = DecisionAction.APPROVE.value
    REVOKE = DecisionAction.REVOKE.value
    QUARANTINE = DecisionAction.QUARANTINE.value
    REJECT = DecisionAction.REJECT.value


class SeverityName(StrEnum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"
    info = "info"


class VersionSummary(BaseModel):
    """One model version as the inventory lists it: identity, decision and the latest report's summary."""

    id: int
    model: str
    source: str
    revision: str | None = None
    manifest_digest: str = Field(description="SHA-256 manifest digest of the version's files (hex).")
    decision: Decision
    signature: str
    derived_from: str | None = None
    relation: str | None = None
    recorded_at: str | None = None
    decided_at: str | None = None
    max_severity: str = Field(description="Worst finding of the latest report, or 'none'.")
    verdict: str | None = Field(None, description="Policy verdict of the latest report (pass/warn/fail).")
    license_id: str | None = None
    license_family: str | None = None
    jurisdiction: str | None = Field(None, description="Publisher country (ISO 3166-1 alpha-2).")
    openness_class: int | None = Field(None, description="Model Openness Framework class (1 most open).")


class FileEntry(BaseModel):
    path: str
    size: int
    sha256: str | None
    format: str


class FindingEntry(BaseModel):
    rule: str
    check: str
    severity: str
    path: str
    title: str
    detail: str
    evidence: str | None = None
    location: dict[str, Any] | None = None


class DecisionEntry(BaseModel):
    decision: Decision
    action: DecisionAction
    actor: str
    reason: str
    at: str
    policy: str | None = None
    reasons: list[str] = []
    version: str | None = Field(None, description="Manifest digest of the version decided on.")
    policy_sha256: str | None = None


class LineageParent(BaseModel):
    model: str
    version: str | None
    relation: str
    recorded_at: str | None = None


class LineageChild(BaseModel):
    model: str
    version: str
    relation: str


class Lineage(BaseModel):
    parents: list[LineageParent]
    children: list[LineageChild]


class Obligation(BaseModel):
    """A licence duty a parent model carries to an in-house derivative, with the quoted clauses."""

    model_config = ConfigDict(extra="allow")

    kind: str
    text: str
    license: str | None = None
    origin: str
    via: list[str] = []
    evidence: list[dict[str, Any]] = []


class AuditEntry(BaseModel):
    id: int
    recorded_at: str | None
    summary: dict[str, Any]


class ReportRef(BaseModel):
    id: int
    kind: str
    recorded_at: str | None
    verdict: str | None
    max_severity: str


class VersionDetail(BaseModel):
    """Everything the registry holds about one version."""

    model: str
    version: VersionSummary
    files: list[FileEntry]
    findings: list[FindingEntry]
    license: dict[str, Any] | None = Field(None, description="The report's licence section, quotes included.")
    provenance: dict[str, Any] | None = None
    openness: dict[str, Any] | None = None
    policy: dict[str, Any] | None = None
    inherited: list[dict[str, Any]] = []
    lineage: Lineage
    obligations: list[Obligation]
    audits: list[AuditEntry]
    history: list[DecisionEntry]
    reports: list[ReportRef]


class ModelOverview(BaseModel):
    """One model: its newest version, every version (newest first), who publishes it, and its decisions."""

    model: str
    latest: VersionSummary
    versions: list[VersionSummary] = Field(description="Every recorded version, newest first.")
    publisher: str | None = Field(None, description="Publisher named by the newest version's provenance.")
    jurisdiction: str | None = Field(None, description="Publisher country (ISO 3166-1 alpha-2).")
    openness_class: int | None = Field(None, description="Model Openness Framework class (1 most open).")
    openness_label: str | None = Field(
        None, description="Model Openness Framework label, e.g. 'Unclassified'."
    )
    history: list[DecisionEntry] = Field(description="Every decision on every version, oldest first.")


class AdmitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: str = Field(
        min_length=1,
        max_length=4096,
        description="An existing local file or folder, hf:org/name[@revision] or ollama:name[:tag].",
    )
    policy: str | None = Field(
        None,
        pattern=POLICY_NAME,
        max_length=100,
        description="Name of a stored policy to decide with (see /policies).",
    )
    name: str | None = Field(
        None, min_length=1, max_length=MODEL_NAME_MAX, description="Registry name (default: from the target)."
    )
    derived_from: str | None = Field(
        None,
        min_length=1,
        max_length=MODEL_NAME_MAX,
        description="An admitted registry model this one derives from.",
    )
    relation: str = Field("finetune", description="finetune, merge, quantization, adapter or base.")
    note: str | None = Field(None, max_length=2000)


class AdmitResult(BaseModel):
    version: VersionSummary
    decision: DecisionEntry


class DecisionRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"action": "revoke", "reason": "the licence changed upstream"}]},
    )

    action: HumanAction
    reason: str = Field(min_length=1, max_length=2000, pattern=r"\S", description="Why (required).")
    version: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="Revision or manifest digest (or a 7+ character prefix); default: the newest version.",
    )


class PolicySummary(BaseModel):
    name: str
    sha256: str
    uploaded_at: str | None
    revisions: int


class PolicyDocument(BaseModel):
    name: str
    sha256: str
    yaml_text: str
    uploaded_at: str | None


class PolicyUpload(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"yaml_text": "name: strict\nrules:\n  max_scan_severity: medium\n  remote_code: forbid\n"}
            ]
        },
    )

    yaml_text: str = Field(min_length=1, max_length=200_000, description="The policy as YAML.")


class Health(BaseModel):
    status: str
    version: str
    registry: str


class FleetFindingEntry(BaseModel):
    model: str
    version: str
    rule: str
    severity: str
    title: str
    path: str
    at: str | None


class VerdictFlipEntry(BaseModel):
    model: str
    version: str
    before: str
    after: str
    at: str | None


class FleetSummaryBody(BaseModel):
    """Counts over the newest version of every model, the newest findings, and verdicts that flipped."""

    models: int
    versions: int
    by_decision: dict[str, int]
    by_verdict: dict[str, int]
    by_license_family: dict[str, int]
    by_jurisdiction: dict[str, int]
    by_max_severity: dict[str, int]
    newest_findings: list[FleetFindingEntry]
    flips: list[VerdictFlipEntry]


class MirrorServedEntry(BaseModel):
    """An admitted version as the mirror serves it."""

    model: str
    repo_id: str = Field(
        description="What clients ask for: org/name of the hf: source, else the registry name."
    )
    commit: str = Field(description="The commit clients see (40 hex).")
    manifest_digest: str
    source: str
    files: int
    bytes: int
    pulls: int = Field(description="Downloads served (resumed ranges not counted again).")
    published: bool | None = Field(
        description="All blobs in the mirror's store (null: store not known here)."
    )
    protocols: list[str]
    oci: list[str] = Field(
        default_factory=list,
        description="namespace/name:tag references served over /v2/ "
        "(ollama pull, skopeo), when the version is an Ollama model or has a GGUF.",
    )
    withheld: list[str] = Field(
        description="Files whose stored bytes no longer match: the version is withheld."
    )
    decided_at: str | None


class MirrorIntakeEntry(BaseModel):
    id: int
    key: str
    source: str
    state: str
    requested_by: str
    requested_at: str | None
    updated_at: str | None
    owner: str | None
    model: str | None
    manifest_digest: str | None
    detail: str | None


class MirrorPullEntry(BaseModel):
    """A request the mirror refused: who asked for what, when, and why it was refused."""

    id: int | None
    at: str | None
    protocol: str
    repo: str
    revision: str | None
    path: str | None
    outcome: str
    client: str | None
    user: str | None
    model: str | None
    version: str | None
    refusal: str | None
    reason: str | None


class MirrorOverviewBody(BaseModel):
    """The mirror at a glance: what it serves, the intake queue, the refused-pulls audit trail."""

    model_config = ConfigDict(populate_by_name=True)

    schema_: str = Field(alias="schema")
    catalogue: list[MirrorServedEntry]
    intake: list[MirrorIntakeEntry]
    waiting: int
    refused: list[MirrorPullEntry]
