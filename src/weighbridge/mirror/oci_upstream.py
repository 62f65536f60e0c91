"""Fetching an Ollama model from an upstream that speaks the OCI distribution / Ollama registry protocol (another
Weighbridge mirror's ``/v2/``, a private registry): the manifest of ``ns/name:tag``, then each blob it names.

The manifest is size-capped and checked against the ``Docker-Content-Digest`` the upstream sends; every blob is
fetched with the same bounds as a Hub file (``Upstream.download``: per-file and total caps, timeouts, resume
from ``.part``) and must hash to its digest before it is renamed into place. Both land in an Ollama store layout
(``manifests/<host>/<ns>/<name>/<tag>`` and ``blobs/sha256-<hex>``) inside the intake's quarantine folder, which
the Ollama source reader then reads like a local Ollama store.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ..sources.ollama import OllamaName
from .upstream import Upstream, UpstreamError, UpstreamFile

MANIFEST_LIMIT = 4 * 1024 * 1024
# What Ollama's own client asks for: a Weighbridge mirror then sends the manifest exactly as Ollama pulled it
# (OCI form only to clients that list the OCI type); a registry that holds only OCI manifests sends those.
ACCEPT = "application/vnd.docker.distribution.manifest.v2+json"
_DIGEST = re.compile(r"sha256:([0-9a-f]{64})")


@dataclass(frozen=True)
class OciModel:
    name: OllamaName
    manifest: bytes
    digest: str  # hex SHA-256 of the manifest bytes
    blobs: tuple[UpstreamFile, ...]  # config first, then the layers; paths ``blobs/sha256-<hex>``

    @property
    def manifest_path(self) -> str:
        return f"manifests/{self.name.host}/{self.name.namespace}/{self.name.name}/{self.name.tag}"


def fetch_manifest(upstream: Upstream, name: OllamaName) -> OciModel:
    url = f"{upstream.endpoint}/v2/{name.namespace}/{name.name}/manifests/{name.tag}"
    where = f"upstream {upstream.endpoint}: {name.namespace}/{name.name}:{name.tag}"
    try:
        with upstream.client.stream("GET", url, headers={"Accept": ACCEPT}) as response:
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MANIFEST_LIMIT:
                    raise UpstreamError(f"{where}: the manifest is larger than {MANIFEST_LIMIT} bytes")
    except httpx.TimeoutException:
        raise UpstreamError(f"{where}: timed out") from None
    except httpx.HTTPError as exc:
        raise UpstreamError(f"{where}: {type(exc).__name__}: {exc}") from None
    if response.status_code != 200:
        raise UpstreamError(f"{where}: HTTP {response.status_code}{_oci_message(body)}")
    sha = hashlib.sha256(body).hexdigest()
    announced = response.headers.get("docker-content-digest")
    if announced is not None and announced != f"sha256:{sha}":
        raise UpstreamError(f"{where}: the manifest does not hash to the digest the upstream announced")
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise UpstreamError(f"{where}: the manifest is not JSON") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("layers"), list) or not doc["layers"]:
        raise UpstreamError(f"{where}: the manifest lists no layers")
    limits = upstream.limits
    if len(doc["layers"]) + 1 > limits.max_files:
        raise UpstreamError(f"{where}: {len(doc['layers'])} layers, more than {limits.max_files}")
    entries = ([doc["config"]] if doc.get("config") is not None else []) + list(doc["layers"])
    blobs: dict[str, UpstreamFile] = {}
    for entry in entries:
        item = _blob(entry, where, limits.max_file_bytes)
        blobs.setdefault(item.path, item)
    total = sum(item.size or 0 for item in blobs.values())
    if total > limits.max_bytes:
        raise UpstreamError(f"{where}: {total} bytes, more than the {limits.max_bytes} allowed")
    return OciModel(name=name, manifest=body, digest=sha, blobs=tuple(blobs.values()))


def fetch_blobs(upstream: Upstream, model: OciModel, folder: Path, heartbeat: Any = None) -> int:
    """Every blob of ``model`` into ``folder/blobs/`` (checked against its digest), then the manifest; the bytes
    written."""
    total = 0
    repo = f"{model.name.namespace}/{model.name.name}"
    for item in model.blobs:
        url = f"{upstream.endpoint}/v2/{repo}/blobs/sha256:{item.sha256}"
        path = upstream.download(repo, "", item, folder, heartbeat=heartbeat, url=url)
        total += path.stat().st_size
        if total > upstream.limits.max_bytes:
            raise UpstreamError(
                f"upstream {upstream.endpoint}: {repo}: more than the {upstream.limits.max_bytes} "
                "bytes allowed"
            )
    manifest = folder / model.manifest_path
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_bytes(model.manifest)
    return total


def _blob(entry: Any, where: str, cap: int) -> UpstreamFile:
    if not isinstance(entry, dict):
        raise UpstreamError(f"{where}: a manifest entry is not an object")
    digest, size = entry.get("digest"), entry.get("size")
    match = _DIGEST.fullmatch(digest) if isinstance(digest, str) else None
    if match is None:
        raise UpstreamError(f"{where}: a layer has digest {str(digest)[:100]!r}, not sha256:<64 hex>")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise UpstreamError(f"{where}: a layer has size {str(size)[:40]!r}, not a byte count")
    if size > cap:
        raise UpstreamError(f"{where}: a layer is {size} bytes, more than the {cap} allowed per file")
    return UpstreamFile(
        path=f"blobs/sha256-{match.group(1)}", size=size, sha256=match.group(1), git_sha1=None
    )


def _oci_message(body: bytes) -> str:
    """The first OCI error message (``{"errors": [{"message": …}]}``) of a refusal, on one line."""
    try:
        doc = json.loads(body)
        text = doc["errors"][0]["message"] if isinstance(doc, dict) else None
    except (ValueError, UnicodeDecodeError, KeyError, IndexError, TypeError):
        text = None
    return f": {str(text).splitlines()[0][:300]}" if text else ""
