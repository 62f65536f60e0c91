"""The guard: load a model only if the registry admitted exactly these bytes.

* ``require_admitted(path, registry=None) -> VersionRecord`` raises ``NotAdmittedError`` otherwise;
* ``with admitted(path) as version:`` does the same and lets loaders open files under ``path`` inside;
* ``weighbridge.guard.hooks.install()`` / ``uninstall()`` wrap transformers', torch's and llama.cpp's
  loaders (explicit opt-in);
* ``weighbridge run -- COMMAND`` checks the models a command names before running it (``guard.run``).
"""

from __future__ import annotations

from .core import NotAdmittedError, admitted, check, require_admitted, reset_default_registry

__all__ = ["NotAdmittedError", "admitted", "check", "require_admitted", "reset_default_registry"]
