"""Ollama-layout manifests for admitted versions, built from what the registry recorded (no client input).

Two kinds of version are served over ``/v2/``:

* **Ollama models** (source ``ollama:[host/][ns/]name[:tag]``): the registry recorded one file per manifest entry,
  named after its media type by ``weighbridge.sources.ollama`` (``config.json``, ``model.gguf``, ``template``,
  ``license-1`` …). The manifest is rebuilt from those names, sizes and digests — the layers in the order the
  model's config lists them (``rootfs.diff_ids``, as ``ollama create`` writes it), else in a fixed order — and
  written the way Ollama's Go client marshals it, so for a model pulled from an Ollama registry the rebuilt
  bytes are normally the original manifest, digest included.
* **GGUF models** (any other source with ``.gguf`` files): packaged deterministically as an Ollama model — the
  GGUF is the model layer, an admitted ``LICENSE`` file the licence layer, and a small generated config names
  the format and the layers. The tag picks the GGUF: ``latest`` when there is exactly one, else a quantization
  label that ends the file name (``Q4_1`` → ``….Q4_1.gguf``), as Ollama does for ``hf.co/…:Q4_K_M``.

Every digest comes from the registry; the blobs themselves are checked against it by the gate when served.
Manifests are offered in two forms with the same config and layers: Docker v2 schema 2 (what Ollama asks
for) and OCI image manifest (what OCI clients such as skopeo prefer: they refuse Ollama's layer media types
inside a Docker manifest).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..core.mirror import ServedFile
from ..sources.ollama import LAYER_NAMES

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG_MEDIA_TYPE = "application/vnd.docker.container.image.v1+json"
OLLAMA_PREFIX = "application/vnd.ollama.image."
MODEL_MEDIA_TYPE = OLLAMA_PREFIX + "model"
LICENSE_MEDIA_TYPE = OLLAMA_PREFIX + "license"
CONFIG_NAME = "config.json"
CONFIG_LIMIT = 1024 * 1024  # Ollama configs are a few hundred bytes

_BY_NAME = {name: media for media, name in LAYER_NAMES.items()}
_NUMBERED = re.compile(r"(?P<stem>.+?)-[0-9]+(?P<ext>\.gguf)?")
_ORDER = ("model", "projector", "adapter", "template", "system", "license", "params", "messages")
_SPLIT_GGUF = re.compile(r".*-[0-9]{5}-of-[0-9]{5}\.gguf", re.IGNORECASE)
_LICENSE_FILE = re.compile(r"(LICEN[CS]E|COPYING)(\.(md|txt))?", re.IGNORECASE)


@dataclass(frozen=True)
class Layer:
    """One manifest entry: media type, SHA-256 (hex), size, and the version's file that holds it (``None`` for a
    generated blob, whose bytes are in ``Layout.generated``)."""

    media_type: str
    sha256: str
    size: int
    path: str | None

    def descriptor(self) -> dict[str, object]:
        return {"mediaType": self.media_type, "digest": f"sha256:{self.sha256}", "size": self.size}


@dataclass(frozen=True)
class Layout:
    config: Layer
    layers: tuple[Layer, ...]
    generated: dict[str, bytes] = field(default_factory=dict)  # sha256 hex → bytes of generated blobs

    def blobs(self) -> tuple[Layer, ...]:
        return (self.config, *self.layers)

    def blob(self, sha256: str) -> Layer | None:
        return next((b for b in self.blobs() if b.sha256 == sha256), None)

    def manifest(self, media_type: str = DOCKER_MANIFEST) -> bytes:
        """The manifest as Ollama's Go client marshals it: compact JSON, fields in struct order."""
        doc = {
            "schemaVersion": 2,
            "mediaType": media_type,
            "config": self.config.descriptor(),
            "layers": [layer.descriptor() for layer in self.layers],
        }
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def media_type_of(path: str) -> str | None:
    """The media type ``weighbridge.sources.ollama`` named this file after, or ``None`` for a name it cannot
    have produced (a path with a folder, say)."""
    if "/" in path:
        return None
    if path == CONFIG_NAME:
        return CONFIG_MEDIA_TYPE
    if path in _BY_NAME:
        return _BY_NAME[path]
    numbered = _NUMBERED.fullmatch(path)
    if numbered is not None:
        base = numbered["stem"] + (numbered["ext"] or "")
        if base == "config.json":
            return None
        return _BY_NAME.get(
            base, OLLAMA_PREFIX + numbered["stem"] if re.fullmatch(r"[A-Za-z0-9_+-]+", base) else None
        )
    if re.fullmatch(r"[A-Za-z0-9_+-]+", path):  # a media type weighbridge did not know: its last word
        return OLLAMA_PREFIX + path
    return None


class LayoutError(Exception):
    """The version's recorded files cannot be presented as an Ollama model (one line)."""


def ollama_layout(files: Sequence[ServedFile], config: bytes | None) -> Layout:
    """The manifest of a version recorded from an Ollama store. ``config`` is the (checked) bytes of its
    ``config.json`` blob, used only to order the layers."""
    config_file = next((f for f in files if f.path == CONFIG_NAME), None)
    if config_file is None:
        raise LayoutError("the recorded Ollama model has no config blob")
    layers: list[Layer] = []
    for item in files:
        if item.path == CONFIG_NAME:
            continue
        media = media_type_of(item.path)
        if media is None:
            raise LayoutError(f"recorded file {item.path!r} is not an Ollama layer")
        layers.append(Layer(media, item.sha256, item.size, item.path))
    if not any(layer.media_type == MODEL_MEDIA_TYPE for layer in layers):
        raise LayoutError("the recorded Ollama model has no model layer")
    order = _diff_ids(config) if config is not None else None
    if order is not None and sorted(order) == sorted(layer.sha256 for layer in layers):
        remaining = list(layers)
        ordered = []
        for sha in order:
            pick = next(layer for layer in remaining if layer.sha256 == sha)
            remaining.remove(pick)
            ordered.append(pick)
        layers = ordered
    else:
        layers.sort(key=_rank)
    head = Layer(CONFIG_MEDIA_TYPE, config_file.sha256, config_file.size, CONFIG_NAME)
    return Layout(config=head, layers=tuple(layers))


def gguf_layout(files: Sequence[ServedFile], tag: str) -> Layout | None:
    """A GGUF version packaged as an Ollama model, the GGUF chosen by ``tag``; ``None`` when the tag names no
    single GGUF of the version."""
    ggufs = [
        f
        for f in files
        if f.path.lower().endswith(".gguf")
        and not _SPLIT_GGUF.fullmatch(f.path)
        and "mmproj" not in f.path.lower().rsplit("/", 1)[-1]
    ]
    if tag == "latest" and len(ggufs) == 1:
        chosen = ggufs[0]
    else:
        label = tag.lower()
        matches = [f for f in ggufs if re.search(rf"(^|[._/-]){re.escape(label)}\.gguf$", f.path.lower())]
        if len(matches) != 1:
            return None
        chosen = matches[0]
    layers = [Layer(MODEL_MEDIA_TYPE, chosen.sha256, chosen.size, chosen.path)]
    folder = chosen.path.rsplit("/", 1)[0] if "/" in chosen.path else ""
    licences = sorted(
        (
            f
            for f in files
            if _LICENSE_FILE.fullmatch(f.path.rsplit("/", 1)[-1])
            and (f.path.rsplit("/", 1)[0] if "/" in f.path else "") in (folder, "")
        ),
        key=lambda f: (f.path.count("/") == 0, f.path),
    )
    if licences:
        top = licences[0]
        layers.append(Layer(LICENSE_MEDIA_TYPE, top.sha256, top.size, top.path))
    config = json.dumps(
        {
            "model_format": "gguf",
            "file_type": "",
            "rootfs": {"type": "layers", "diff_ids": [f"sha256:{layer.sha256}" for layer in layers]},
        },
        separators=(",", ":"),
    ).encode("utf-8")
    sha = hashlib.sha256(config).hexdigest()
    return Layout(
        config=Layer(CONFIG_MEDIA_TYPE, sha, len(config), None), layers=tuple(layers), generated={sha: config}
    )


def gguf_tags(files: Sequence[ServedFile]) -> list[str]:
    """The tags under which ``gguf_layout`` serves a version: ``latest`` for a single GGUF, else the
    quantization labels that end the file names."""
    ggufs = [
        f.path
        for f in files
        if f.path.lower().endswith(".gguf")
        and not _SPLIT_GGUF.fullmatch(f.path)
        and "mmproj" not in f.path.lower().rsplit("/", 1)[-1]
    ]
    if len(ggufs) == 1:
        return ["latest"]
    tags = []
    for path in ggufs:
        label = re.split(r"[.-]", path.rsplit("/", 1)[-1][:-5])[-1]
        pattern = re.compile(rf"(^|[._/-]){re.escape(label.lower())}\.gguf$")
        if label and sum(1 for p in ggufs if pattern.search(p.lower())) == 1:
            tags.append(label)
    return sorted(set(tags))


def _diff_ids(config: bytes) -> list[str] | None:
    if len(config) > CONFIG_LIMIT:
        return None
    try:
        doc = json.loads(config)
    except (ValueError, UnicodeDecodeError):
        return None
    rootfs = doc.get("rootfs") if isinstance(doc, dict) else None
    ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        return None
    out = []
    for value in ids:
        match = re.fullmatch(r"sha256:([0-9a-f]{64})", value)
        if match is None:
            return None
        out.append(match.group(1))
    return out


def _rank(layer: Layer) -> tuple[int, str]:
    kind = layer.media_type.removeprefix(OLLAMA_PREFIX)
    return (_ORDER.index(kind) if kind in _ORDER else len(_ORDER), layer.path or "")
