"""Which Hugging Face repository the inspected model is, and the names it goes by.

In order of trust: the ``hf:org/name`` target; a local path inside a Hugging Face cache
(``models--org--name/snapshots/…``); the card naming its own repo (``from_pretrained('org/name')`` or a Hub
link whose model name is the card's headline, ``model_name`` or the folder's name); ``config.json``
``_name_or_path`` when it names the model itself.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from ..core.provenance import Citation, ModelCard
from ..core.report import Snapshot, TargetKind
from .configs import ConfigFacts
from .names import name_of, repo_id, same_model

_CACHE_PATH = re.compile(
    r"(?:^|/)models--([A-Za-z0-9][A-Za-z0-9_.-]*)--([A-Za-z0-9][A-Za-z0-9_.-]*)/snapshots/"
)


@dataclass(frozen=True, slots=True)
class Identity:
    repo_id: str | None
    citations: tuple[Citation, ...]
    names: tuple[str, ...]  # what the model is called (folder, headline, model_name, repo name)

    def is_self(self, other: str | None) -> bool:
        if other is None:
            return False
        if self.repo_id is not None:
            return other.lower() == self.repo_id.lower()
        return False


def identify(snapshot: Snapshot, card: ModelCard | None, configs: ConfigFacts) -> Identity:
    names = _names(snapshot, card)
    claims: list[tuple[str, Citation]] = []
    target = snapshot.target
    if target.kind is TargetKind.HF:
        found = repo_id(target.input)
        if found is not None:
            claims.append((found, Citation(None, key="hf", value=target.input)))
    cached = _CACHE_PATH.search(target.path.replace(os.sep, "/"))
    if cached is not None and target.kind is not TargetKind.HF:
        claims.append((f"{cached.group(1)}/{cached.group(2)}", Citation(None, key="path", value=target.path)))
    if card is not None:
        for mention, line in card.repo_mentions:
            if any(same_model(mention, n) for n in names):
                claims.append((mention, Citation(card.file, line=line, value=mention)))
    own = repo_id(configs.name_or_path) if configs.name_or_path else None
    if own is not None and configs.name_or_path_cite is not None and any(same_model(own, n) for n in names):
        claims.append((own, configs.name_or_path_cite))
    if not claims:
        return Identity(None, (), names)
    chosen = claims[0][0]
    citations = tuple(c for r, c in claims if r.lower() == chosen.lower())
    return Identity(chosen, citations, (*names, name_of(chosen)))


def _names(snapshot: Snapshot, card: ModelCard | None) -> tuple[str, ...]:
    out: list[str] = []
    target = snapshot.target
    if target.kind is TargetKind.FOLDER:
        out.append(os.path.basename(os.path.normpath(target.path)))
    elif target.kind is TargetKind.HF:
        found = repo_id(target.input)
        if found is not None:
            out.append(name_of(found))
    if card is not None:
        out.extend(n for n in (card.headline, card.model_name) if n)
    return tuple(n for n in out if n)
