"""An Ollama model as ``ollama pull`` leaves it (layer blobs, config, the manifest exactly as Ollama's Go client
writes it), recorded in the registry and published into the mirror's store; a FastAPI app with the OCI face."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from tests.formats.gguf_writer import GGUFWriter
from tests.mirror.helpers import recorded

from weighbridge.core.registry import DecisionAction, VersionRecord
from weighbridge.formats.gguf import ValueType
from weighbridge.mirror import BlobStore, publish_folder
from weighbridge.mirror.app import create_mirror_app
from weighbridge.registry import Registry

MODEL = "application/vnd.ollama.image.model"
TEMPLATE = "application/vnd.ollama.image.template"
LICENSE = "application/vnd.ollama.image.license"
PARAMS = "application/vnd.ollama.image.params"
CONFIG = "application/vnd.docker.container.image.v1+json"


def tiny_gguf(seed: int = 0) -> bytes:
    w = GGUFWriter()
    w.string("general.architecture", "llama")
    w.string("general.name", f"tiny-{seed}")
    w.array("tokenizer.ggml.tokens", ValueType.STRING, ["<s>", "</s>", "hi"])
    w.tensor("tok.weight", [64, 2], 0, data=bytes((seed + i) % 256 for i in range(64 * 2 * 4)))
    return w.build()


@dataclass(frozen=True)
class OllamaModel:
    """Layer files by the names the Ollama source gives them, and the manifest bytes as pulled."""

    files: dict[str, bytes]
    manifest: bytes
    layer_digests: tuple[str, ...]  # in manifest order (config not included)


def ollama_model(seed: int = 0) -> OllamaModel:
    gguf = tiny_gguf(seed)
    layers = [
        (MODEL, "model.gguf", gguf),
        (
            LICENSE,
            "license",
            b"Licensed under the Apache License, Version 2.0: you may use, reproduce, modify and distribute this model.\n",
        ),
        (TEMPLATE, "template", b"{{ .System }} {{ .Prompt }}"),
        (PARAMS, "params", b'{"stop":["</s>"]}'),
    ]

    def digest(data: bytes) -> str:
        return "sha256:" + hashlib.sha256(data).hexdigest()

    # The licence comes before the template here: the config's diff_ids keep that order.
    config = (
        '{"model_format":"gguf","model_family":"llama","model_families":["llama"],"model_type":"1M",'
        '"file_type":"F32","architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":['
        + ",".join(f'"{digest(data)}"' for _, _, data in layers)
        + "]}}"
    ).encode()
    entries = ",".join(
        f'{{"mediaType":"{media}","digest":"{digest(data)}","size":{len(data)}}}' for media, _, data in layers
    )
    manifest = (
        '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",'
        f'"config":{{"mediaType":"{CONFIG}","digest":"{digest(config)}","size":{len(config)}}},'
        f'"layers":[{entries}]}}'
    ).encode()
    files = {"config.json": config, **{name: data for _, name, data in layers}}
    return OllamaModel(
        files=files, manifest=manifest, layer_digests=tuple(digest(data)[7:] for _, _, data in layers)
    )


def record_ollama(
    reg: Registry,
    store: BlobStore,
    folder: Path,
    source: str,
    model: OllamaModel,
    *,
    action: DecisionAction | None = DecisionAction.APPROVE,
    publish: bool = True,
) -> VersionRecord:
    """Record ``model`` as the registry does for ``source`` (registry name = the source), decide, publish."""
    name = source if source.count(":") >= 2 else source + ":latest"
    version = recorded(reg, folder, name, model.files, action=action, source=source)
    if publish and action is DecisionAction.APPROVE:
        publish_folder(reg, store, name, folder)
    return version


def oci_app(reg: Registry, store: BlobStore, *, allow_anonymous_pull: bool = True) -> FastAPI:
    """The mirror's own application over the same registry and store."""
    return create_mirror_app(reg.url, store_root=store.root, allow_anonymous_pull=allow_anonymous_pull)


def errors(body: bytes) -> list[dict[str, object]]:
    doc = json.loads(body)
    assert isinstance(doc, dict) and isinstance(doc["errors"], list)
    return doc["errors"]
