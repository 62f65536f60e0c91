"""Text files (JSON, YAML, Markdown, Python, templates).

Repository-level checks (remote code, chat templates in tokenizer_config.json, Python files) judge their
meaning by name; here a text file is recognised as text and searched for chat templates by content
(``template_files``), whatever its name.
"""

from __future__ import annotations

from typing import BinaryIO

from .base import FormatHandler, ScanContext

_CONTROL = set(range(0x00, 0x09)) | {0x0B, 0x0E, 0x0F} | set(range(0x10, 0x1B)) | set(range(0x1C, 0x20))


def sniff(head: bytes, name: str) -> bool:
    if not head:
        return True  # an empty file is text (nothing in it can run)
    sample = head
    if len(head) >= 4096:  # the window may cut a multi-byte character
        for cut in range(4):
            try:
                sample[: len(sample) - cut].decode("utf-8")
                break
            except UnicodeDecodeError:
                continue
        else:
            return False
    else:
        try:
            sample.decode("utf-8")
        except UnicodeDecodeError:
            return False
    return not any(b in _CONTROL for b in sample)


def scan(ctx: ScanContext, stream: BinaryIO) -> None:
    from .template_files import scan_text

    scan_text(ctx, stream)


TEXT_HANDLER = FormatHandler(name="text", sniff=sniff, scan=scan)
