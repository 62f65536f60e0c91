"""Provenance and openness of a model (``weighbridge.provenance``, ``weighbridge.openness``). Plain
dataclasses: no I/O, no parsing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
        return {
            "file": self.file,
            **_without_none(
                (("key", self.key), ("line", self.line), ("offset", self.offset), ("value", self.value))
            ),
        }


@dataclass(frozen=True, slots=True)
class MetadataProblem:
    """Metadata that could not be read or does not add up. Reported, never raised."""

    file: str | None
    message: str
    key: str | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "message": self.message,
            **_without_none((("key", self.key), ("line", self.line))),
        }


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
            "file": self.file,
            "front_matter": self.has_front_matter,
            "license": self.license,
            "license_name": self.license_name,
            "license_link": self.license_link,
            "base_model": list(self.base_model),
            "base_model_relation": self.base_model_relation,
            "datasets": list(self.datasets),
            "language": list(self.language),
            "library_name": self.library_name,
            "pipeline_tag": self.pipeline_tag,
            "tags": list(self.tags),
            "model_name": self.model_name,
            "model_creator": self.model_creator,
            "quantized_by": self.quantized_by,
            "eval_results": [r.to_dict() for r in self.eval_results],
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
        return {
            "index": self.index,
            "name": self.name,
            "organization": self.organization,
            "author": self.author,
            "version": self.version,
            "repo_url": self.repo_url,
            "url": self.url,
        }


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
        return Citation(
            self.file, key=key, offset=self.offsets.get(key), value=shown[:300] if shown else shown
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "complete": self.complete,
            "values": {k: list(v) if isinstance(v, tuple) else v for k, v in sorted(self.values.items())},
            "base_models": [b.to_dict() for b in self.base_models],
        }


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
        return {
            "organization": self.organization,
            "country": self.country,
            "matched": self.matched,
            "sources": list(self.sources),
            "data_file": self.data_file,
            "note": self.note,
        }


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
        return {
            "name": self.name,
            "role": self.role,
            "country": self.country,
            "jurisdiction": self.jurisdiction.to_dict() if self.jurisdiction else None,
            "inferred": self.inferred,
            "citations": [c.to_dict() for c in self.citations],
        }


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
        return {
            "model": self.model,
            "repo_id": self.repo_id,
            "relation": self.relation,
            "relation_basis": self.relation_basis,
            "child": self.child,
            "url": self.url,
            "publisher": self.publisher.to_dict() if self.publisher else None,
            "citations": [c.to_dict() for c in self.citations],
        }


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
        return {
            "subject": self.subject,
            "subject_role": self.subject_role,
            "matched_on": self.matched_on,
            "listed_name": self.listed_name,
            "row_number": self.row_number,
            "row": dict(self.row),
            "list_file": self.list_file,
        }


@dataclass(frozen=True, slots=True)
class Screening:
    list_file: str | None = None  # None when no list was supplied (nothing was screened)
    rows: int = 0
    subjects: tuple[str, ...] = ()
    matches: tuple[ScreeningMatch, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "performed": self.list_file is not None,
            "list_file": self.list_file,
            "rows": self.rows,
            "subjects": list(self.subjects),
            "matches": [m.to_dict() for m in self.matches],
        }


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
        return {
            "id": self.id,
            "open": self.open,
            "basis": self.basis,
            "type_appropriate": self.type_appropriate,
        }


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
        return {
            "id": self.id,
            "name": self.name,
            "class": self.mof_class,
            "content_type": self.content_type,
            "required": self.required,
            "status": self.status,
            "license": self.license.to_dict(),
            "satisfied": self.satisfied,
            "note": self.note,
            "citations": [c.to_dict() for c in self.citations],
        }


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
        return {
            "framework": "Model Openness Framework 1.0",
            "class": self.mof_class,
            "label": self.label,
            "class_if_references_hold": self.class_if_references_hold,
            "label_if_references_hold": mof_label(self.class_if_references_hold),
            "progress": {f"class_{k}": round(v, 3) for k, v in sorted(self.progress.items(), reverse=True)},
            "missing": list(self.missing),
            "components": [c.to_dict() for c in self.components],
        }


def mof_label(mof_class: int | None) -> str:
    return {
        1: "Class I (Open Science Model)",
        2: "Class II (Open Tooling Model)",
        3: "Class III (Open Model)",
    }.get(mof_class or 0, "Unclassified")


@dataclass(frozen=True, slots=True)
class OSAIDRequirement:
    name: str  # "parameters" | "code" | "data_information"
    met: bool
    met_if_references_hold: bool
    reasons: tuple[str, ...]  # why not met (empty when met)
    citations: tuple[Citation, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "met": self.met,
            "met_if_references_hold": self.met_if_references_hold,
            "reasons": list(self.reasons),
            "citations": [c.to_dict() for c in self.citations],
        }


@dataclass(frozen=True, slots=True)
class OSAIDResult:
    verdict: str  # "open-source-ai" | "open-weights" | "no-weights"
    verdict_if_references_hold: str
    requirements: tuple[OSAIDRequirement, ...]

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(reason for r in self.requirements for reason in r.reasons)

    def to_dict(self) -> dict[str, Any]:
        return {
            "definition": "OSI Open Source AI Definition 1.0",
            "verdict": self.verdict,
            "verdict_if_references_hold": self.verdict_if_references_hold,
            "missing": list(self.missing),
            "requirements": [r.to_dict() for r in self.requirements],
        }


@dataclass(frozen=True, slots=True)
class Openness:
    weights_license_id: str | None
    weights_license_osi: bool | None
    mof: MOFResult
    osaid: OSAIDResult
    tokenizer: tuple[Citation, ...] = ()  # tokenizer files (or GGUF tokenizer metadata) found
    problems: tuple[MetadataProblem, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "weights_license": {"id": self.weights_license_id, "osi_approved": self.weights_license_osi},
            "mof": self.mof.to_dict(),
            "osaid": self.osaid.to_dict(),
            "tokenizer": {
                "present": bool(self.tokenizer),
                "citations": [c.to_dict() for c in self.tokenizer],
            },
            "problems": [p.to_dict() for p in self.problems],
        }
