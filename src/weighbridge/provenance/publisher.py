"""Who published the inspected model, and who else its metadata names (creator, author, quantizer).

The publisher is the organization of the model's own Hub repo (see ``identity``); failing that, GGUF
``general.organization`` — unless that names the organization of an ancestor, which is what llama.cpp's
converter writes for quantizations (it title-cases the base model's org): then it is reported as the
creator, not the publisher. ``model_creator`` (card) and ``general.author`` (GGUF) name the original
creator or author. The quantizer is stated by card ``quantized_by`` or GGUF ``general.quantized_by``; when
neither says, the publisher of a model that is a quantization of another's is reported as its quantizer,
marked as inferred.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..core.provenance import Ancestor, Citation, GGUFGeneral, MetadataProblem, ModelCard, Party
from .identity import Identity
from .jurisdiction import Directory
from .names import org_of
from .parties import Statement, group_parties, make_party, org_key


@dataclass(frozen=True, slots=True)
class PartyFindings:
    publisher: Party | None
    parties: tuple[Party, ...]
    problems: tuple[MetadataProblem, ...]


def find_parties(
    identity: Identity,
    card: ModelCard | None,
    ggufs: Sequence[GGUFGeneral],
    lineage: Sequence[Ancestor],
    directory: Directory,
) -> PartyFindings:
    ancestor_orgs = {org_key(a.publisher.name, directory) for a in lineage if a.publisher is not None}
    publisher_claims: list[Statement] = []
    creators: list[Statement] = []
    authors: list[Statement] = []
    quantizers: list[Statement] = []
    if identity.repo_id is not None:
        publisher_claims.extend((org_of(identity.repo_id), c) for c in identity.citations)
    for gguf in ggufs:
        org = gguf.text("general.organization")
        if org is not None:
            statement = (org, gguf.cite("general.organization"))
            if org_key(org, directory) in ancestor_orgs:
                creators.append(statement)
            else:
                publisher_claims.append(statement)
        for key, bucket in (("general.author", authors), ("general.quantized_by", quantizers)):
            value = gguf.text(key)
            if value is not None:
                bucket.append((value, gguf.cite(key)))
    if card is not None:
        for value, key, bucket in (
            (card.model_creator, "model_creator", creators),
            (card.quantized_by, "quantized_by", quantizers),
        ):
            if value:
                bucket.append((value, Citation(card.file, key=key, line=card.line_of(key), value=value)))
    candidates = group_parties("publisher", publisher_claims, directory)
    publisher = candidates[0] if candidates else None
    problems = []
    if len(candidates) > 1:
        named = "; ".join(f"{p.name} ({_where(p.citations[0])})" for p in candidates)
        problems.append(
            MetadataProblem(None, f"the metadata names different publishers: {named}; the first is taken")
        )
    parties = [
        *candidates,
        *group_parties("creator", creators, directory),
        *group_parties("author", authors, directory),
        *group_parties("quantizer", quantizers, directory),
    ]
    if not quantizers and publisher is not None:
        inferred = _inferred_quantizer(publisher, lineage, directory)
        if inferred is not None:
            parties.append(inferred)
    return PartyFindings(publisher, tuple(parties), tuple(problems))


def _inferred_quantizer(publisher: Party, lineage: Sequence[Ancestor], directory: Directory) -> Party | None:
    for ancestor in lineage:
        if ancestor.child is not None or ancestor.relation != "quantized":
            continue
        return make_party(
            "quantizer",
            [(publisher.name, c) for c in publisher.citations],
            directory,
            inferred=f"publisher of a quantization of {ancestor.model}",
        )
    return None


def _where(cite: Citation) -> str:
    if cite.file is None:
        return f"target {cite.value}"
    where = cite.file if cite.line is None else f"{cite.file}:{cite.line}"
    return f"{where} {cite.key}" if cite.key else where
