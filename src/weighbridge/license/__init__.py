"""Licence identification and term extraction with evidence (``weighbridge license``).

    from weighbridge.license import analyse_file, render_license_json
    analysis = analyse_file("path/to/LICENSE")          # or a model folder, or a .gguf file
    print(render_license_json(analysis))                 # schema weighbridge.license/1

``analyse_snapshot(snapshot)`` does the same for a resolved target (``weighbridge.sources.resolve``);
``analyse_target("hf:org/name" | "ollama:name" | path)`` resolves and analyses in one call.
"""

from __future__ import annotations

from .analyse import analyse_file, analyse_snapshot, analyse_target, analyse_text
from .families import match_title, normalize_identifier
from .identify import identify_text
from .profiles import profile_terms
from .render import render_license_json, render_license_table
from .terms import extract_terms
from .text import LicenseText

__all__ = [
    "LicenseText",
    "analyse_file",
    "analyse_snapshot",
    "analyse_target",
    "analyse_text",
    "extract_terms",
    "identify_text",
    "match_title",
    "normalize_identifier",
    "profile_terms",
    "render_license_json",
    "render_license_table",
]
