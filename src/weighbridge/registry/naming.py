"""The registry name a model gets by default: what the model says it is, not the folder it was copied to.

In order: an ``hf:`` target's repository id, an ``ollama:`` target's name and tag; for a GGUF file its
``general.organization`` / ``general.name`` (or ``basename``, ``size_label``, ``finetune``, ``version``; else
its first base model) with the quantization type; the Hugging Face repository the model is (the card naming
its own repo, a Hugging Face cache path, ``config.json`` ``_name_or_path`` when it names the model itself,
as ``provenance.identity`` works it out); a GGUF inside a folder; the card's ``model_name``; only then the
folder or file name. ``admit --name`` overrides all of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

from ..core.provenance import GGUFGeneral, Provenance
from ..core.report import Report, TargetKind
from ..provenance.gguf_meta import file_type_name
from ..provenance.names import repo_id
from .names import model_name


@dataclass(frozen=True, slots=True)
class ModelName:
    name: str
    basis: str  # where the name comes from, e.g. "GGUF general.name", "hf: repository id", "folder name"


def choose(report: Report) -> ModelName:
    """The default registry name of ``report``'s model, and where it comes from."""
    target = report.target
    if target.kind is TargetKind.HF:
        return _named(target.input.removeprefix("hf:").split("@", 1)[0], "hf: repository id")
    if target.kind is TargetKind.OLLAMA:
        raw = target.input if ":" in target.input.removeprefix("ollama:") else target.input + ":latest"
        return _named(raw, "ollama: name and tag")
    provenance = report.provenance
    gguf = _gguf_name(provenance.gguf[0]) if provenance is not None and len(provenance.gguf) == 1 else None
    if gguf is not None and target.kind is TargetKind.FILE:
        return gguf
    own = _own_repo(provenance) if provenance is not None else None
    if own is not None:
        return _named(own, "the model's Hugging Face id (model card / config)")
    if gguf is not None:
        return gguf
    card = provenance.card if provenance is not None else None
    if card is not None and card.model_name:
        return _named(card.model_name, "model card model_name")
    kind = "file name" if target.kind is TargetKind.FILE else "folder name"
    return _named(PurePath(target.path).name or target.input, kind)


def _own_repo(provenance: Provenance) -> str | None:
    """The repository ``provenance.identity`` found: the first artifact URL not taken from a GGUF key."""
    for url in provenance.source_urls:
        if url.role == "artifact" and not any((c.key or "").startswith("general.") for c in url.citations):
            found = repo_id(url.url)
            if found is not None:
                return found
    return None


def _gguf_name(gguf: GGUFGeneral) -> ModelName | None:
    name = gguf.text("general.name")
    basis = "GGUF general.name"
    if name is None:
        parts = [
            gguf.text(k)
            for k in ("general.basename", "general.size_label", "general.finetune", "general.version")
        ]
        name = "-".join(p for p in parts if p) or None
        basis = "GGUF general.basename"
    org = gguf.text("general.organization")
    if name is None and gguf.base_models:
        base = gguf.base_models[0]
        name, org, basis = base.name, base.organization, "GGUF general.base_model"
    if name is None:
        return None
    quant = file_type_name(gguf)
    text = f"{org}/{name}" if org else name
    if quant is not None and not quant.startswith("unknown") and quant.lower() not in text.lower():
        text = f"{text}-{quant}"
    return _named(text, basis + (" + general.organization" if org else ""))


def _named(raw: str, basis: str) -> ModelName:
    """``raw`` made a valid model name: characters it cannot hold become ``-``."""
    cleaned = re.sub(r"[^A-Za-z0-9._+:/-]", "-", raw.strip())
    cleaned = re.sub(r"/+", "/", cleaned).strip("-./")[:200] or "model"
    return ModelName(model_name(cleaned), basis)
