"""Runtimes behind one interface: OpenAI-compatible HTTP, llama.cpp in process, transformers in process, and a
deterministic fake for tests. Importing this package loads none of the engines; ``make_runtime`` imports the
one it builds."""

from .base import Message, Runtime
from .completion import build_completion, error_completion, outcome_for, split_reasoning
from .factory import RUNTIME_KINDS, make_runtime
from .messages import build_messages

__all__ = [
    "RUNTIME_KINDS",
    "Message",
    "Runtime",
    "build_completion",
    "build_messages",
    "error_completion",
    "make_runtime",
    "outcome_for",
    "split_reasoning",
]
