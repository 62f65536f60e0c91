"""Domain types of Weighbridge. Plain dataclasses and enums: no I/O, no parsing."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.IntEnum):
    """How bad a finding is. Ordered, so ``max()`` and comparisons work."""

    INFO = 1
    LOW = 2
    MEDIUM = 3
    HIGH = 4
    CRITICAL = 5

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of: {names})") from None


class Check(enum.StrEnum):
    """Which question a finding answers."""

    ARTIFACT = "artifact"  # can loading this file run code or harm the host?
    INTEGRITY = "integrity"  # are the bytes what the source claims?
    REPOSITORY = "repository"  # what does the folder as a whole ask of a loader?


class TargetKind(enum.StrEnum):
    FILE = "file"
    FOLDER = "folder"
    HF = "hf"
    OLLAMA = "ollama"


@dataclass(frozen=True, slots=True)
class Location:
    """Where in a file a finding was made. Only the fields that apply are set."""

    offset: int | None = None
    opcode: str | None = None
    key: str | None = None
    line: int | None = None
    member: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in (
            ("offset", self.offset), ("opcode", self.opcode), ("key", self.key),
            ("line", self.line), ("member", self.member)) if v is not None}


@dataclass(frozen=True, slots=True)
class Rule:
    """A stable, documented check. Findings refer to rules by id."""

    id: str
    check: Check
    severity: Severity
    title: str
    description: str


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    check: Check
    severity: Severity
    title: str
    detail: str
    path: str
    location: Location | None = None
    evidence: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "check": self.check.value,
            "severity": self.severity.label,
            "title": self.title,
            "detail": self.detail,
            "path": self.path,
            "location": self.location.to_dict() if self.location else None,
            "evidence": self.evidence,
        }


@dataclass(frozen=True, slots=True)
class Target:
    """What the user asked for, and where it was found on disk."""

    input: str
    kind: TargetKind
    path: str
    revision: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"input": self.input, "kind": self.kind.value, "path": self.path, "revision": self.revision}


@dataclass(frozen=True, slots=True)
class SnapshotFile:
    """One file of a resolved target: its name in the model, where it lives, what the source says it hashes to."""

    rel: str
    abspath: str
    expected_sha256: str | None = None
    digest_source: str | None = None  # e.g. "hf-cache blob name", "ollama blob digest"


@dataclass(frozen=True, slots=True)
class Snapshot:
    target: Target
    root: str  # folder the relative names are relative to
    files: tuple[SnapshotFile, ...]
    notes: tuple[Finding, ...] = ()  # findings made while resolving (broken links, missing blobs)


@dataclass(slots=True)
class FileRecord:
    path: str
    size: int
    sha256: str | None
    format: str
    findings: list[Finding] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)  # every format met inside (archive members, nested pickles)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "size": self.size,
            "sha256": self.sha256,
            "format": self.format,
            "formats": self.formats,
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass(slots=True)
class Report:
    target: Target
    tool_version: str
    files: list[FileRecord]
    findings: list[Finding]  # every finding: per-file ones and repository-level ones
    manifest_digest: str | None = None
    elapsed_seconds: float = 0.0

    @property
    def max_severity(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)

    def counts(self) -> dict[str, int]:
        out = {s.label: 0 for s in sorted(Severity, reverse=True)}
        for f in self.findings:
            out[f.severity.label] += 1
        return out

    def at_or_above(self, threshold: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity >= threshold]

    def to_dict(self) -> dict[str, Any]:
        top = self.max_severity
        return {
            "schema": "weighbridge.report/1",
            "tool": {"name": "weighbridge", "version": self.tool_version},
            "target": self.target.to_dict(),
            "summary": {
                "max_severity": top.label if top else "none",
                "files": len(self.files),
                "bytes": sum(f.size for f in self.files),
                "findings": self.counts(),
            },
            "manifest": {"algorithm": "sha256", "digest": self.manifest_digest},
            "files": [f.to_dict() for f in self.files],
            "findings": [f.to_dict() for f in self.findings],
        }


class WeighbridgeError(Exception):
    """A usage or input error: reported as one line, exit code 2."""


# --- Licences ---
# What a model's licence lets you do, as extracted by ``weighbridge.license``. Every extracted term carries
# Evidence (the quoted sentence, the file and the line) so a reader can check the claim against the text.


class CommercialUse(enum.StrEnum):
    ALLOWED = "allowed"
    CONDITIONAL = "conditional"  # a user/revenue threshold, a registration or a display duty decides it
    PROHIBITED = "prohibited"  # non-commercial or research-only grant


class OutputTraining(enum.StrEnum):
    """May the outputs of the model be used to train or improve other models?"""

    ALLOWED = "allowed"
    PROHIBITED = "prohibited"


class LicenseDocKind(enum.StrEnum):
    LICENSE = "license"
    POLICY = "policy"  # an acceptable-use or usage policy


class LicenseSourceKind(enum.StrEnum):
    CARD = "card"  # model-card YAML front matter (license, license_name, license_link)
    FILE = "file"  # LICENSE, LICENSE-MODEL, NOTICE, USE_POLICY… in the model folder
    GGUF = "gguf"  # general.license, general.license.name, general.license.link
    OLLAMA = "ollama"  # the licence layer of an Ollama model


class LicenseRole(enum.StrEnum):
    """What a source's licence covers, as far as its name and content tell."""

    WEIGHTS = "weights"
    CODE = "code"
    POLICY = "policy"
    NOTICE = "notice"
    GENERAL = "general"  # a repository-wide statement: weights unless something says otherwise


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where a claim comes from: a trimmed quote (<= 300 characters), the file and the 1-based line.

    ``line`` is None only for sources without lines (GGUF metadata); ``key`` then names the field.
    """

    term: str
    quote: str
    file: str
    line: int | None
    key: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"term": self.term, "quote": self.quote, "file": self.file, "line": self.line}
        if self.key is not None:
            out["key"] = self.key
        return out


@dataclass(frozen=True, slots=True)
class LicenseIdentity:
    """A licence named in one of the three vocabularies (HF tag, SPDX, ScanCode) or recognised by its text."""

    id: str | None  # Hugging Face style id ("llama3.1", "apache-2.0", "tongyi-qianwen"); None when unknown
    name: str
    version: str | None = None
    family: str | None = None  # "llama", "qwen", "rail", "mit"…
    osi_approved: bool = False
    spdx: str | None = None  # a real SPDX id or a LicenseRef-scancode-… reference
    hf_tag: str | None = None  # the card's ``license:`` value ("other" for licences not on the HF list)
    hf_license_name: str | None = None  # the card's ``license_name`` for ``other``
    kind: LicenseDocKind = LicenseDocKind.LICENSE
    generic: bool = False  # a software licence (Apache, MIT, BSD, GPL…), often the code's rather than the model's

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "version": self.version, "family": self.family,
                "osi_approved": self.osi_approved, "spdx": self.spdx, "hf_tag": self.hf_tag,
                "hf_license_name": self.hf_license_name, "kind": self.kind.value}


@dataclass(slots=True)
class LicenseTerms:
    """The facts that decide what a licensee may do. Field names follow the ``weighbridge.license/1`` JSON."""

    commercial_use: CommercialUse = CommercialUse.ALLOWED
    user_cap: int | None = None  # the user threshold that triggers a condition (monthly active users)
    revenue_cap_usd: int | None = None
    revenue_period: str | None = None  # "monthly" | "annual" when the text says
    attribution: bool = False  # a public display or naming duty ("Built with …", a name in the UI)
    attribution_text: str | None = None  # what must be displayed, when quoted
    derivative_naming: str | None = None  # the name a derived model must carry ("Llama")
    acceptable_use_policy: bool = False  # a separate use policy incorporated by reference
    acceptable_use_policy_url: str | None = None
    outputs_train_other_models: OutputTraining = OutputTraining.ALLOWED
    geographic_restrictions: list[str] = field(default_factory=list)  # "EU", "UK", "KR"…
    field_of_use_restrictions: bool = False
    restricted_uses: list[str] = field(default_factory=list)  # "military", "medical_advice"…
    remote_restriction: bool = False  # licensor may restrict usage "remotely or otherwise"
    non_commercial: bool = False
    research_only: bool = False
    registration_required: bool = False
    output_ownership: str | None = None  # "licensee" (licensor claims no rights) | "licensor"
    derivatives_include_outputs: bool = False  # models trained on outputs count as derivatives
    restrictions_flow_down: bool = False  # use restrictions must be passed on to recipients
    redistribution_allowed: bool | None = None
    notice_required: bool = False  # keep the licence / a NOTICE with copies (not attribution)
    hosting: str | None = None  # "allowed" | "prohibited" | "separate_license"
    hosted_service_is_distribution: bool = False
    export_control: bool = False
    governing_law: str | None = None  # as written ("the State of California")
    governing_law_code: str | None = None  # "US-CA", "CN", "HK"…
    terms_updatable: bool = False  # the licensor may change the agreement or its policy unilaterally
    revocable: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "commercial_use": self.commercial_use.value,
            "user_cap": self.user_cap,
            "revenue_cap_usd": self.revenue_cap_usd,
            "revenue_period": self.revenue_period,
            "attribution": self.attribution,
            "attribution_text": self.attribution_text,
            "derivative_naming": self.derivative_naming,
            "acceptable_use_policy": self.acceptable_use_policy,
            "acceptable_use_policy_url": self.acceptable_use_policy_url,
            "outputs_train_other_models": self.outputs_train_other_models.value,
            "geographic_restrictions": list(self.geographic_restrictions),
            "field_of_use_restrictions": self.field_of_use_restrictions,
            "restricted_uses": list(self.restricted_uses),
            "remote_restriction": self.remote_restriction,
            "non_commercial": self.non_commercial,
            "research_only": self.research_only,
            "registration_required": self.registration_required,
            "output_ownership": self.output_ownership,
            "derivatives_include_outputs": self.derivatives_include_outputs,
            "restrictions_flow_down": self.restrictions_flow_down,
            "redistribution_allowed": self.redistribution_allowed,
            "notice_required": self.notice_required,
            "hosting": self.hosting,
            "hosted_service_is_distribution": self.hosted_service_is_distribution,
            "export_control": self.export_control,
            "governing_law": self.governing_law,
            "governing_law_code": self.governing_law_code,
            "terms_updatable": self.terms_updatable,
            "revocable": self.revocable,
        }


@dataclass(frozen=True, slots=True)
class LicenseSource:
    """One place that states a licence: a card field, a licence file, a GGUF key, an Ollama layer."""

    kind: LicenseSourceKind
    file: str
    role: LicenseRole
    identity: LicenseIdentity | None
    value: str  # the raw statement ("apache-2.0", "other / tongyi-qianwen") or the recognised title
    line: int | None = None
    key: str | None = None

    def label(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        if self.key is not None:
            where += f" [{self.key}]"
        return where

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "file": self.file, "line": self.line, "key": self.key,
                "role": self.role.value, "value": self.value,
                "id": self.identity.id if self.identity else None,
                "name": self.identity.name if self.identity else None}


@dataclass(frozen=True, slots=True)
class LicenseConflict:
    """Two sources name different licences; ``decided`` is the id taken as the weights licence."""

    kind: str  # "sources-disagree" | "code-vs-weights"
    detail: str
    sources: tuple[str, ...]
    decided: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "detail": self.detail, "sources": list(self.sources), "decided": self.decided}


@dataclass(slots=True)
class LicenseAnalysis:
    """The weights licence of a model (or one licence text): who it is, its terms, and why we say so."""

    identity: LicenseIdentity | None
    terms: LicenseTerms | None  # None when no text was read and the family has no built-in profile
    evidence: list[Evidence] = field(default_factory=list)
    sources: list[LicenseSource] = field(default_factory=list)
    conflicts: list[LicenseConflict] = field(default_factory=list)
    terms_basis: str = "none"  # "text" (extracted from a file) | "profile" (known family) | "none"
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        ident = self.identity
        license_part: dict[str, Any] = {
            "id": ident.id if ident else None,
            "name": ident.name if ident else None,
            "osi_approved": ident.osi_approved if ident else False,
            "version": ident.version if ident else None,
            "family": ident.family if ident else None,
            "spdx": ident.spdx if ident else None,
            "hf_tag": ident.hf_tag if ident else None,
            "hf_license_name": ident.hf_license_name if ident else None,
            "kind": ident.kind.value if ident else None,
            "terms": self.terms.to_dict() if self.terms is not None else None,
            "terms_basis": self.terms_basis,
            "evidence": [e.to_dict() for e in self.evidence],
        }
        return {
            "schema": "weighbridge.license/1",
            "license": license_part,
            "sources": [s.to_dict() for s in self.sources],
            "conflicts": [c.to_dict() for c in self.conflicts],
            "notes": list(self.notes),
        }
