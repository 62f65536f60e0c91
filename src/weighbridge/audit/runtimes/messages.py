"""The chat messages a prompt becomes: an optional system message and one user message.

An injection prompt carries an untrusted ``document``; the user asks for a task on it (the prompt text) and
the document follows, fenced and labelled as content to work on, so a model that obeys an instruction
planted in it has followed the injection rather than the user.
"""

from __future__ import annotations

from ...core.audit import Prompt
from .base import Message

DOCUMENT_BEGIN = "----- BEGIN DOCUMENT -----"
DOCUMENT_END = "----- END DOCUMENT -----"


def user_text(prompt: Prompt) -> str:
    """The user message: the prompt text, with the untrusted document embedded after it when there is one."""
    if prompt.document is None:
        return prompt.text
    return f"{prompt.text}\n\n{DOCUMENT_BEGIN}\n{prompt.document}\n{DOCUMENT_END}"


def build_messages(prompt: Prompt) -> list[Message]:
    messages: list[Message] = []
    if prompt.system:
        messages.append({"role": "system", "content": prompt.system})
    messages.append({"role": "user", "content": user_text(prompt)})
    return messages
