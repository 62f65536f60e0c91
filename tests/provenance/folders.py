"""Build Hugging Face style model folders and GGUF files for provenance and openness tests."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.formats.gguf_writer import GGUFWriter

from weighbridge.core.report import Snapshot, Target, TargetKind
from weighbridge.formats.gguf import ValueType
from weighbridge.sources import resolve_local


def card(front_matter: str | None, body: str = "# Model\n\nA model.\n") -> str:
    """README.md text: ``---`` front matter (verbatim YAML) and a markdown body."""
    if front_matter is None:
        return body
    return f"---\n{front_matter.strip()}\n---\n{body}"


def folder(root: Path, files: Mapping[str, str | bytes]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def config(**fields: Any) -> str:
    return json.dumps(fields, indent=2)


def local(root: Path) -> Snapshot:
    return resolve_local(str(root))


def hf(root: Path, repo: str) -> Snapshot:
    """A snapshot as if ``hf:repo`` had been resolved to ``root`` (the cache layout itself is not needed)."""
    files = resolve_local(str(root)).files
    target = Target(input=f"hf:{repo}", kind=TargetKind.HF, path=str(root), revision="0" * 40)
    return Snapshot(target=target, root=str(root), files=files)


def gguf(
    general: Mapping[str, str | int], *, vocab: int = 8, big_endian: bool = False, version: int = 3
) -> bytes:
    """A small valid GGUF with the given ``general.*`` keys (strings, or uint32 for ints), a tokenizer and one
    tensor."""
    w = GGUFWriter(big_endian=big_endian, version=version)
    w.string("general.architecture", "llama")
    for key, value in general.items():
        if isinstance(value, int):
            w.u32(key, value)
        else:
            w.string(key, value)
    w.string("tokenizer.ggml.model", "gpt2")
    w.array("tokenizer.ggml.tokens", ValueType.STRING, [f"tok{i}" for i in range(vocab)])
    w.array("tokenizer.ggml.scores", ValueType.FLOAT32, [0.0] * vocab)
    w.tensor("token_embd.weight", [32, 2], 0)
    return w.build()


SAFETENSORS = b"\x08\x00\x00\x00\x00\x00\x00\x00{}      "  # an empty but well-formed safetensors file
