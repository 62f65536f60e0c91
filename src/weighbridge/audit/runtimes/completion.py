"""Turn what a model produced into a ``Completion``: split ``<think>`` reasoning from the answer and decide
the outcome from the finish reason, the same way for every runtime."""

from __future__ import annotations

import re

from ...core.audit import Completion, Outcome

_OPEN = re.compile(r"<think>", re.IGNORECASE)
_CLOSE = re.compile(r"</think>", re.IGNORECASE)
_BLOCK = re.compile(r"<think>(.*?)</think>", re.IGNORECASE | re.DOTALL)


def split_reasoning(text: str) -> tuple[str | None, str]:
    """``(reasoning, answer)`` of a raw generation.

    * ``<think>R</think>A`` (any number of blocks, anywhere): reasoning is the blocks' text, answer the rest;
    * ``R</think>A`` with no opening tag (templates that put ``<think>`` in the prompt): R is reasoning;
    * a ``<think>`` that is never closed: everything after it is reasoning (the answer never came).

    Reasoning is ``None`` when there was no think tag at all; both parts are stripped.
    """
    reasoning: list[str] = []
    close = _CLOSE.search(text)
    first_open = _OPEN.search(text)
    if close is not None and (first_open is None or first_open.start() > close.start()):
        reasoning.append(text[: close.start()])
        text = text[close.end() :]
    answer_parts: list[str] = []
    pos = 0
    for block in _BLOCK.finditer(text):
        answer_parts.append(text[pos : block.start()])
        reasoning.append(block.group(1))
        pos = block.end()
    rest = text[pos:]
    dangling = _OPEN.search(rest)
    if dangling is not None:
        answer_parts.append(rest[: dangling.start()])
        reasoning.append(rest[dangling.end() :])
    else:
        answer_parts.append(rest)
    answer = "".join(answer_parts).strip()
    if not reasoning:
        return None, answer
    return "\n\n".join(part.strip() for part in reasoning if part.strip()), answer


def outcome_for(answer: str, finish_reason: str | None) -> Outcome:
    """``length`` → truncated, ``content_filter`` → filtered, no answer text → empty, otherwise ok."""
    if finish_reason == "length":
        return Outcome.TRUNCATED
    if finish_reason == "content_filter":
        return Outcome.FILTERED
    if not answer.strip():
        return Outcome.EMPTY
    return Outcome.OK


def build_completion(
    raw: str,
    *,
    reasoning_field: str | None = None,
    finish_reason: str | None = None,
    model: str | None = None,
    prompt_tokens: int | None = None,
    completion_tokens: int | None = None,
    seconds: float = 0.0,
) -> Completion:
    """A completion from the raw generated text and, when the runtime returns it separately, its reasoning."""
    inline, answer = split_reasoning(raw)
    parts = [p.strip() for p in (reasoning_field, inline) if p and p.strip()]
    reasoning = "\n\n".join(parts) if parts else (inline if inline is not None else None)
    return Completion(
        outcome=outcome_for(answer, finish_reason),
        text=answer,
        reasoning=reasoning,
        finish_reason=finish_reason,
        model=model,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        seconds=seconds,
    )


def error_completion(message: str, *, seconds: float = 0.0, model: str | None = None) -> Completion:
    """A failed generation: one line, never an exception."""
    line = " ".join(message.split()) or "unknown error"
    return Completion(outcome=Outcome.ERROR, error=line[:500], seconds=seconds, model=model)
