"""The registry: the organization's system of record for model versions, their reports, decisions, lineage,
policies, audits and API tokens (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

from .errors import NotFound, RegistryError
from .service import Registry, open_registry
from .tokens import SCOPES

__all__ = ["SCOPES", "NotFound", "Registry", "RegistryError", "open_registry"]
