"""The `weighbridge audit run` command(s)."""

from __future__ import annotations

import typer


def register(audit_app: typer.Typer) -> None:
    """Add this module's commands to the audit group."""
