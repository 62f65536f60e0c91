"""A GGUF file in process through llama-cpp-python, with the chat template the GGUF itself carries.

``llama_cpp`` is imported only when this runtime is built (it is an optional extra). Sampling is exactly the
recorded settings: llama-cpp-python's own defaults for top-k (40), min-p (0.05) and repeat penalty are
switched off so nothing shapes the output that the run file does not record. Temperature 0 is greedy.
The seed is set per request. One llama.cpp context is not safe to share between threads: ``thread_safe``
is False and the runner serialises calls.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

from ...core.audit import Completion, GenerationSettings, ModelUnderAudit
from ...core.findings import WeighbridgeError
from .base import Message
from .chat_response import parse_chat_response
from .completion import error_completion
from .digest import local_digest

DEFAULT_N_CTX = 4096


class LlamaCppRuntime:
    name = "llama-cpp"
    thread_safe = False

    def __init__(
        self,
        gguf_path: str | os.PathLike[str],
        n_ctx: int = DEFAULT_N_CTX,
        n_threads: int | None = None,
        target: str | None = None,
    ) -> None:
        self.path = os.fspath(gguf_path)
        self.target = target or self.path
        if not os.path.isfile(self.path):
            raise WeighbridgeError(f"no such GGUF file: {self.path}")
        try:
            import llama_cpp
        except ImportError:
            raise WeighbridgeError(
                "the llama-cpp runtime needs llama-cpp-python: pip install 'weighbridge[llama]'"
            ) from None
        try:
            self._llm: Any = llama_cpp.Llama(
                model_path=self.path, n_ctx=n_ctx, n_threads=n_threads, verbose=False
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise WeighbridgeError(
                f"llama.cpp cannot load {self.path}: {' '.join(str(exc).split())}"
            ) from None
        self.n_ctx = n_ctx

    def describe(self) -> ModelUnderAudit:
        metadata = getattr(self._llm, "metadata", None) or {}
        name = metadata.get("general.name") if isinstance(metadata, dict) else None
        return ModelUnderAudit(
            target=self.target,
            runtime=self.name,
            model_name=name or os.path.basename(self.path),
            digest=local_digest(self.path),
        )

    def complete(self, messages: Sequence[Message], settings: GenerationSettings) -> Completion:
        started = time.perf_counter()
        try:
            response = self._llm.create_chat_completion(
                messages=[dict(m) for m in messages],
                temperature=settings.temperature,
                top_p=settings.top_p,
                top_k=0,
                min_p=0.0,
                repeat_penalty=1.0,
                max_tokens=settings.max_tokens,
                stop=list(settings.stop) or None,
                seed=settings.seed,
                stream=False,
            )
        except Exception as exc:  # llama.cpp raises ValueError/RuntimeError and template errors of any kind
            return error_completion(f"{type(exc).__name__}: {exc}", seconds=time.perf_counter() - started)
        return parse_chat_response(response, time.perf_counter() - started)

    def close(self) -> None:
        llm, self._llm = self._llm, None
        if llm is not None and hasattr(llm, "close"):
            llm.close()
