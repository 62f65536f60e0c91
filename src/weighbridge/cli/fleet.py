"""`weighbridge fleet scan|audit|summary`: many targets at once, local process pool or Ray (issue 6)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main application."""
