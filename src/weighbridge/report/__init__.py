"""Output formats as pluggable renderers: each takes a Report and returns text."""

from __future__ import annotations

from collections.abc import Callable

from ..core.report import Report
from .json import render_json
from .markdown import render_markdown
from .sarif import render_sarif

Renderer = Callable[[Report], str]


def render_table(report: Report) -> str:
    """``table.render_table``: rich's tables load only when a table is rendered."""
    from .table import render_table as render

    return render(report)


RENDERERS: dict[str, Renderer] = {
    "table": render_table,
    "json": render_json,
    "sarif": render_sarif,
    "markdown": render_markdown,
}

__all__ = ["RENDERERS", "Renderer"]
