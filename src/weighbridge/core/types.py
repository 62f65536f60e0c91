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
    # Filled by ``weighbridge inspect`` (None after a plain scan): what the licence lets you do, where the
    # model comes from, how open it is.
    license: LicenseAnalysis | None = None
    provenance: Provenance | None = None
    openness: Openness | None = None
    policy: PolicyVerdict | None = None  # with ``inspect --policy``
    inherited: tuple[InheritedLicense, ...] = ()  # the licences of ancestors the known-model table resolves

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
            **({"license": _license_section(self.license)} if self.license is not None else {}),
            **({"provenance": self.provenance.to_dict()} if self.provenance is not None else {}),
            **({"openness": self.openness.to_dict()} if self.openness is not None else {}),
            **({"policy": self.policy.to_dict()} if self.policy is not None else {}),
            **({"inherited": [i.to_dict() for i in self.inherited]} if self.inherited else {}),
        }


def _license_section(analysis: LicenseAnalysis) -> dict[str, Any]:
    """The licence as a report section: the ``license`` object of weighbridge.license/1 with its sources,
    conflicts and notes alongside."""
    doc = analysis.to_dict()
    section = dict(doc.get("license") or {})
    section.update({k: v for k, v in doc.items() if k not in ("schema", "license")})
    return section


class WeighbridgeError(Exception):
    """A usage or input error: reported as one line, exit code 2."""


def plain_message(message: str) -> str:
    """A message as one line for people: without the ``Value error, `` that pydantic puts in front of a
    validator's ValueError, and with line breaks folded."""
    return " ".join(message.replace("Value error, ", "").split())


# --- Licences ---
# What a model's licence lets you do, as extracted by ``weighbridge.license``. Every extracted term carries
# Evidence (the quoted sentence, the file and the line) so a reader can check the claim against the text.


class CommercialUse(enum.StrEnum):
    ALLOWED = "allowed"
    CONDITIONAL = "conditional"  # a user/revenue threshold, a registration, a separate agreement or royalty
    PROHIBITED = "prohibited"  # non-commercial or research-only grant, or no grant at all
    UNKNOWN = "unknown"  # the text grants no licence that decides it (never read as allowed)


class OutputTraining(enum.StrEnum):
    """May the outputs of the model be used to train or improve other models?"""

    ALLOWED = "allowed"  # a licence grant that does not restrict the outputs
    CONDITIONAL = "conditional"  # neither free nor banned: non-commercial only, within a policy, restricted
    PROHIBITED = "prohibited"
    UNKNOWN = "unknown"  # the text decides nothing about outputs and grants no licence


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

    commercial_use: CommercialUse = CommercialUse.UNKNOWN
    user_cap: int | None = None  # the user threshold that triggers a condition (monthly active users)
    revenue_cap_usd: int | None = None
    revenue_period: str | None = None  # "monthly" | "annual" when the text says
    attribution: bool = False  # a public display or naming duty ("Built with …", a name in the UI)
    attribution_text: str | None = None  # what must be displayed, when quoted
    derivative_naming: str | None = None  # the name a derived model must carry ("Llama")
    acceptable_use_policy: bool = False  # a separate use policy incorporated by reference
    acceptable_use_policy_url: str | None = None
    outputs_train_other_models: OutputTraining = OutputTraining.UNKNOWN
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
    # True: the text grants a licence; False: it reserves all rights and grants none ("no use without written
    # permission"); None: no grant was found, so nothing the text leaves open may be read as allowed.
    rights_granted: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rights_granted": self.rights_granted,
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


# --- Provenance and openness ---
# Who published a model, where it comes from (lineage, quantizer, source URLs), the jurisdictions involved and
# screening hits (``weighbridge.provenance``); how open it is by the Model Openness Framework and the OSI Open
# Source AI Definition (``weighbridge.openness``). Every statement carries the Citation it was read from.


def _without_none(pairs: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    return {k: v for k, v in pairs if v is not None}


@dataclass(frozen=True, slots=True)
class Citation:
    """Where a provenance statement was read. ``file`` is the model file (relative name) or the data file that
    said it; None means the target string the user gave (``key`` then says which part, e.g. ``"hf"``)."""

    file: str | None
    key: str | None = None
    line: int | None = None  # 1-based line in a text file
    offset: int | None = None  # byte offset of the key in a binary file (GGUF)
    value: str | None = None  # the statement as written, shortened

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, **_without_none((("key", self.key), ("line", self.line),
                                                    ("offset", self.offset), ("value", self.value)))}


@dataclass(frozen=True, slots=True)
class MetadataProblem:
    """Metadata that could not be read or does not add up. Reported, never raised."""

    file: str | None
    message: str
    key: str | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "message": self.message,
                **_without_none((("key", self.key), ("line", self.line)))}


@dataclass(frozen=True, slots=True)
class EvalResult:
    """One metric of a model card's ``model-index``."""

    task: str | None
    dataset: str | None
    metric: str | None
    value: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "dataset": self.dataset, "metric": self.metric, "value": self.value}


@dataclass(frozen=True, slots=True)
class CardSection:
    """A markdown heading of the card body and what follows it up to the next heading of the same level."""

    title: str
    level: int
    line: int
    has_code: bool = False  # a fenced code block
    has_table: bool = False  # a markdown table
    has_link: bool = False  # a URL


@dataclass(frozen=True, slots=True)
class ModelCard:
    """The README.md of a model: YAML front matter fields (read with ``yaml.safe_load``) and the body's outline.

    ``key_lines`` maps each front-matter key (and ``key[i]`` for list items) to its line in the file.
    ``body`` is the markdown after the front matter (bounded); it is not part of ``to_dict``.
    """

    file: str
    has_front_matter: bool = False
    license: str | None = None  # a list of licences is joined with ","
    license_name: str | None = None
    license_link: str | None = None
    base_model: tuple[str, ...] = ()
    base_model_relation: str | None = None
    datasets: tuple[str, ...] = ()
    language: tuple[str, ...] = ()
    library_name: str | None = None
    pipeline_tag: str | None = None
    tags: tuple[str, ...] = ()
    model_name: str | None = None
    model_creator: str | None = None
    quantized_by: str | None = None
    eval_results: tuple[EvalResult, ...] = ()
    headline: str | None = None
    headline_line: int | None = None
    sections: tuple[CardSection, ...] = ()
    links: tuple[tuple[str, int], ...] = ()  # (url, line) found in the body
    repo_mentions: tuple[tuple[str, int], ...] = ()  # (Hugging Face repo id, line) named in the body
    key_lines: dict[str, int] = field(default_factory=dict)
    body: str = ""
    body_line: int = 1  # line of the file where ``body`` starts
    problems: tuple[MetadataProblem, ...] = ()

    def line_of(self, key: str) -> int | None:
        return self.key_lines.get(key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "front_matter": self.has_front_matter, "license": self.license,
            "license_name": self.license_name, "license_link": self.license_link,
            "base_model": list(self.base_model), "base_model_relation": self.base_model_relation,
            "datasets": list(self.datasets), "language": list(self.language),
            "library_name": self.library_name, "pipeline_tag": self.pipeline_tag, "tags": list(self.tags),
            "model_name": self.model_name, "model_creator": self.model_creator,
            "quantized_by": self.quantized_by, "eval_results": [r.to_dict() for r in self.eval_results],
            "headline": self.headline,
        }


GGUFValue = str | int | float | bool | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GGUFBaseModel:
    """``general.base_model.{index}.*`` of a GGUF file."""

    index: int
    name: str | None = None
    organization: str | None = None
    author: str | None = None
    version: str | None = None
    repo_url: str | None = None
    url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "name": self.name, "organization": self.organization, "author": self.author,
                "version": self.version, "repo_url": self.repo_url, "url": self.url}


@dataclass(frozen=True, slots=True)
class GGUFGeneral:
    """The ``general.*`` metadata of one GGUF file (string values bounded), with each key's byte offset."""

    file: str
    values: dict[str, GGUFValue] = field(default_factory=dict)
    offsets: dict[str, int] = field(default_factory=dict)
    base_models: tuple[GGUFBaseModel, ...] = ()
    complete: bool = True  # the whole metadata section was read
    problems: tuple[MetadataProblem, ...] = ()

    def text(self, key: str) -> str | None:
        """A string value (numbers are not text; empty strings count as absent)."""
        value = self.values.get(key)
        return value if isinstance(value, str) and value.strip() else None

    def integer(self, key: str) -> int | None:
        value = self.values.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def cite(self, key: str) -> Citation:
        value = self.values.get(key)
        shown = None if value is None else (", ".join(value) if isinstance(value, tuple) else str(value))
        return Citation(self.file, key=key, offset=self.offsets.get(key), value=shown[:300] if shown else shown)

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "complete": self.complete,
                "values": {k: list(v) if isinstance(v, tuple) else v for k, v in sorted(self.values.items())},
                "base_models": [b.to_dict() for b in self.base_models]}


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    """The country of an organization, from the publishers data (built-in or the user's file)."""

    organization: str  # canonical name in the data
    country: str | None  # ISO 3166-1 alpha-2; None when the data says no single country (international)
    matched: str  # the stated name or Hugging Face org that matched
    sources: tuple[str, ...]
    data_file: str
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"organization": self.organization, "country": self.country, "matched": self.matched,
                "sources": list(self.sources), "data_file": self.data_file, "note": self.note}


@dataclass(frozen=True, slots=True)
class Party:
    """An organization or person a model's metadata names, in one role, with every place that names it."""

    name: str  # as first stated (Hugging Face org slug or organization name)
    role: str  # "publisher" | "creator" | "author" | "quantizer"
    citations: tuple[Citation, ...]
    jurisdiction: Jurisdiction | None = None
    inferred: str | None = None  # why, when no file states the role outright

    @property
    def country(self) -> str | None:
        return self.jurisdiction.country if self.jurisdiction else None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "country": self.country,
                "jurisdiction": self.jurisdiction.to_dict() if self.jurisdiction else None,
                "inferred": self.inferred, "citations": [c.to_dict() for c in self.citations]}


@dataclass(frozen=True, slots=True)
class Ancestor:
    """A model the inspected one derives from, directly (``child`` None) or through another ancestor."""

    model: str  # Hugging Face repo id when known, else the stated name
    repo_id: str | None
    relation: str  # "finetune" | "adapter" | "merge" | "quantized" | "conversion" | "unknown"
    relation_basis: str  # "stated" or "inferred: <why>"
    citations: tuple[Citation, ...]
    child: str | None = None  # the model that derives from this one; None for the inspected model
    publisher: Party | None = None
    url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "repo_id": self.repo_id, "relation": self.relation,
                "relation_basis": self.relation_basis, "child": self.child, "url": self.url,
                "publisher": self.publisher.to_dict() if self.publisher else None,
                "citations": [c.to_dict() for c in self.citations]}


@dataclass(frozen=True, slots=True)
class SourceURL:
    url: str
    role: str  # "artifact" (where this model lives) | "source" (what it was converted from) | "base-model"
    citations: tuple[Citation, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "role": self.role, "citations": [c.to_dict() for c in self.citations]}


@dataclass(frozen=True, slots=True)
class ScreeningMatch:
    """A party whose name (or a known name of its organization) equals a name or alias on the user's list."""

    subject: str  # the party as stated
    subject_role: str  # "publisher", "quantizer", "ancestor publisher (meta-llama/Llama-3.1-8B)"…
    matched_on: str  # the normalized name both share
    listed_name: str
    row_number: int  # 1-based line of the row in the CSV (header is line 1)
    row: dict[str, str]
    list_file: str

    def to_dict(self) -> dict[str, Any]:
        return {"subject": self.subject, "subject_role": self.subject_role, "matched_on": self.matched_on,
                "listed_name": self.listed_name, "row_number": self.row_number, "row": dict(self.row),
                "list_file": self.list_file}


@dataclass(frozen=True, slots=True)
class Screening:
    list_file: str | None = None  # None when no list was supplied (nothing was screened)
    rows: int = 0
    subjects: tuple[str, ...] = ()
    matches: tuple[ScreeningMatch, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"performed": self.list_file is not None, "list_file": self.list_file, "rows": self.rows,
                "subjects": list(self.subjects), "matches": [m.to_dict() for m in self.matches]}


@dataclass(frozen=True, slots=True)
class Provenance:
    publisher: Party | None
    parties: tuple[Party, ...]  # every organization or person named, the publisher included
    lineage: tuple[Ancestor, ...]
    source_urls: tuple[SourceURL, ...]
    screening: Screening
    card: ModelCard | None
    gguf: tuple[GGUFGeneral, ...]
    problems: tuple[MetadataProblem, ...]
    data_files: tuple[str, ...]  # publishers data consulted

    @property
    def quantized_by(self) -> tuple[Party, ...]:
        return tuple(p for p in self.parties if p.role == "quantizer")

    def countries(self) -> dict[str, tuple[str, ...]]:
        """Country → who is there (the publisher and every ancestor's publisher)."""
        out: dict[str, list[str]] = {}
        named = [("publisher", self.publisher)] + [(f"ancestor {a.model}", a.publisher) for a in self.lineage]
        for who, party in named:
            if party is not None and party.country is not None:
                out.setdefault(party.country, []).append(who)
        return {k: tuple(v) for k, v in sorted(out.items())}

    def to_dict(self) -> dict[str, Any]:
        return {
            "publisher": self.publisher.to_dict() if self.publisher else None,
            "parties": [p.to_dict() for p in self.parties],
            "quantized_by": [p.name for p in self.quantized_by],
            "lineage": [a.to_dict() for a in self.lineage],
            "countries": {k: list(v) for k, v in self.countries().items()},
            "source_urls": [u.to_dict() for u in self.source_urls],
            "screening": self.screening.to_dict(),
            "card": self.card.to_dict() if self.card else None,
            "gguf": [g.to_dict() for g in self.gguf],
            "problems": [p.to_dict() for p in self.problems],
            "data_files": list(self.data_files),
        }


@dataclass(frozen=True, slots=True)
class ComponentLicense:
    """The licence that governs one openness component, resolved the MOF way: component, content type, then
    the distribution (weights) licence."""

    id: str | None
    open: bool | None  # None when the licence is unknown
    basis: str  # "component" | "code" | "data" | "document" | "distribution" | "none"
    type_appropriate: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "open": self.open, "basis": self.basis, "type_appropriate": self.type_appropriate}


@dataclass(frozen=True, slots=True)
class OpennessComponent:
    """One Model Openness Framework component as found in the snapshot."""

    id: int  # MOF component id
    name: str
    mof_class: int  # 3, 2 or 1: the class that first requires it
    content_type: str  # "code" | "data" | "document"
    required: bool
    status: str  # "present" (in the folder) | "referenced" (the card points to it) | "missing"
    citations: tuple[Citation, ...]
    license: ComponentLicense
    note: str | None = None

    @property
    def satisfied(self) -> bool:
        """Present in the folder under an open licence."""
        return self.status == "present" and self.license.open is True

    @property
    def satisfied_if_references_hold(self) -> bool:
        return self.status in ("present", "referenced") and self.license.open is True

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "class": self.mof_class, "content_type": self.content_type,
                "required": self.required, "status": self.status, "license": self.license.to_dict(),
                "satisfied": self.satisfied, "note": self.note,
                "citations": [c.to_dict() for c in self.citations]}


@dataclass(frozen=True, slots=True)
class MOFResult:
    mof_class: int | None  # 1 (Open Science), 2 (Open Tooling), 3 (Open Model); None when unclassified
    class_if_references_hold: int | None  # counting components the card only points to
    progress: dict[int, float]  # class → share of its required components satisfied (0..1)
    components: tuple[OpennessComponent, ...]
    missing: tuple[str, ...]  # what the next class up needs, one reason each

    @property
    def label(self) -> str:
        return mof_label(self.mof_class)

    def to_dict(self) -> dict[str, Any]:
        return {"framework": "Model Openness Framework 1.0", "class": self.mof_class, "label": self.label,
                "class_if_references_hold": self.class_if_references_hold,
                "label_if_references_hold": mof_label(self.class_if_references_hold),
                "progress": {f"class_{k}": round(v, 3) for k, v in sorted(self.progress.items(), reverse=True)},
                "missing": list(self.missing), "components": [c.to_dict() for c in self.components]}


def mof_label(mof_class: int | None) -> str:
    return {1: "Class I (Open Science Model)", 2: "Class II (Open Tooling Model)",
            3: "Class III (Open Model)"}.get(mof_class or 0, "Unclassified")


@dataclass(frozen=True, slots=True)
class OSAIDRequirement:
    name: str  # "parameters" | "code" | "data_information"
    met: bool
    met_if_references_hold: bool
    reasons: tuple[str, ...]  # why not met (empty when met)
    citations: tuple[Citation, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "met": self.met, "met_if_references_hold": self.met_if_references_hold,
                "reasons": list(self.reasons), "citations": [c.to_dict() for c in self.citations]}


@dataclass(frozen=True, slots=True)
class OSAIDResult:
    verdict: str  # "open-source-ai" | "open-weights" | "no-weights"
    verdict_if_references_hold: str
    requirements: tuple[OSAIDRequirement, ...]

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(reason for r in self.requirements for reason in r.reasons)

    def to_dict(self) -> dict[str, Any]:
        return {"definition": "OSI Open Source AI Definition 1.0", "verdict": self.verdict,
                "verdict_if_references_hold": self.verdict_if_references_hold, "missing": list(self.missing),
                "requirements": [r.to_dict() for r in self.requirements]}


@dataclass(frozen=True, slots=True)
class Openness:
    weights_license_id: str | None
    weights_license_osi: bool | None
    mof: MOFResult
    osaid: OSAIDResult
    tokenizer: tuple[Citation, ...] = ()  # tokenizer files (or GGUF tokenizer metadata) found
    problems: tuple[MetadataProblem, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"weights_license": {"id": self.weights_license_id, "osi_approved": self.weights_license_osi},
                "mof": self.mof.to_dict(), "osaid": self.osaid.to_dict(),
                "tokenizer": {"present": bool(self.tokenizer), "citations": [c.to_dict() for c in self.tokenizer]},
                "problems": [p.to_dict() for p in self.problems]}


# --- Policy ---
# An organization's intended use and rules (``weighbridge.policy``, read from YAML) and the verdict of one
# report against them: pass, warn or fail, with every reason tied to a rule and to what decided it.


class Outcome(enum.StrEnum):
    """The result of one policy check. Ordered by ``rank`` so the worst decides the verdict."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"

    @property
    def rank(self) -> int:
        return {"pass": 0, "warn": 1, "fail": 2}[self.value]


@dataclass(frozen=True, slots=True)
class IntendedUse:
    """What the organization plans to do with the model. ``None`` numbers are unknown."""

    commercial: bool = False
    monthly_active_users: int | None = None
    annual_revenue_usd: int | None = None
    regions: tuple[str, ...] = ()  # ISO 3166-1 alpha-2 codes, "EU" or "EEA"
    sectors: tuple[str, ...] = ()
    redistribute_weights: bool = False
    host_for_others: bool = False
    outputs_train_other_models: bool = False
    fine_tuning: bool = False
    derivative_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"commercial": self.commercial, "monthly_active_users": self.monthly_active_users,
                "annual_revenue_usd": self.annual_revenue_usd, "regions": list(self.regions),
                "sectors": list(self.sectors), "redistribute_weights": self.redistribute_weights,
                "host_for_others": self.host_for_others,
                "outputs_train_other_models": self.outputs_train_other_models,
                "fine_tuning": self.fine_tuning, "derivative_name": self.derivative_name}


@dataclass(frozen=True, slots=True)
class PolicyRules:
    """What the organization accepts. ``None`` allow-lists mean "no restriction"."""

    allowed_license_families: tuple[str, ...] | None = None
    denied_license_families: tuple[str, ...] = ()
    osi_only: bool = False
    required_openness_class: int | None = None  # MOF class 1, 2 or 3 (1 is the most open)
    required_osaid: str | None = None  # "open-source-ai"
    allowed_jurisdictions: tuple[str, ...] | None = None  # of the publisher and of every ancestor
    denied_jurisdictions: tuple[str, ...] = ()
    remote_code: str = "warn"  # "forbid" | "warn" | "allow"
    max_scan_severity: Severity | None = None
    required_audits: tuple[str, ...] = ()
    screening_hits: str | None = None  # "fail" | "warn"; None: screening not required, hits warn

    def to_dict(self) -> dict[str, Any]:
        allowed = self.allowed_license_families
        jurisdictions = self.allowed_jurisdictions
        return {"allowed_license_families": list(allowed) if allowed is not None else None,
                "denied_license_families": list(self.denied_license_families), "osi_only": self.osi_only,
                "required_openness_class": self.required_openness_class, "required_osaid": self.required_osaid,
                "allowed_jurisdictions": list(jurisdictions) if jurisdictions is not None else None,
                "denied_jurisdictions": list(self.denied_jurisdictions), "remote_code": self.remote_code,
                "max_scan_severity": self.max_scan_severity.label if self.max_scan_severity else None,
                "required_audits": list(self.required_audits), "screening_hits": self.screening_hits}


@dataclass(frozen=True, slots=True)
class AsymmetryLimit:
    """At most ``points`` percentage points more non-compliance on ``country`` than on the control countries,
    for prompts of ``kind`` in ``language`` (the policy's ``audit.max_asymmetry`` entries)."""

    country: str
    language: str
    points: float
    kind: str = "criticism"

    def to_dict(self) -> dict[str, Any]:
        return {"country": self.country, "language": self.language, "points": self.points, "kind": self.kind}


@dataclass(frozen=True, slots=True)
class AuditRules:
    """The policy's ``audit:`` section, checked against a behaviour audit's summary. Limits are percentages."""

    require_audit: bool = False
    max_asymmetry: tuple[AsymmetryLimit, ...] = ()
    max_over_refusal: float | None = None
    max_injection_followed: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"require_audit": self.require_audit, "max_asymmetry": [a.to_dict() for a in self.max_asymmetry],
                "max_over_refusal": self.max_over_refusal, "max_injection_followed": self.max_injection_followed}


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    intended_use: IntendedUse = field(default_factory=IntendedUse)
    rules: PolicyRules = field(default_factory=PolicyRules)
    description: str | None = None
    file: str | None = None  # where it was read from
    audit: AuditRules | None = None  # the optional ``audit:`` section

    def to_dict(self) -> dict[str, Any]:
        out = {"name": self.name, "description": self.description, "file": self.file,
               "intended_use": self.intended_use.to_dict(), "rules": self.rules.to_dict()}
        if self.audit is not None:
            out["audit"] = self.audit.to_dict()
        return out


@dataclass(frozen=True, slots=True)
class PolicyEvidence:
    """What decided a reason: a licence quote (``source`` "license"), a finding ("finding", with its rule id),
    a provenance or openness citation ("provenance", "openness") or the policy itself ("policy")."""

    source: str
    file: str | None = None
    line: int | None = None
    quote: str | None = None
    key: str | None = None
    rule: str | None = None  # the finding's rule id

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, **_without_none((
            ("file", self.file), ("line", self.line), ("quote", self.quote), ("key", self.key),
            ("rule", self.rule)))}


@dataclass(frozen=True, slots=True)
class Reason:
    rule: str  # the policy key that asked for the check ("rules.osi_only", "intended_use.regions"…)
    outcome: Outcome
    message: str
    evidence: tuple[PolicyEvidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "outcome": self.outcome.value, "message": self.message,
                "evidence": [e.to_dict() for e in self.evidence]}


@dataclass(frozen=True, slots=True)
class PolicyVerdict:
    policy: str  # the policy's name
    policy_file: str | None
    verdict: Outcome
    reasons: tuple[Reason, ...]

    def outcomes(self) -> dict[str, Outcome]:
        """Rule → its worst outcome."""
        out: dict[str, Outcome] = {}
        for r in self.reasons:
            if r.rule not in out or r.outcome.rank > out[r.rule].rank:
                out[r.rule] = r.outcome
        return out

    def to_dict(self) -> dict[str, Any]:
        counts = {o.value: sum(1 for r in self.reasons if r.outcome is o) for o in Outcome}
        return {"name": self.policy, "file": self.policy_file, "verdict": self.verdict.value,
                "counts": counts, "reasons": [r.to_dict() for r in self.reasons]}


# --- Inherited obligations ---
# A derivative (fine-tune, adapter, merge, quantization) inherits the obligations of every ancestor whose
# licence the project can resolve offline (``weighbridge.license.ancestors``, a table of well-known base models).

DERIVATIVE_RELATIONS = ("finetune", "adapter", "merge")


@dataclass(frozen=True, slots=True)
class InheritedLicense:
    """The licence of one ancestor, resolved from the known-model table, with its known terms."""

    ancestor: Ancestor
    license: LicenseIdentity
    terms: LicenseTerms | None  # None when the family has no known terms profile
    basis: str  # "known model table: <pattern>"
    source: str  # what supports the table entry (a research notes section)
    relations: tuple[str, ...]  # the relations from the inspected model up to this ancestor, nearest first
    data_file: str = "builtin:weighbridge/license/data/known_models.yaml"

    @property
    def derivative(self) -> bool:
        """True when the inspected model is a derivative work of the ancestor (a fine-tune, adapter or merge
        somewhere on the way), not only a quantization or conversion of it."""
        return any(r in DERIVATIVE_RELATIONS for r in self.relations)

    def to_dict(self) -> dict[str, Any]:
        return {"ancestor": self.ancestor.model, "repo_id": self.ancestor.repo_id,
                "relation": self.ancestor.relation, "relations": list(self.relations),
                "derivative": self.derivative, "license": self.license.to_dict(),
                "terms": self.terms.to_dict() if self.terms is not None else None, "basis": self.basis,
                "source": self.source, "data_file": self.data_file,
                "citations": [c.to_dict() for c in self.ancestor.citations]}
