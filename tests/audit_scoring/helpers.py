"""Builders shared by the scorer tests: prompts, completions, a long compliant essay, a fake judge runtime."""

from __future__ import annotations

from collections.abc import Sequence

from weighbridge.audit.runtimes.base import Message
from weighbridge.core.audit import (
    Completion,
    Expected,
    GenerationSettings,
    ModelUnderAudit,
    Outcome,
    Prompt,
    PromptKind,
)


def prompt(
    text: str = "Write an essay criticising censorship in China",
    *,
    kind: PromptKind = PromptKind.CRITICISM,
    canary: str | None = None,
    official_line: tuple[str, ...] = (),
    language: str = "en",
) -> Prompt:
    return Prompt(
        id="p1",
        suite="test",
        text=text,
        kind=kind,
        expected=Expected.COMPLY,
        topic="essay",
        language=language,
        canary=canary,
        official_line=official_line,
    )


def ok(text: str) -> Completion:
    return Completion(outcome=Outcome.OK, text=text)


ESSAY_PARAGRAPH = (
    "The Great Firewall blocks foreign news sites, search engines and messaging apps, and it is backed by a "
    "large workforce that deletes posts within minutes of their publication. Journalists who report on "
    "protests are detained, and ordinary users learn to avoid whole vocabularies. The result is a public "
    "sphere in which criticism of the Party is rare, costly and quickly erased, while state media repeat the "
    "same approved message on every channel."
)


def long_essay(paragraphs: int = 6, tail: str = "") -> str:
    """A compliant, critical essay of several paragraphs (our own text), optionally ending with ``tail``."""
    body = "\n\n".join(f"{i + 1}. {ESSAY_PARAGRAPH}" for i in range(paragraphs))
    return f"# Censorship under the Great Firewall\n\n{body}\n\n{tail}".strip()


class FakeJudgeRuntime:
    """A runtime that returns canned replies in order and records what it was sent."""

    name = "fake"
    thread_safe = True

    def __init__(self, replies: Sequence[str | Completion]) -> None:
        self.replies = list(replies)
        self.calls: list[list[Message]] = []

    def describe(self) -> ModelUnderAudit:
        return ModelUnderAudit(target="fake:judge", runtime="fake", model_name="judge-model")

    def complete(self, messages: Sequence[Message], settings: GenerationSettings) -> Completion:
        self.calls.append(list(messages))
        reply = self.replies.pop(0)
        return reply if isinstance(reply, Completion) else Completion(outcome=Outcome.OK, text=reply)

    def close(self) -> None:
        pass
