"""``analyse(snapshot)``: read the card, GGUF ``general.*`` keys and JSON configs once, then work out the
model's identity, lineage, publisher and other parties, source URLs and screening hits."""

from __future__ import annotations

import os

from ..core.provenance import MetadataProblem, Provenance
from ..core.report import Snapshot
from ..metadata.gguf_general import read_gguf_general
from .card import find_card, read_card
from .configs import read_configs
from .gguf_meta import MAX_GGUF_FILES, find_gguf_files
from .identity import identify
from .jurisdiction import load_directory
from .lineage import trace_lineage
from .publisher import find_parties
from .screening import Subject, screen
from .urls import collect_urls


def analyse(
    snapshot: Snapshot,
    *,
    publishers_file: str | os.PathLike[str] | None = None,
    screening_csv: str | os.PathLike[str] | None = None,
) -> Provenance:
    """Provenance of a resolved target, offline. Unreadable or inconsistent metadata is reported in
    ``problems``; a publishers file or screening list that cannot be used raises ``WeighbridgeError``."""
    directory = load_directory(publishers_file)
    problems: list[MetadataProblem] = []
    card_file = find_card(snapshot)
    card = read_card(card_file) if card_file is not None else None
    gguf_files = find_gguf_files(snapshot)
    if len(gguf_files) > MAX_GGUF_FILES:
        problems.append(
            MetadataProblem(
                None, f"{len(gguf_files)} GGUF files; the metadata of the first {MAX_GGUF_FILES} was read"
            )
        )
    ggufs = tuple(read_gguf_general(f) for f in gguf_files[:MAX_GGUF_FILES])
    configs = read_configs(snapshot)
    identity = identify(snapshot, card, configs)
    lineage, lineage_problems = trace_lineage(card, ggufs, configs, identity, directory)
    found = find_parties(identity, card, ggufs, lineage, directory)
    subjects = [Subject(p, p.role) for p in found.parties]
    subjects += [Subject(a.publisher, f"publisher of ancestor {a.model}") for a in lineage if a.publisher]
    screening = screen(screening_csv, subjects, directory)
    for source in (
        (card.problems if card else ()),
        *(g.problems for g in ggufs),
        configs.problems,
        lineage_problems,
        found.problems,
    ):
        problems.extend(source)
    return Provenance(
        publisher=found.publisher,
        parties=found.parties,
        lineage=lineage,
        source_urls=collect_urls(identity, ggufs, lineage),
        screening=screening,
        card=card,
        gguf=ggufs,
        problems=tuple(problems),
        data_files=directory.files,
    )
