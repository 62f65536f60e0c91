"""The YAML front matter of a model card (README.md), read with ``yaml.safe_load`` only."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_CARD_BYTES = 1 << 20
_FENCE = re.compile(r"^---\s*$")
_KEY = re.compile(r"^([A-Za-z_][\w.-]*)\s*:")


@dataclass(slots=True)
class FrontMatter:
    data: dict[str, Any]
    lines: dict[str, int] = field(default_factory=dict)  # top-level key -> 1-based line in the card
    error: str | None = None

    def text(self, key: str) -> str | None:
        value = self.data.get(key)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value).strip() or None
        return None

    def texts(self, key: str) -> list[str]:
        """A scalar or a list of scalars as strings (``license: [apache-2.0, mit]``)."""
        value = self.data.get(key)
        items = value if isinstance(value, list) else [value]
        return [str(v).strip() for v in items if isinstance(v, (str, int, float)) and not isinstance(v, bool)
                and str(v).strip()]


def parse_front_matter(data: bytes) -> FrontMatter | None:
    """The card's front matter; None when the card has none. Malformed YAML is reported, never raised."""
    text = data[:MAX_CARD_BYTES].decode("utf-8", "replace").lstrip("\ufeff")
    lines = text.splitlines()
    if not lines or not _FENCE.match(lines[0]):
        return None
    end = next((i for i in range(1, len(lines)) if _FENCE.match(lines[i]) or lines[i].strip() == "..."), None)
    if end is None:
        return FrontMatter({}, error="front matter has no closing '---'")
    block = "\n".join(lines[1:end])
    positions = {m.group(1): i + 2 for i, line in enumerate(lines[1:end]) if (m := _KEY.match(line))}
    try:
        loaded = yaml.safe_load(block)
    except yaml.YAMLError as exc:
        return FrontMatter({}, positions, error=f"front matter is not valid YAML: {exc}".splitlines()[0])
    if loaded is None:
        return FrontMatter({}, positions)
    if not isinstance(loaded, dict):
        return FrontMatter({}, positions, error="front matter is not a mapping")
    return FrontMatter({str(k): v for k, v in loaded.items()}, positions)
