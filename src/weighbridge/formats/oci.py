"""OCI image manifests and indexes (image layouts, KitOps ModelKits), recognised as JSON by their keys.

An OCI layout is a folder (``oci-layout``, ``index.json``, ``blobs/sha256/<hex>``); every blob is an ordinary
file of the snapshot and is scanned by content (tar / gzip layers through the archive readers, JSON configs
as text), and the local source marks each blob with the digest its name promises, so the hash pass verifies
it. Here the manifests themselves are checked: descriptors whose digest is not a digest (a client joins it
into a path), foreign layers fetched from ``urls``, blobs that are missing or have another size than
declared, and KitOps code layers. A ModelKit's Kitfile paths are checked by the YAML configuration checker.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, BinaryIO

from ..core.findings import Check, Location, Severity
from ..core.rules import define
from .base import FormatHandler, ScanContext, StreamWindow, parse_json_document
from .text import sniff as text_sniff

BAD_DIGEST = define(
    "WB-OCI-001",
    Check.ARTIFACT,
    Severity.HIGH,
    "OCI descriptor digest is not a digest",
    "A manifest or index descriptor has a digest that is not '<algorithm>:<hex>'. Clients join the digest "
    "into a blob path, so a digest like 'sha256:../../x' reads or writes outside the layout.",
)
FOREIGN_LAYER = define(
    "WB-OCI-002",
    Check.ARTIFACT,
    Severity.HIGH,
    "OCI layer is fetched from URLs",
    "A descriptor lists 'urls': the client downloads that layer from the named servers instead of the "
    "registry, so its content is whatever those servers return at pull time.",
)
BLOB_SIZE = define(
    "WB-OCI-003",
    Check.INTEGRITY,
    Severity.HIGH,
    "OCI blob size differs from its descriptor",
    "The blob on disk has another size than the manifest declares; the layout was altered after it was "
    "written.",
)
BLOB_MISSING = define(
    "WB-OCI-004",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "OCI blob referenced but not present",
    "A manifest or index refers to a blob the layout does not contain, so that content was not inspected.",
)
CODE_LAYER = define(
    "WB-OCI-005",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "ModelKit ships a code layer",
    "A KitOps ModelKit manifest has a code layer: source files that users of the ModelKit are expected to run "
    "with the model.",
)
BAD_MANIFEST = define(
    "WB-OCI-006",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "OCI manifest could not be parsed",
    "The manifest or index is not valid JSON, so the blobs it references were not checked against it.",
)

BLOB_DIGEST = define(
    "WB-OCI-007",
    Check.INTEGRITY,
    Severity.CRITICAL,
    "OCI blob content does not match its digest",
    "An archived OCI layout (docker save, oci-archive) holds a blob whose bytes hash to something other than "
    "the SHA-256 in its name: the layer, config or manifest was altered after it was written.",
)

_BLOB_MEMBER = re.compile(r"(?:^|/)blobs/sha256/([0-9a-f]{64})$")
_DIGEST = re.compile(r"^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$")
MAX_DESCRIPTORS = 100_000


def _sniff(head: bytes, name: str) -> bool:
    if head.lstrip()[:1] != b"{" or b'"schemaVersion"' not in head:
        return False
    return (b'"layers"' in head or b'"manifests"' in head or b'"config"' in head) and text_sniff(head, name)


def _layout_root(path: str) -> str | None:
    folder = os.path.dirname(os.path.abspath(path))
    for _ in range(8):
        if os.path.isfile(os.path.join(folder, "oci-layout")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent
    return None


def _descriptors(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    config = doc.get("config")
    if isinstance(config, dict):
        out.append(("config", config))
    for key in ("layers", "manifests", "blobs"):
        items = doc.get(key)
        if isinstance(items, list):
            out.extend(
                (f"{key}[{i}]", d) for i, d in enumerate(items[:MAX_DESCRIPTORS]) if isinstance(d, dict)
            )
    subject = doc.get("subject")
    if isinstance(subject, dict):
        out.append(("subject", subject))
    return out


def _scan(ctx: ScanContext, stream: BinaryIO) -> None:
    ctx.formats.append("oci-manifest")
    raw = stream.read(ctx.limits.max_header_bytes + 1)
    parsed, doc = parse_json_document(ctx, raw, BAD_MANIFEST, "manifest")
    if not parsed:
        return
    if not isinstance(doc, dict):
        return
    root = _layout_root(ctx.fs_path) if ctx.fs_path and ctx.member is None else None
    for where, desc in _descriptors(doc):
        digest = desc.get("digest")
        media = str(desc.get("mediaType", ""))
        loc = Location(key=where)
        if not isinstance(digest, str) or not _DIGEST.match(digest):
            ctx.report(BAD_DIGEST, f"{where} has digest {digest!r}", location=loc, evidence=str(digest)[:200])
            continue
        urls = desc.get("urls")
        if isinstance(urls, list) and urls:
            ctx.report(
                FOREIGN_LAYER,
                f"{where} ({media or 'no media type'}) is downloaded from {urls[0]!r}",
                location=loc,
                evidence=json.dumps(urls[:3])[:200],
            )
        if "kitops" in media and ".code." in media:
            title = (
                (desc.get("annotations") or {}).get("org.opencontainers.image.title", "?")
                if isinstance(desc.get("annotations"), dict)
                else "?"
            )
            ctx.report(
                CODE_LAYER,
                f"{where} is a ModelKit code layer ({title!r})",
                location=loc,
                evidence=f"mediaType={media} digest={digest}",
            )
        if root is not None:
            algorithm, _, hexdigest = digest.partition(":")
            blob = os.path.join(root, "blobs", algorithm, hexdigest)
            try:
                actual = os.stat(blob).st_size
            except OSError:
                ctx.report(
                    BLOB_MISSING,
                    f"{where} blob {digest} is not in the layout",
                    location=loc,
                    evidence=f"blobs/{algorithm}/{hexdigest}",
                )
                continue
            declared = desc.get("size")
            if isinstance(declared, int) and declared != actual:
                ctx.report(
                    BLOB_SIZE,
                    f"{where} declares {declared} bytes, blob has {actual}",
                    location=loc,
                    evidence=f"{digest}: declared {declared}, actual {actual}",
                )


def verify_archived_blob(ctx: ScanContext, name: str, stream: BinaryIO, offset: int, size: int) -> None:
    """Hash an archive member named ``blobs/sha256/<hex>`` (stored at ``offset`` in ``stream``) against its name."""
    import hashlib

    match = _BLOB_MEMBER.search(name)
    if match is None:
        return
    digest = hashlib.sha256()
    window = StreamWindow(stream, offset, size)
    while chunk := window.read(1024 * 1024):
        digest.update(chunk)
    if window.read_bytes == size and digest.hexdigest() != match.group(1):
        ctx.report(
            BLOB_DIGEST,
            f"blob {name!r} hashes to sha256:{digest.hexdigest()}",
            location=Location(member=name if ctx.member is None else f"{ctx.member}!{name}", offset=offset),
            evidence=f"expected {match.group(1)}, actual {digest.hexdigest()}",
        )


# Manifests are JSON text: the file's format stays "text"; "oci-manifest" is recorded in its format list.
OCI_MANIFEST_HANDLER = FormatHandler(name="text", sniff=_sniff, scan=_scan)
