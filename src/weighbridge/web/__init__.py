"""`weighbridge serve`: the dashboard (server-rendered pages) and the REST API (/api/v1) over the registry.

A thin layer: every route calls the same registry and library functions the CLI uses.
"""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
