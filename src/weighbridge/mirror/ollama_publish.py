"""Publishing an admitted version recorded from the local Ollama store (``ollama:name:tag``) into the mirror.

The Ollama store keeps layers as ``blobs/sha256-<hex>``, not as a folder of named files, so the version's files
are presented to ``publish_folder`` as a temporary folder of links named as the registry recorded them
(``model.gguf``, ``template``, ``config.json`` …). Every byte is still hashed on the way into the store and must
match the registry; nothing is pulled from the network.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..registry import Registry
from ..sources.ollama import resolve_ollama
from .gate import check_path
from .publish import Published, PublishError, publish_folder
from .store import BlobStore


def publish_ollama(
    registry: Registry, store: BlobStore, model: str, *, version: str | None = None
) -> Published:
    """Publish ``model`` (newest version, or ``version``), whose recorded source is an ``ollama:`` model in the
    local Ollama store (``$OLLAMA_MODELS``)."""
    record = registry.get_version(model, version)
    if not record.source.startswith("ollama:"):
        raise PublishError(
            f"{model} was not recorded from an Ollama store (source {record.source}): publish it "
            "--from the folder that holds its files"
        )
    snapshot = resolve_ollama(record.source)
    with tempfile.TemporaryDirectory(prefix="ollama-publish-") as tmp:
        for item in snapshot.files:
            if check_path(item.rel) is not None or "/" in item.rel:
                raise PublishError(f"{model}: unexpected file name {item.rel!r} in the Ollama store")
            os.symlink(item.abspath, Path(tmp) / item.rel)
        return publish_folder(registry, store, model, Path(tmp), version=record.manifest_digest)
