"""`weighbridge admit` and `weighbridge registry …`: the organization's system of record (issue 5)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main application."""
