"""A Hugging Face model folder in process through transformers, never with remote code.

``AutoTokenizer`` / ``AutoModelForCausalLM`` load with ``trust_remote_code=False`` and
``local_files_only=True``: the folder on disk is what answers, nothing is fetched and no Python file shipped
with the model is imported. The prompt is the tokenizer's chat template. Generation uses a fresh
``GenerationConfig`` built from the recorded settings only (the folder's ``generation_config.json`` keeps
only its end-of-sequence ids; its sampling preferences, top-k and repetition penalties do not apply):
temperature 0 is greedy, otherwise sampling with the given temperature and top-p and the request's seed.
``finish_reason`` is ``length`` when ``max_new_tokens`` tokens were generated without an end token.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

from ...core.audit import Completion, GenerationSettings, ModelUnderAudit
from ...core.findings import WeighbridgeError
from .base import Message
from .completion import build_completion, error_completion
from .digest import local_digest


class TransformersRuntime:
    name = "transformers"
    thread_safe = False

    def __init__(self, folder: str | os.PathLike[str], target: str | None = None) -> None:
        self.folder = os.fspath(folder)
        self.target = target or self.folder
        if not os.path.isdir(self.folder):
            raise WeighbridgeError(f"not a model folder: {self.folder}")
        try:
            import torch
            import transformers
        except ImportError:
            raise WeighbridgeError(
                "the transformers runtime needs transformers and torch: "
                "pip install 'weighbridge[transformers]'"
            ) from None
        self._torch: Any = torch
        self._transformers: Any = transformers
        options = {"trust_remote_code": False, "local_files_only": True}
        try:
            self._tokenizer: Any = transformers.AutoTokenizer.from_pretrained(self.folder, **options)
            self._model: Any = transformers.AutoModelForCausalLM.from_pretrained(self.folder, **options)
        except Exception as exc:  # transformers raises OSError, ValueError, KeyError… for unusable folders
            raise WeighbridgeError(
                f"transformers cannot load {self.folder}: {' '.join(str(exc).split())[:300]}"
            ) from None
        self._model.train(False)  # inference mode: no dropout
        if not getattr(self._tokenizer, "chat_template", None):
            raise WeighbridgeError(f"{self.folder}: the tokenizer has no chat template")

    def describe(self) -> ModelUnderAudit:
        config = getattr(self._model, "config", None)
        name = getattr(config, "_name_or_path", None) or os.path.basename(os.path.normpath(self.folder))
        return ModelUnderAudit(
            target=self.target,
            runtime=self.name,
            model_name=os.path.basename(os.path.normpath(str(name))),
            digest=local_digest(self.folder),
        )

    def _generation_config(self, settings: GenerationSettings) -> Any:
        defaults = self._model.generation_config
        eos = defaults.eos_token_id if defaults.eos_token_id is not None else self._tokenizer.eos_token_id
        pad = defaults.pad_token_id if defaults.pad_token_id is not None else self._tokenizer.pad_token_id
        if pad is None:
            pad = eos[0] if isinstance(eos, list) else eos
        options: dict[str, Any] = {
            "max_new_tokens": settings.max_tokens,
            "eos_token_id": eos,
            "pad_token_id": pad,
        }
        if settings.temperature > 0:
            options.update(do_sample=True, temperature=settings.temperature, top_p=settings.top_p, top_k=0)
        else:
            options.update(do_sample=False)
        return self._transformers.GenerationConfig(**options)

    def complete(self, messages: Sequence[Message], settings: GenerationSettings) -> Completion:
        started = time.perf_counter()
        try:
            return self._complete(messages, settings, started)
        except Exception as exc:  # a generation failure is a result, never an exception
            return error_completion(f"{type(exc).__name__}: {exc}", seconds=time.perf_counter() - started)

    def _complete(
        self, messages: Sequence[Message], settings: GenerationSettings, started: float
    ) -> Completion:
        torch = self._torch
        encoded = self._tokenizer.apply_chat_template(
            [dict(m) for m in messages], add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        input_ids = encoded["input_ids"]
        extra: dict[str, Any] = {}
        if settings.stop:
            extra["stopping_criteria"] = self._stop_on_text(int(input_ids.shape[1]), settings.stop)
        if settings.seed is not None:
            torch.manual_seed(settings.seed)
        with torch.no_grad():
            output = self._model.generate(
                input_ids=input_ids,
                attention_mask=encoded.get("attention_mask"),
                generation_config=self._generation_config(settings),
                **extra,
            )
        new_tokens = output[0][input_ids.shape[1] :].tolist()
        eos = self._model.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        ended = bool(new_tokens) and new_tokens[-1] in eos_ids
        text = self._tokenizer.decode(new_tokens, skip_special_tokens=True)
        cut = min((i for i in (text.find(s) for s in settings.stop) if i >= 0), default=None)
        if cut is not None:  # like the OpenAI API: the answer ends before the stop sequence
            text = text[:cut]
        hit_cap = len(new_tokens) >= settings.max_tokens and not ended and cut is None
        return build_completion(
            text,
            finish_reason="length" if hit_cap else "stop",
            model=os.path.basename(os.path.normpath(self.folder)),
            prompt_tokens=int(input_ids.shape[1]),
            completion_tokens=len(new_tokens),
            seconds=time.perf_counter() - started,
        )

    def _stop_on_text(self, prompt_length: int, stops: tuple[str, ...]) -> Any:
        """Stop once the decoded answer contains a stop sequence (works with any tokenizer, unlike matching
        stop strings against token pieces)."""
        torch, tokenizer = self._torch, self._tokenizer

        class StopOnText(self._transformers.StoppingCriteria):  # type: ignore[name-defined,misc]
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                done = [
                    any(s in tokenizer.decode(row[prompt_length:], skip_special_tokens=True) for s in stops)
                    for row in input_ids
                ]
                return torch.tensor(done, dtype=torch.bool, device=input_ids.device)

        return self._transformers.StoppingCriteriaList([StopOnText()])

    def close(self) -> None:
        self._model = None
