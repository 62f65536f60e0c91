"""The mirror: a Hugging Face– and OCI/Ollama-compatible face over the registry that serves only admitted
model versions, from a content-addressed blob store whose bytes are checked against the registry.

- ``store``: the blob store on disk (ingest, quarantine, serve-time checks, verify);
- ``gate``: serve or refuse a repo id, revision and file, asking the registry on every request;
- ``publish``: put an admitted version's files into the store.
"""

from __future__ import annotations

from .gate import Gate, ServedBlob, commit_of, repo_id_of
from .publish import PublishError, publish_folder
from .store import BlobStore, StoreError

__all__ = [
    "BlobStore",
    "Gate",
    "PublishError",
    "ServedBlob",
    "StoreError",
    "commit_of",
    "publish_folder",
    "repo_id_of",
]
