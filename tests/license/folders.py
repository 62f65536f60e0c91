"""Model folders, GGUF files and Ollama stores for licence identification tests."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Mapping
from pathlib import Path

from tests.formats.gguf_writer import GGUFWriter
from tests.license.corpus import require_corpus
from tests.provenance.folders import card as card  # shared with the provenance tests
from tests.provenance.folders import folder as folder

from weighbridge.formats.gguf import ValueType


def corpus_text(name: str) -> bytes:
    """A corpus licence read at test time (never stored in the repository)."""
    return (require_corpus() / name).read_bytes()


def copy_corpus(name: str, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(require_corpus() / name, dest)
    return dest


def gguf(metadata: Mapping[str, str]) -> bytes:
    writer = GGUFWriter()
    writer.string("general.architecture", "llama")
    writer.array("tokenizer.ggml.tokens", ValueType.STRING, ["<s>", "</s>", "hello"])
    writer.u32("llama.context_length", 2048)
    for key, value in metadata.items():
        writer.string(key, value)
    writer.tensor("tok.weight", [32, 2], 0)
    return writer.build()


class OllamaStore:
    """The layout ``ollama pull`` writes: manifests/<host>/<namespace>/<name>/<tag> and sha256 blobs."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "blobs").mkdir(parents=True, exist_ok=True)

    def blob(self, data: bytes, media_type: str) -> dict[str, object]:
        digest = hashlib.sha256(data).hexdigest()
        (self.root / "blobs" / f"sha256-{digest}").write_bytes(data)
        return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}

    def model(self, name: str, layers: list[dict[str, object]], tag: str = "latest") -> None:
        doc = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": self.blob(
                b'{"model_format": "gguf"}', "application/vnd.docker.container.image.v1+json"
            ),
            "layers": layers,
        }
        path = self.root / "manifests" / "registry.ollama.ai" / "library" / name / tag
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc), encoding="utf-8")
