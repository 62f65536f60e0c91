"""Provenance of a model: publisher and jurisdiction, lineage (fine-tune, adapter, merge, quantization), who
quantized it, source URLs, and screening against a user-supplied entity list — from the model card, GGUF
``general.*`` metadata and JSON configs, parsed and never loaded, offline.

``analyse(snapshot) -> Provenance``; ``Provenance.to_dict()`` is the ``provenance`` section of the report.
"""

from __future__ import annotations

from ..metadata.gguf_general import read_gguf_general
from .analysis import analyse
from .card import find_card, parse_card, read_card
from .gguf_meta import find_gguf_files
from .jurisdiction import Directory, load_directory

__all__ = [
    "Directory",
    "analyse",
    "find_card",
    "find_gguf_files",
    "load_directory",
    "parse_card",
    "read_card",
    "read_gguf_general",
]
