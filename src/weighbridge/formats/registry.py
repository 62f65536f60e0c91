"""The ordered list of format handlers. The first whose ``sniff`` accepts the content wins.

Order matters: formats with unambiguous magic bytes first, then the model formats recognised by their
structure (``model_formats.py``), then content probes (safetensors header, pickle opcodes, protobuf wire
format), then text, then "unknown binary" (a finding, never clean).

Every entry is a ``lazy`` one: a parser module (and py7zr, Jinja2, protobuf tables behind it) loads only when
a head could be of its format, so a one-file scan imports the parsers its file needs and no others.
"""

from __future__ import annotations

from .base import FormatHandler
from .lazy import LAZY_ENTRIES
from .text import TEXT_HANDLER
from .unknown import UNKNOWN_HANDLER

HANDLERS: tuple[FormatHandler, ...] = tuple(entry.handler for entry in LAZY_ENTRIES)

__all__ = ["HANDLERS", "TEXT_HANDLER", "UNKNOWN_HANDLER"]
