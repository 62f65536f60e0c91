"""Turn a TARGET string into a Snapshot: a local file or folder, ``hf:org/name[@rev]``, ``ollama:name[:tag]``.

Nothing here touches the network unless ``download=True`` is passed (Hugging Face targets only; Ollama
models are never pulled, and local paths have nothing to fetch).
"""

from __future__ import annotations

import logging
import os
import re
from typing import TYPE_CHECKING

from ..core.findings import WeighbridgeError
from .local import resolve_local

if TYPE_CHECKING:
    from ..core.report import Snapshot

_PREFIX = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+):")

__all__ = ["resolve", "resolve_hf", "resolve_local", "resolve_ollama"]


def __getattr__(name: str) -> object:
    """``resolve_hf`` and ``resolve_ollama`` as package attributes, imported on first use."""
    if name == "resolve_hf":
        from .hf import resolve_hf

        return resolve_hf
    if name == "resolve_ollama":
        from .ollama import resolve_ollama

        return resolve_ollama
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def resolve(spec: str, *, download: bool = False) -> Snapshot:
    """Resolve ``spec`` offline (unless ``download``) into the files to inspect and the notes made on the way."""
    logging.getLogger(__name__).info("resolving %s%s", spec, " (downloads allowed)" if download else "")
    if not spec.strip():
        raise WeighbridgeError(
            "empty target: give a file, a folder, hf:org/name[@revision] or ollama:name[:tag]"
        )
    # the Hub and Ollama resolvers (and what they import) load only for their targets
    if spec.startswith("hf:"):
        from .hf import resolve_hf

        return resolve_hf(spec, download=download)
    if spec.startswith("ollama:"):
        from .ollama import resolve_ollama

        return resolve_ollama(spec)
    prefix = _PREFIX.match(spec)
    if prefix is not None and not os.path.lexists(os.path.expanduser(spec)):
        raise WeighbridgeError(
            f"unknown target type {prefix.group(1)!r} in {spec!r}: expected a file, a folder, "
            "hf:org/name[@revision] or ollama:name[:tag]"
        )
    return resolve_local(spec)
