"""Whole-model manifest digest, in the spirit of the OpenSSF Model Signing (OMS) v1.0 manifest.

OMS: resources sorted by name (Unicode code point), root = SHA-256 over the concatenated raw per-file
digests in that order. We do the same over the files of a snapshot, so a Weighbridge manifest digest of a
folder equals ``model_signing digest`` of it when the same files are included.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def manifest_digest(entries: Iterable[tuple[str, str]]) -> str:
    """``entries`` are ``(relative_path, sha256_hex)``; returns the hex root digest."""
    root = hashlib.sha256()
    for _, digest in sorted(entries, key=lambda e: e[0]):
        root.update(bytes.fromhex(digest))
    return root.hexdigest()


def manifest_resources(entries: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    """The OMS ``predicate.resources`` list for the same entries."""
    return [{"name": name, "algorithm": "sha256", "digest": digest}
            for name, digest in sorted(entries, key=lambda e: e[0])]
