"""Registry errors: one line each, shown by the CLI as ``weighbridge: error: …`` (exit 2)."""

from __future__ import annotations

from ..core.findings import WeighbridgeError


class RegistryError(WeighbridgeError):
    """Bad input to the registry: an invalid name, an unknown scope, a parent that is not admitted."""


class NotFound(RegistryError):
    """A model, version, policy or token the registry does not hold (the web layer answers 404)."""
