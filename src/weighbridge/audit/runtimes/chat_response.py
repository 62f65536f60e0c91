"""Read an OpenAI-style chat-completions body (HTTP servers and llama-cpp-python return the same shape)."""

from __future__ import annotations

from typing import Any

from ...core.audit import Completion
from .completion import build_completion, error_completion


def parse_chat_response(payload: Any, seconds: float = 0.0) -> Completion:
    """A ``Completion`` from a chat-completions JSON body; malformed bodies are ``ERROR`` completions."""
    if not isinstance(payload, dict):
        return error_completion("response is not a JSON object", seconds=seconds)
    if payload.get("error"):
        err = payload["error"]
        message = err.get("message") if isinstance(err, dict) else err
        return error_completion(f"server error: {message}", seconds=seconds)
    choices = payload.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return error_completion("response has no choices", seconds=seconds)
    choice = choices[0]
    message = choice.get("message")
    if not isinstance(message, dict):
        return error_completion("response choice has no message", seconds=seconds)
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    raw_usage = payload.get("usage")
    usage: dict[str, Any] = raw_usage if isinstance(raw_usage, dict) else {}
    model = payload.get("model")
    return build_completion(
        _text(message.get("content")),
        reasoning_field=reasoning if isinstance(reasoning, str) else None,
        finish_reason=choice.get("finish_reason") if isinstance(choice.get("finish_reason"), str) else None,
        model=model if isinstance(model, str) else None,
        prompt_tokens=_int(usage.get("prompt_tokens")),
        completion_tokens=_int(usage.get("completion_tokens")),
        seconds=seconds,
    )


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: [{"type": "text", "text": …}, …]
        return "".join(
            p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
        )
    return ""


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
