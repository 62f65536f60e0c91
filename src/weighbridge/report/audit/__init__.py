"""Renderers for audit runs: a self-contained HTML page (inline CSS and SVG), Markdown and JSON, all from the
same ``AuditSummary`` so they carry the same numbers; and the side-by-side comparison of several runs."""

from __future__ import annotations

from .html import render_html
from .json import render_json
from .markdown import render_markdown

RENDERERS = {"html": render_html, "markdown": render_markdown, "json": render_json}

__all__ = ["RENDERERS", "render_html", "render_json", "render_markdown"]
