"""Runtimes behind one interface: OpenAI-compatible HTTP, llama.cpp in process, transformers in process."""

from .base import Message, Runtime

__all__ = ["Message", "Runtime"]
