"""`weighbridge lock|verify|sign|verify-signature|run`: pin, re-check, sign and guard models (issue 5)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main application."""
