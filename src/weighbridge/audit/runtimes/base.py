"""The one small interface every runtime implements: chat messages in, a ``Completion`` out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypedDict

from ...core.audit import Completion, GenerationSettings, ModelUnderAudit


class Message(TypedDict):
    role: str  # "system" | "user" | "assistant"
    content: str


class Runtime(Protocol):
    """A model that answers chat messages. Implementations never raise for a failed generation: transport
    and runtime failures come back as ``Completion(outcome=Outcome.ERROR, error=…)``."""

    name: str  # "openai" | "llama-cpp" | "transformers" | "fake"
    thread_safe: bool  # False: the runner serialises calls (in-process engines)

    def describe(self) -> ModelUnderAudit:
        """Which model answers, with its integrity digest when the weights are local."""
        ...

    def complete(self, messages: Sequence[Message], settings: GenerationSettings) -> Completion:
        """One generation with exactly these settings (no hidden stop sequences or token caps)."""
        ...

    def close(self) -> None:
        """Release the model or the connection pool."""
        ...
