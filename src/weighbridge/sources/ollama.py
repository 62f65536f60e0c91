"""Resolve ``ollama:[host/][namespace/]name[:tag]`` from the local Ollama store, offline.

Store layout (``$OLLAMA_MODELS`` or ``~/.ollama/models``): ``manifests/<host>/<namespace>/<name>/<tag>`` is an
OCI-style JSON manifest whose ``config`` and ``layers`` name content-addressed blobs
``blobs/sha256-<hex>``. Each becomes one file of the snapshot, named after its media type, with the digest
as the expected SHA-256 (the engine checks it while scanning). Weighbridge never pulls Ollama models.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.findings import Check, Finding, Severity, WeighbridgeError
from ..core.report import Snapshot, SnapshotFile, Target, TargetKind
from ..core.rules import define, make_finding
from .local import SPECIAL_FILE, UNREADABLE_ENTRY, can_open, os_reason, special_kind

DEFAULT_HOST = "registry.ollama.ai"
DEFAULT_NAMESPACE = "library"
DEFAULT_TAG = "latest"
DIGEST_SOURCE = "ollama blob digest"
MANIFEST_LIMIT = 4 * 1024 * 1024  # real manifests are a few kilobytes

MISSING_BLOB = define(
    "WB-SRC-020",
    Check.INTEGRITY,
    Severity.CRITICAL,
    "Ollama manifest names a missing blob",
    "The model's manifest lists a layer whose blob is not in the store: the model on disk is incomplete or "
    "was tampered with.",
)
SIZE_MISMATCH = define(
    "WB-SRC-021",
    Check.INTEGRITY,
    Severity.CRITICAL,
    "Ollama blob size differs from its manifest",
    "The blob on disk does not have the size the manifest records, so its content is not what was pulled.",
)

LAYER_NAMES = {
    "application/vnd.ollama.image.model": "model.gguf",
    "application/vnd.ollama.image.template": "template",
    "application/vnd.ollama.image.license": "license",
    "application/vnd.ollama.image.params": "params",
    "application/vnd.ollama.image.system": "system",
    "application/vnd.ollama.image.adapter": "adapter.gguf",
    "application/vnd.ollama.image.projector": "projector.gguf",
    "application/vnd.ollama.image.messages": "messages",
}

_HOST = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]*(:[0-9]{1,5})?")
_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_DIGEST = re.compile(r"sha256:([0-9a-f]{64})")


@dataclass(frozen=True, slots=True)
class OllamaName:
    host: str
    namespace: str
    name: str
    tag: str

    @property
    def short(self) -> str:
        """How ``ollama pull`` would accept it."""
        if self.host != DEFAULT_HOST:
            return f"{self.host}/{self.namespace}/{self.name}:{self.tag}"
        if self.namespace != DEFAULT_NAMESPACE:
            return f"{self.namespace}/{self.name}:{self.tag}"
        return f"{self.name}:{self.tag}"


@dataclass(frozen=True, slots=True)
class _Descriptor:
    media_type: str
    hexdigest: str
    size: int


def ollama_store_dir() -> Path:
    explicit = os.environ.get("OLLAMA_MODELS")
    if explicit:
        return Path(os.path.expanduser(explicit))
    return Path(os.path.expanduser(os.path.join("~", ".ollama", "models")))


def parse_ollama_spec(spec: str) -> OllamaName:
    body = spec[len("ollama:") :] if spec.startswith("ollama:") else spec
    head, slash, last = body.rpartition("/")
    name, colon, tag = last.partition(":")
    parts = (head + slash + name).split("/")
    usage = f"not an Ollama model name: {spec!r} (expected ollama:[host/][namespace/]name[:tag])"
    if colon and not _PART.fullmatch(tag):
        raise WeighbridgeError(usage)
    if len(parts) > 3 or not all(_PART.fullmatch(p) for p in parts[-2:]):
        raise WeighbridgeError(usage)
    if len(parts) == 3 and not _HOST.fullmatch(parts[0]):
        raise WeighbridgeError(usage)
    host = parts[0] if len(parts) == 3 else DEFAULT_HOST
    namespace = parts[-2] if len(parts) >= 2 else DEFAULT_NAMESPACE
    return OllamaName(host, namespace, parts[-1], tag if colon else DEFAULT_TAG)


def resolve_ollama(spec: str, *, store: Path | None = None) -> Snapshot:
    """``spec`` from the local Ollama store, or from ``store`` laid out the same way (the mirror's intake
    quarantine)."""
    model = parse_ollama_spec(spec)
    store = store if store is not None else ollama_store_dir()
    model_dir = store / "manifests" / model.host / model.namespace / model.name
    manifest_path = model_dir / model.tag
    if not manifest_path.is_file():
        raise WeighbridgeError(_not_found(spec, model, store, model_dir, manifest_path))
    config, layers = _read_manifest(manifest_path)
    blobs = store / "blobs"
    files: list[SnapshotFile] = []
    notes: list[Finding] = []
    for rel, desc in _names(config, layers):
        _blob(blobs, rel, desc, files, notes)
    files.sort(key=lambda f: f.rel)
    notes.sort(key=lambda f: f.path)
    target = Target(input=spec, kind=TargetKind.OLLAMA, path=str(manifest_path), revision=model.tag)
    return Snapshot(target=target, root=str(blobs), files=tuple(files), notes=tuple(notes))


def _not_found(spec: str, model: OllamaName, store: Path, model_dir: Path, manifest_path: Path) -> str:
    origin = "$OLLAMA_MODELS" if os.environ.get("OLLAMA_MODELS") else "default; set OLLAMA_MODELS to change"
    message = f"{spec} is not in the local Ollama store {store} ({origin}): no manifest at {manifest_path}"
    try:
        tags = sorted(p.name for p in model_dir.iterdir() if p.is_file())
    except OSError:
        tags = []
    if tags:
        message += f"; tags present: {', '.join(tags)}"
    return message + f"; run `ollama pull {model.short}` first"


def _read_manifest(path: Path) -> tuple[_Descriptor | None, list[_Descriptor]]:
    try:
        with path.open("rb") as fh:
            raw = fh.read(MANIFEST_LIMIT + 1)
    except OSError as exc:
        raise WeighbridgeError(f"cannot read Ollama manifest {path}: {os_reason(exc)}") from None
    if len(raw) > MANIFEST_LIMIT:
        raise WeighbridgeError(f"malformed Ollama manifest {path}: larger than {MANIFEST_LIMIT} bytes")
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WeighbridgeError(f"malformed Ollama manifest {path}: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("layers"), list):
        raise WeighbridgeError(f"malformed Ollama manifest {path}: no list of layers")
    config = _descriptor(path, "config", doc["config"]) if doc.get("config") is not None else None
    layers = [_descriptor(path, f"layer {i}", item) for i, item in enumerate(doc["layers"])]
    return config, layers


def _descriptor(path: Path, where: str, item: Any) -> _Descriptor:
    bad = f"malformed Ollama manifest {path}: {where}"
    if not isinstance(item, dict):
        raise WeighbridgeError(f"{bad} is not an object")
    media_type, digest, size = item.get("mediaType"), item.get("digest"), item.get("size")
    if not isinstance(media_type, str):
        raise WeighbridgeError(f"{bad} has no mediaType")
    match = _DIGEST.fullmatch(digest) if isinstance(digest, str) else None
    if match is None:
        raise WeighbridgeError(f"{bad} has digest {digest!r}, not sha256:<64 hex>")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise WeighbridgeError(f"{bad} has size {size!r}, not a byte count")
    return _Descriptor(media_type, match.group(1), size)


def _names(config: _Descriptor | None, layers: list[_Descriptor]) -> list[tuple[str, _Descriptor]]:
    """Readable, unique file names: by media type, numbered (``license-1``, ``license-2``) when repeated."""
    bases = [("config.json", config)] if config is not None else []
    bases += [(layer_name(d.media_type), d) for d in layers]
    counts = Counter(base for base, _ in bases)
    seen: Counter[str] = Counter()
    taken: set[str] = set()
    out: list[tuple[str, _Descriptor]] = []
    for base, desc in bases:
        name = base
        if counts[base] > 1 or base in taken:
            stem, ext = os.path.splitext(base)
            while name in taken or name == base:
                seen[base] += 1
                name = f"{stem}-{seen[base]}{ext}"
        taken.add(name)
        out.append((name, desc))
    return out


def layer_name(media_type: str) -> str:
    known = LAYER_NAMES.get(media_type)
    if known is not None:
        return known
    last = media_type.rsplit("/", 1)[-1].rsplit(".", 1)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9_+-]", "_", last)
    return cleaned or "layer"


def _blob(blobs: Path, rel: str, desc: _Descriptor, files: list[SnapshotFile], notes: list[Finding]) -> None:
    path = blobs / f"sha256-{desc.hexdigest}"
    digest = f"sha256:{desc.hexdigest}"
    try:
        st = os.stat(path)
    except FileNotFoundError:
        notes.append(
            make_finding(
                MISSING_BLOB, rel, f"{desc.media_type} blob {digest} is not in {blobs}", evidence=digest
            )
        )
        return
    except OSError as exc:
        notes.append(
            make_finding(
                UNREADABLE_ENTRY,
                rel,
                f"blob {digest} could not be examined: {os_reason(exc)}",
                evidence=digest,
            )
        )
        return
    if not stat.S_ISREG(st.st_mode):
        kind = special_kind(st.st_mode) or "not a regular file"
        notes.append(make_finding(SPECIAL_FILE, rel, f"blob {digest} is {kind}; not read", evidence=digest))
        return
    error = can_open(str(path))
    if error is not None:
        notes.append(
            make_finding(
                UNREADABLE_ENTRY,
                rel,
                f"blob {digest} could not be opened: {os_reason(error)}",
                evidence=digest,
            )
        )
        return
    if st.st_size != desc.size:
        notes.append(
            make_finding(
                SIZE_MISMATCH,
                rel,
                f"blob {digest} has {st.st_size} bytes, the manifest says {desc.size}",
                evidence=f"expected {desc.size} bytes, found {st.st_size}",
            )
        )
    files.append(
        SnapshotFile(rel=rel, abspath=str(path), expected_sha256=desc.hexdigest, digest_source=DIGEST_SOURCE)
    )
