"""Output formats as pluggable renderers: each takes a Report and returns text."""

from __future__ import annotations

from collections.abc import Callable

from ..core.report import Report
from .json import render_json
from .markdown import render_markdown
from .sarif import render_sarif
from .table import render_table

Renderer = Callable[[Report], str]

RENDERERS: dict[str, Renderer] = {
    "table": render_table,
    "json": render_json,
    "sarif": render_sarif,
    "markdown": render_markdown,
}

__all__ = ["RENDERERS", "Renderer"]
