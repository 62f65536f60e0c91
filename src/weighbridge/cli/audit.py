"""`weighbridge audit run|score|report|compare`: behaviour audits (issue 4)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main application."""
