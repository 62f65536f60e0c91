"""The integrity digest of local weights: the manifest root digest of a file or folder, hash only, no scan.

Same rule as the scanner's report (``integrity.manifest``): SHA-256 of every regular file of the resolved
snapshot, root digest over them in name order, so an audit's digest equals ``weighbridge scan``'s manifest
digest of the same target.
"""

from __future__ import annotations

import hashlib
import os

from ...core.findings import WeighbridgeError
from ...integrity.manifest import manifest_digest

_CHUNK = 4 * 1024 * 1024


def is_local(target: str) -> bool:
    """True when ``target`` names an existing local file or folder."""
    return bool(target) and os.path.exists(os.path.expanduser(target))


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def local_digest(target: str) -> str:
    """Manifest root digest (hex) of a local file or folder; ``WeighbridgeError`` when it cannot be read."""
    from ...sources import resolve_local

    snapshot = resolve_local(target)
    entries: list[tuple[str, str]] = []
    for sfile in snapshot.files:
        if os.path.isdir(sfile.abspath):  # a link to a folder: listed by the source, has no content digest
            continue
        try:
            entries.append((sfile.rel, file_sha256(sfile.abspath)))
        except OSError as exc:
            raise WeighbridgeError(f"cannot hash {sfile.abspath}: {exc.strerror or exc}") from None
    if not entries:
        raise WeighbridgeError(f"nothing to hash: {target} contains no files")
    return manifest_digest(entries)
