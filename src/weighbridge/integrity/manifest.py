"""Whole-model manifest digest, in the spirit of the OpenSSF Model Signing (OMS) v1.0 manifest.

OMS: resources sorted by name (Unicode code point), root = SHA-256 over the concatenated raw per-file
digests in that order. We do the same over the files of a snapshot, so a Weighbridge manifest digest of a
folder equals ``model_signing digest`` of it when the same files are included. Like OMS, the manifest leaves
out the model's signature file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable

# Signatures live beside the model, not in it: OMS hashing ignores the signature file it writes, and so does
# every manifest here (scan, lock, verify, the guard), so signing an admitted folder never changes its version.
SIGNATURE_NAMES = frozenset({"model.sig"})  # ``weighbridge sign``'s default inside a folder


def is_signature(rel: str, names: Collection[str]) -> bool:
    """``rel`` is a signature beside the model: ``model.sig`` at the top of the folder, or ``X.sig`` next to a
    file ``X`` of the same model (``names``: every relative path of it)."""
    return rel in SIGNATURE_NAMES or (rel.endswith(".sig") and rel[:-4] in names)


def without_signatures(entries: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    listed = list(entries)
    names = {name for name, _ in listed}
    return [(name, digest) for name, digest in listed if not is_signature(name, names)]


def manifest_digest(entries: Iterable[tuple[str, str]]) -> str:
    """``entries`` are ``(relative_path, sha256_hex)``; returns the hex root digest. Signature files
    (``is_signature``) are not part of it."""
    root = hashlib.sha256()
    for _, digest in sorted(without_signatures(entries), key=lambda e: e[0]):
        root.update(bytes.fromhex(digest))
    return root.hexdigest()


def manifest_resources(entries: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    """The OMS ``predicate.resources`` list for the same entries."""
    return [
        {"name": name, "algorithm": "sha256", "digest": digest}
        for name, digest in sorted(entries, key=lambda e: e[0])
    ]
