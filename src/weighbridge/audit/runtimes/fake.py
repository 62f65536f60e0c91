"""A deterministic runtime for tests and demos: no model, answers derived from a hash.

The answer to a request is a function of the messages and, when sampling (temperature > 0), the seed: the
greedy pass always says the same thing, samples differ by seed. Prompts listed in ``script`` behave as
scripted instead (refuse, evade, truncate, fail…), found by their messages. Every call is recorded in
``calls`` and, when ``log`` is given, appended to that file as one JSON line and flushed *before* the answer
is returned, so a process killed mid-run leaves an exact record of what it asked.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...core.audit import Completion, GenerationSettings, ModelUnderAudit, Prompt
from .base import Message
from .completion import build_completion, error_completion
from .messages import build_messages

BEHAVIOURS = (
    "comply",
    "refuse",
    "evade",
    "truncate",
    "error",
    "empty",
    "filter",
    "think",
    "follow-injection",
)
REFUSAL = "I'm sorry, but I can't help with that request."
EVASION = "This is a complex and sensitive topic, and there are many different perspectives on it."
_WORDS = (
    "archive",
    "river",
    "council",
    "ledger",
    "harbour",
    "report",
    "season",
    "market",
    "signal",
    "bridge",
    "orchard",
    "census",
    "tunnel",
    "verdict",
    "quarry",
    "festival",
)


@dataclass(frozen=True)
class FakeCall:
    prompt_id: str | None  # the scripted or known prompt these messages came from, if any
    temperature: float
    seed: int | None
    max_tokens: int
    messages_sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompt_id": self.prompt_id,
            "temperature": self.temperature,
            "seed": self.seed,
            "max_tokens": self.max_tokens,
            "messages_sha256": self.messages_sha256,
        }


def messages_digest(messages: Sequence[Message]) -> str:
    canonical = json.dumps([[m["role"], m["content"]] for m in messages], ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class FakeRuntime:
    name = "fake"

    def __init__(
        self,
        prompts: Iterable[Prompt] = (),
        script: Mapping[str, str] | None = None,
        *,
        delay: float = 0.0,
        log: str | os.PathLike[str] | None = None,
        thread_safe: bool = True,
        model_name: str = "fake-model",
    ) -> None:
        self.script = dict(script or {})
        unknown = sorted(set(self.script.values()) - set(BEHAVIOURS))
        if unknown:
            raise ValueError(f"unknown fake behaviour(s) {unknown}: expected one of {', '.join(BEHAVIOURS)}")
        self._prompts = {messages_digest(build_messages(p)): p for p in prompts}
        self.delay = delay
        self.log = os.fspath(log) if log is not None else None
        self.thread_safe = thread_safe
        self.model_name = model_name
        self.calls: list[FakeCall] = []
        self.closed = False
        self._lock = threading.Lock()
        self.active = 0  # calls in progress now
        self.max_active = 0  # the most calls ever in progress at once (tests check concurrency with it)

    def describe(self) -> ModelUnderAudit:
        digest = hashlib.sha256(f"fake:{self.model_name}".encode()).hexdigest()
        return ModelUnderAudit(
            target=f"fake:{self.model_name}",
            runtime=self.name,
            model_name=self.model_name,
            digest=digest,
            digest_note="fake runtime: the digest names the fake model",
        )

    def complete(self, messages: Sequence[Message], settings: GenerationSettings) -> Completion:
        key = messages_digest(messages)
        prompt = self._prompts.get(key)
        call = FakeCall(
            prompt.id if prompt else None, settings.temperature, settings.seed, settings.max_tokens, key
        )
        with self._lock:
            self.calls.append(call)
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            if self.log is not None:
                with open(self.log, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(call.to_dict()) + "\n")
                    fh.flush()
                    os.fsync(fh.fileno())
        try:
            if self.delay:
                time.sleep(self.delay)
            return self._answer(key, prompt, settings)
        finally:
            with self._lock:
                self.active -= 1

    def _answer(self, key: str, prompt: Prompt | None, settings: GenerationSettings) -> Completion:
        behaviour = self.script.get(prompt.id, "comply") if prompt else "comply"
        seed_part = f":{settings.seed}" if settings.temperature > 0 else ""
        h = hashlib.sha256(f"{key}{seed_part}".encode()).digest()
        words = " ".join(_WORDS[b % len(_WORDS)] for b in h[:8])
        answer = f"Here is an answer about the {words}."
        if behaviour == "error":
            return error_completion("fake runtime: scripted error")
        raw, finish = {
            "comply": (answer, "stop"),
            "refuse": (REFUSAL, "stop"),
            "evade": (EVASION, "stop"),
            "truncate": (answer, "length"),
            "empty": ("", "stop"),
            "filter": ("", "content_filter"),
            "think": (f"<think>Let me consider the {words}.</think>{answer}", "stop"),
            "follow-injection": (
                f"{answer} {prompt.canary if prompt and prompt.canary else ''}".strip(),
                "stop",
            ),
        }[behaviour]
        return build_completion(
            raw,
            finish_reason=finish,
            model=self.model_name,
            prompt_tokens=len(key) // 8,
            completion_tokens=len(raw.split()),
        )

    def close(self) -> None:
        self.closed = True
