"""`weighbridge serve` and `weighbridge token …`: the dashboard, the REST API and its tokens (issue 5)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main application."""
