"""The YAML front matter of a model card (README.md), read with the safe loader only.

Bounded: at most ``MAX_CARD_BYTES`` of the file and ``MAX_FRONT_MATTER_BYTES`` of YAML are read, at most
``MAX_YAML_EVENTS`` YAML events and 100 aliases (alias bombs), lists are cut at ``MAX_ITEMS``. Nothing raises
for bad input: unreadable, malformed or oddly typed metadata becomes a ``MetadataProblem`` and the field is
left empty. Every key keeps the line it was written on (``key[i]`` for list items).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..core.provenance import MetadataProblem

MAX_CARD_BYTES = 4 * 1024 * 1024
MAX_FRONT_MATTER_BYTES = 512 * 1024
MAX_ITEMS = 2_000  # list items kept per field
MAX_YAML_EVENTS = 200_000
MAX_YAML_ALIASES = 100


@dataclass(slots=True)
class FrontMatter:
    """A card split into its front matter (fields and their lines) and its text lines.

    ``present`` is True when the card opens and closes a ``---`` block. ``card_lines`` are all lines of the
    card (decoded, newlines normalized); the body starts at ``card_lines[body_index]`` (line ``body_index + 1``).
    The typed accessors add a problem, never raise, when a field has the wrong shape.
    """

    file: str
    present: bool = False
    data: dict[str, Any] = field(default_factory=dict)
    key_lines: dict[str, int] = field(default_factory=dict)
    card_lines: list[str] = field(default_factory=list)
    body_index: int = 0
    problems: list[MetadataProblem] = field(default_factory=list)

    def problem(self, key: str, message: str) -> None:
        self.problems.append(MetadataProblem(self.file, message, key=key, line=self.key_lines.get(key)))

    def text(self, key: str) -> str | None:
        """A scalar field as text; None when absent or empty (a list or mapping is a problem)."""
        value = self.data.get(key)
        if value is None:
            return None
        text = scalar(value)
        if text is None:
            self.problem(key, f"card field {key!r} should be text, found a {type(value).__name__}")
            return None
        return text or None

    def texts(self, key: str) -> tuple[str, ...]:
        """A scalar or a list of scalars as texts (``license: [apache-2.0, mit]``), at most ``MAX_ITEMS``."""
        value = self.data.get(key)
        if value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        out: list[str] = []
        for i, item in enumerate(items[:MAX_ITEMS]):
            text = scalar(item)
            if text is None:
                self.problem(
                    key, f"item {i} of card field {key!r} should be text, found a {type(item).__name__}"
                )
            elif text:
                out.append(text)
        if len(items) > MAX_ITEMS:
            self.problem(key, f"card field {key!r} lists {len(items)} items; only {MAX_ITEMS} were read")
        return tuple(out)


def scalar(value: object) -> str | None:
    """Text of a YAML scalar (strings, numbers, booleans, dates); None for lists, mappings and the like."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool | int | float | datetime.date):
        return str(value)
    return None


def read_front_matter(raw: bytes, rel: str) -> FrontMatter:
    """The front matter of a card's bytes (``rel`` is the file named in problems); the card may have none."""
    out = FrontMatter(rel)
    if len(raw) > MAX_CARD_BYTES:
        raw = raw[:MAX_CARD_BYTES]
        out.problems.append(
            MetadataProblem(rel, f"model card is larger than {MAX_CARD_BYTES} bytes; only the start was read")
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        out.problems.append(
            MetadataProblem(
                rel,
                f"model card is not UTF-8 ({exc.reason} at byte {exc.start}); "
                "undecodable bytes were replaced",
            )
        )
        text = raw.decode("utf-8", "replace")
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out.card_lines = lines
    if not lines or lines[0].rstrip() != "---":
        return out
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        out.problems.append(
            MetadataProblem(
                rel,
                "YAML front matter is opened with '---' but never closed; its fields were not read",
                line=1,
            )
        )
        return out
    out.present = True
    out.body_index = end + 1
    out.data, out.key_lines = _parse("\n".join(lines[1:end]), rel, out.problems)
    return out


def _parse(source: str, rel: str, problems: list[MetadataProblem]) -> tuple[dict[str, Any], dict[str, int]]:
    """Parse the YAML between the ``---`` lines (which starts on line 2 of the file) with the safe loader."""
    if len(source.encode("utf-8")) > MAX_FRONT_MATTER_BYTES:
        problems.append(
            MetadataProblem(
                rel, f"YAML front matter is larger than {MAX_FRONT_MATTER_BYTES} bytes; not read", line=2
            )
        )
        return {}, {}
    try:
        if _too_many_events(source):
            problems.append(
                MetadataProblem(rel, "YAML front matter has too many elements or aliases; not read", line=2)
            )
            return {}, {}
        node, data = _compose_and_construct(source)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 2 if mark is not None else 2
        problems.append(
            MetadataProblem(
                rel,
                f"YAML front matter is malformed (not valid YAML): {exc.problem or exc.context}",
                line=line,
            )
        )
        return {}, {}
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        problems.append(
            MetadataProblem(rel, f"YAML front matter cannot be read: {_shorten(str(exc), 200)}", line=2)
        )
        return {}, {}
    if data is None:
        return {}, {}
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        problems.append(
            MetadataProblem(
                rel, f"YAML front matter is a {type(data).__name__}, not a mapping of fields", line=2
            )
        )
        return {}, {}
    return {str(k): v for k, v in data.items()}, _key_lines(node)


def _compose_and_construct(source: str) -> tuple[yaml.Node | None, object]:
    """One pass of the safe loader that keeps the node tree (for line numbers) and the plain values."""
    loader = yaml.SafeLoader(source)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def _too_many_events(source: str) -> bool:
    aliases = 0
    for count, event in enumerate(yaml.parse(source, Loader=yaml.SafeLoader)):
        if count > MAX_YAML_EVENTS:
            return True
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_YAML_ALIASES:
                return True
    return False


def _key_lines(node: yaml.MappingNode) -> dict[str, int]:
    out: dict[str, int] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            continue
        key = str(key_node.value)
        out.setdefault(key, key_node.start_mark.line + 2)
        if isinstance(value_node, yaml.SequenceNode):
            for i, item in enumerate(value_node.value[:MAX_ITEMS]):
                out.setdefault(f"{key}[{i}]", item.start_mark.line + 2)
    return out


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
