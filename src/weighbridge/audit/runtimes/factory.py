"""Build a runtime from the command line's words: a kind, a target, an endpoint and a model name."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ...core.findings import WeighbridgeError
from .base import Runtime
from .digest import is_local

RUNTIME_KINDS = ("openai", "llama-cpp", "transformers", "fake")
API_KEY_ENV = "WEIGHBRIDGE_API_KEY"


def gguf_file(target: str) -> str:
    """The GGUF to load: the file itself, or the only ``.gguf`` file of a folder."""
    path = Path(os.path.expanduser(target))
    if path.is_file():
        return str(path)
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix.lower() == ".gguf" and p.is_file())
        if len(found) == 1:
            return str(found[0])
        what = "no .gguf file" if not found else f"{len(found)} .gguf files"
        raise WeighbridgeError(f"{target} holds {what}: give the GGUF file itself")
    raise WeighbridgeError(f"no such file or folder: {target}")


def model_folder(target: str) -> str:
    """The Hugging Face model folder: a local folder, or an ``hf:org/name[@rev]`` snapshot in the local cache."""
    if target.startswith("hf:"):
        from ...sources.hf import resolve_hf

        return resolve_hf(target).root
    path = os.path.expanduser(target)
    if os.path.isdir(path):
        return path
    if os.path.exists(path):
        raise WeighbridgeError(f"{target} is a file: the transformers runtime needs a model folder")
    raise WeighbridgeError(f"no such folder: {target}")


def make_runtime(
    kind: str, target: str, endpoint: str | None = None, model: str | None = None, **options: Any
) -> Runtime:
    """A runtime of ``kind`` for ``target``; ``WeighbridgeError`` (one line) for anything unusable.

    * ``openai``: ``endpoint`` is required; the model asked for is ``model``, else ``target`` when it is not
      a local path, else the only model the endpoint serves. A local ``target`` is hashed for the record.
      The API key, if any, comes from ``$WEIGHBRIDGE_API_KEY``.
    * ``llama-cpp``: ``target`` is a GGUF file (or a folder holding exactly one); options ``n_ctx``,
      ``n_threads``.
    * ``transformers``: ``target`` is a model folder or ``hf:org/name[@rev]`` in the local cache.
    * ``fake``: the deterministic test runtime; options are ``FakeRuntime``'s.
    """
    if kind == "openai":
        from .openai import OpenAIRuntime

        if not endpoint:
            raise WeighbridgeError("the openai runtime needs --endpoint URL (e.g. http://127.0.0.1:8080)")
        if model is None and target and not is_local(target):
            model = target
        return OpenAIRuntime(
            endpoint, model, api_key=os.environ.get(API_KEY_ENV) or None, target=target or None, **options
        )
    if endpoint:
        raise WeighbridgeError(f"--endpoint is only for the openai runtime, not {kind}")
    if kind == "llama-cpp":
        from .llama_cpp import LlamaCppRuntime

        return LlamaCppRuntime(gguf_file(target), target=target, **options)
    if kind == "transformers":
        from .transformers import TransformersRuntime

        return TransformersRuntime(model_folder(target), target=target, **options)
    if kind == "fake":
        from .fake import FakeRuntime

        return FakeRuntime(**options)
    raise WeighbridgeError(f"unknown runtime {kind!r}: expected one of {', '.join(RUNTIME_KINDS)}")
