"""Licence terms as extracted by ``weighbridge.license``, and the licences a derivative inherits from its
ancestors. Plain dataclasses and enums: no I/O, no parsing."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .provenance import Ancestor


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
    generic: bool = (
        False  # a software licence (Apache, MIT, BSD, GPL…), often the code's rather than the model's
    )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "family": self.family,
            "osi_approved": self.osi_approved,
            "spdx": self.spdx,
            "hf_tag": self.hf_tag,
            "hf_license_name": self.hf_license_name,
            "kind": self.kind.value,
        }


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
        return {
            "kind": self.kind.value,
            "file": self.file,
            "line": self.line,
            "key": self.key,
            "role": self.role.value,
            "value": self.value,
            "id": self.identity.id if self.identity else None,
            "name": self.identity.name if self.identity else None,
        }


@dataclass(frozen=True, slots=True)
class LicenseConflict:
    """Two sources name different licences; ``decided`` is the id taken as the weights licence."""

    kind: str  # "sources-disagree" | "code-vs-weights"
    detail: str
    sources: tuple[str, ...]
    decided: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "detail": self.detail,
            "sources": list(self.sources),
            "decided": self.decided,
        }


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
        return {
            "ancestor": self.ancestor.model,
            "repo_id": self.ancestor.repo_id,
            "relation": self.ancestor.relation,
            "relations": list(self.relations),
            "derivative": self.derivative,
            "license": self.license.to_dict(),
            "terms": self.terms.to_dict() if self.terms is not None else None,
            "basis": self.basis,
            "source": self.source,
            "data_file": self.data_file,
            "citations": [c.to_dict() for c in self.ancestor.citations],
        }
