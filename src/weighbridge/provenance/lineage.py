"""The models the inspected one derives from, each with its relation, where it was stated and its publisher.

Sources, merged when they name the same model:
* card ``base_model`` (a list means a merge) with ``base_model_relation``; when the relation is not stated it
  is inferred the way the Hub does: adapter files → adapter, several bases → merge, GGUF or quantized
  weights → quantized, otherwise finetune;
* ``adapter_config.json`` ``base_model_name_or_path`` (an adapter of that model);
* GGUF ``general.source.*`` (the model the file was converted from: quantized, or a plain conversion for
  F32/F16/BF16) and ``general.base_model.*``. The converter copies the *converted* model's card
  ``base_model`` into ``general.base_model.*``, so when a source is known those are the source's ancestors;
* ``config.json`` ``_name_or_path``, used when nothing else names an ancestor (it is the checkpoint the
  weights were saved from), otherwise only as extra evidence.
Only what the files state is followed: ancestors of ancestors are not looked up (that would need the network).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..core.provenance import Ancestor, Citation, GGUFBaseModel, GGUFGeneral, MetadataProblem, ModelCard
from .card import RELATIONS
from .configs import ConfigFacts
from .gguf_meta import file_type_name, is_quantized
from .identity import Identity
from .jurisdiction import Directory
from .names import hub_url, org_of, repo_id, same_model
from .parties import Statement, make_party, unique

_SOURCE_KEYS = ("general.source.huggingface.repository", "general.source.repo_url", "general.source.url")
_GGUF_BASE_BASIS = (
    "inferred: GGUF general.base_model.* (llama.cpp's converter copies them from the converted "
    "model's card base_model)"
)


@dataclass(slots=True)
class _Draft:
    model: str
    repo_id: str | None
    relation: str
    basis: str
    citations: list[Citation]
    child: str | None = None
    statements: list[Statement] = field(default_factory=list)
    url: str | None = None

    def absorb(self, other: _Draft) -> None:
        self.citations.extend(other.citations)
        self.statements.extend(other.statements)
        if self.repo_id is None and other.repo_id is not None:
            self.model, self.repo_id = other.model, other.repo_id
        if self.basis != "stated" and other.basis == "stated":
            self.relation, self.basis = other.relation, other.basis
        self.url = self.url or other.url

    def matches(self, rid: str | None, name: str) -> bool:
        if rid is not None and self.repo_id is not None:
            return rid.lower() == self.repo_id.lower()
        return same_model(self.repo_id or self.model, rid or name)

    def freeze(self, directory: Directory) -> Ancestor:
        return Ancestor(
            model=self.model,
            repo_id=self.repo_id,
            relation=self.relation,
            relation_basis=self.basis,
            citations=unique(self.citations),
            child=self.child,
            publisher=make_party("publisher", self.statements, directory),
            url=hub_url(self.repo_id) if self.repo_id else self.url,
        )


@dataclass(slots=True)
class _Lineage:
    identity: Identity
    drafts: list[_Draft] = field(default_factory=list)
    problems: list[MetadataProblem] = field(default_factory=list)

    def add(self, draft: _Draft) -> _Draft:
        for existing in self.drafts:
            if existing.matches(draft.repo_id, draft.model):
                existing.absorb(draft)
                return existing
        self.drafts.append(draft)
        return draft


def trace_lineage(
    card: ModelCard | None,
    ggufs: Sequence[GGUFGeneral],
    configs: ConfigFacts,
    identity: Identity,
    directory: Directory,
) -> tuple[tuple[Ancestor, ...], tuple[MetadataProblem, ...]]:
    lineage = _Lineage(identity)
    if card is not None:
        _from_card(lineage, card, configs, has_gguf=bool(ggufs))
    if configs.adapter_base is not None and configs.adapter_base_cite is not None:
        rid = repo_id(configs.adapter_base)
        if not identity.is_self(rid):
            lineage.add(_draft(rid, configs.adapter_base, "adapter", "stated", configs.adapter_base_cite))
    card_source = _card_quantized_source(lineage)
    for gguf in ggufs:
        _from_gguf(lineage, gguf, card_source)
    _from_config(lineage, configs)
    drafts = sorted(lineage.drafts, key=lambda d: d.child is not None)
    return tuple(d.freeze(directory) for d in drafts), tuple(lineage.problems)


def infer_relation(bases: int, configs: ConfigFacts, *, has_gguf: bool) -> tuple[str, str]:
    """The Hub's rule for an unstated base_model_relation."""
    if configs.has_adapter:
        return "adapter", "inferred: adapter_config.json is present"
    if bases > 1:
        return "merge", "inferred: the card lists several base models"
    if has_gguf:
        return "quantized", "inferred: the model's weights are GGUF files"
    if configs.quantization is not None:
        return "quantized", f"inferred: config.json has a quantization_config ({configs.quantization})"
    return "finetune", "inferred: one base model, no adapter and no quantization"


def _draft(
    rid: str | None, stated: str, relation: str, basis: str, cite: Citation, *, child: str | None = None
) -> _Draft:
    statements: list[Statement] = [(org_of(rid), cite)] if rid else []
    url = stated if stated.startswith(("https://", "http://")) else None
    return _Draft(
        model=rid or stated,
        repo_id=rid,
        relation=relation,
        basis=basis,
        citations=[cite],
        child=child,
        statements=statements,
        url=url,
    )


def _from_card(lineage: _Lineage, card: ModelCard, configs: ConfigFacts, *, has_gguf: bool) -> None:
    stated = card.base_model_relation
    extra: list[Citation] = []
    if stated in RELATIONS:
        relation, basis = stated, "stated"
        extra.append(
            Citation(
                card.file, key="base_model_relation", line=card.line_of("base_model_relation"), value=stated
            )
        )
    elif stated is not None:
        relation, basis = "unknown", f"stated as {stated!r}, which is not a Hub relation"
    else:
        relation, basis = infer_relation(len(card.base_model), configs, has_gguf=has_gguf)
    for i, value in enumerate(card.base_model):
        rid = repo_id(value)
        line = card.line_of(f"base_model[{i}]") or card.line_of("base_model")
        if lineage.identity.is_self(rid):
            lineage.problems.append(
                MetadataProblem(
                    card.file, f"base_model names the model itself ({value})", key="base_model", line=line
                )
            )
            continue
        draft = _draft(
            rid, value, relation, basis, Citation(card.file, key="base_model", line=line, value=value)
        )
        draft.citations.extend(extra)
        if card.model_creator and len(card.base_model) == 1:
            draft.statements.append(
                (
                    card.model_creator,
                    Citation(
                        card.file,
                        key="model_creator",
                        line=card.line_of("model_creator"),
                        value=card.model_creator,
                    ),
                )
            )
        lineage.add(draft)


def _card_quantized_source(lineage: _Lineage) -> str | None:
    direct = [d for d in lineage.drafts if d.child is None]
    if len(direct) == 1 and direct[0].relation == "quantized":
        return direct[0].repo_id or direct[0].model
    return None


def _from_gguf(lineage: _Lineage, gguf: GGUFGeneral, card_source: str | None) -> None:
    source = _gguf_source(lineage, gguf)
    for base in gguf.base_models:
        _gguf_base(lineage, gguf, base, source or card_source)


def _gguf_source(lineage: _Lineage, gguf: GGUFGeneral) -> str | None:
    for key in _SOURCE_KEYS:
        value = gguf.text(key)
        rid = repo_id(value) if value else None
        if value is None or rid is None or lineage.identity.is_self(rid):
            continue
        quantized = is_quantized(gguf)
        cites = [gguf.cite(key)]
        if quantized is None:
            relation, basis = "conversion", f"inferred: GGUF {key} names the model it was converted from"
        else:
            cites.append(gguf.cite("general.file_type"))
            kind = "quantized" if quantized else "conversion"
            relation, basis = kind, f"inferred: GGUF {key} and general.file_type {file_type_name(gguf)}"
        draft = _draft(rid, value, relation, basis, cites[0])
        draft.citations.extend(cites[1:])
        return lineage.add(draft).repo_id or rid
    return None


def _gguf_base(lineage: _Lineage, gguf: GGUFGeneral, base: GGUFBaseModel, child: str | None) -> None:
    prefix = f"general.base_model.{base.index}."
    cites = [gguf.cite(k) for k in sorted(gguf.values) if k.startswith(prefix)]
    rid = repo_id(base.repo_url or "") or repo_id(base.url or "")
    name = rid or base.name or base.repo_url or base.url
    if name is None or not cites:
        lineage.problems.append(MetadataProblem(gguf.file, f"{prefix}* names no model", key=prefix + "name"))
        return
    if lineage.identity.is_self(rid):
        return
    if child is not None and (same_model(name, child) or (rid is not None and rid.lower() == child.lower())):
        child = None  # the converted model itself: the statement is more evidence for the direct source
    several = len(gguf.base_models) > 1
    draft = _Draft(
        model=name,
        repo_id=rid,
        relation="merge" if several else "finetune",
        basis=_GGUF_BASE_BASIS,
        citations=cites,
        child=child,
        url=base.repo_url or base.url,
    )
    if rid is not None:
        draft.statements.append((org_of(rid), gguf.cite(prefix + ("repo_url" if base.repo_url else "url"))))
    for field_name, value in (("organization", base.organization), ("author", base.author)):
        if value:
            draft.statements.append((value, gguf.cite(prefix + field_name)))
    lineage.add(draft)


def _from_config(lineage: _Lineage, configs: ConfigFacts) -> None:
    value, cite = configs.name_or_path, configs.name_or_path_cite
    rid = repo_id(value) if value else None
    if value is None or cite is None or rid is None or lineage.identity.is_self(rid):
        return
    for existing in lineage.drafts:
        if existing.matches(rid, value):
            existing.citations.append(cite)
            return
    if lineage.drafts:
        lineage.problems.append(
            MetadataProblem(
                cite.file,
                f"config.json _name_or_path names {value}, which the "
                "card and GGUF metadata do not list as a base model",
                key=cite.key,
                line=cite.line,
            )
        )
        return
    relation = "quantized" if configs.quantization else "finetune"
    lineage.add(
        _draft(
            rid,
            value,
            relation,
            "inferred: config.json _name_or_path names the checkpoint these weights were saved from",
            cite,
        )
    )
