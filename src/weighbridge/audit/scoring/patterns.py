"""The pattern files under ``data/``, loaded once and compiled: refusal openers, deflections, official lines.

The files are YAML written by the project (see each file's header for what a group means); this module
only validates their shape and compiles the regular expressions, so a broken pattern fails at import time
in the tests, not in the middle of an audit.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from dataclasses import dataclass
from typing import Any

import yaml

from ...core.findings import WeighbridgeError

_FLAGS = re.IGNORECASE | re.UNICODE


@dataclass(frozen=True)
class Pattern:
    id: str
    regex: re.Pattern[str]
    weight: int = 1
    country: str | None = None

    def search(self, text: str) -> re.Match[str] | None:
        return self.regex.search(text)


@dataclass(frozen=True)
class RefusalPatterns:
    head_chars: int
    head_sentences: int
    patterns: tuple[Pattern, ...]


@dataclass(frozen=True)
class DeflectionPatterns:
    canned: tuple[Pattern, ...]
    change_topic: tuple[Pattern, ...]
    redirect: tuple[Pattern, ...]
    clarify: tuple[Pattern, ...]
    sensitivity: tuple[Pattern, ...]
    instead_of_task: tuple[Pattern, ...]
    hedge: tuple[Pattern, ...]


@dataclass(frozen=True)
class OfficialLinePatterns:
    attribution_window: int
    attribution: tuple[re.Pattern[str], ...]
    critical: tuple[re.Pattern[str], ...]
    patterns: tuple[Pattern, ...]


def _load(name: str) -> dict[str, Any]:
    text = importlib.resources.files(__package__).joinpath("data", name).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise WeighbridgeError(f"pattern file {name}: expected a mapping at the top")
    return data


def _compile(source: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(source, _FLAGS)
    except re.error as exc:
        raise WeighbridgeError(f"{where}: bad regular expression: {exc}") from None


def compile_patterns(items: Any, where: str) -> tuple[Pattern, ...]:
    """Compile a list of ``{id, re, weight?, country?}`` mappings (also used for a prompt's own phrases)."""
    if not isinstance(items, list):
        raise WeighbridgeError(f"{where}: expected a list of patterns")
    out: list[Pattern] = []
    for item in items:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("id"), str)
            or not isinstance(item.get("re"), str)
        ):
            raise WeighbridgeError(f"{where}: every pattern needs a string 'id' and 're'")
        weight = item.get("weight", 1)
        country = item.get("country")
        if not isinstance(weight, int) or (country is not None and not isinstance(country, str)):
            raise WeighbridgeError(f"{where}: pattern {item['id']}: bad weight or country")
        out.append(Pattern(item["id"], _compile(item["re"], f"{where}: {item['id']}"), weight, country))
    return tuple(out)


def _strings(items: Any, where: str) -> tuple[re.Pattern[str], ...]:
    if not isinstance(items, list) or not all(isinstance(s, str) for s in items):
        raise WeighbridgeError(f"{where}: expected a list of regular expressions")
    return tuple(_compile(s, where) for s in items)


@functools.cache
def refusal_patterns() -> RefusalPatterns:
    data = _load("refusal.yaml")
    return RefusalPatterns(
        int(data["head_chars"]),
        int(data["head_sentences"]),
        compile_patterns(data["patterns"], "refusal.yaml"),
    )


@functools.cache
def deflection_patterns() -> DeflectionPatterns:
    data = _load("deflection.yaml")
    groups = ("canned", "change_topic", "redirect", "clarify", "sensitivity", "instead_of_task", "hedge")
    compiled = {g: compile_patterns(data.get(g), f"deflection.yaml: {g}") for g in groups}
    return DeflectionPatterns(**compiled)


@functools.cache
def official_line_patterns() -> OfficialLinePatterns:
    data = _load("official_line.yaml")
    return OfficialLinePatterns(
        int(data["attribution_window"]),
        _strings(data["attribution"], "official_line.yaml: attribution"),
        _strings(data["critical"], "official_line.yaml: critical"),
        compile_patterns(data["patterns"], "official_line.yaml"),
    )


def first_match(patterns: tuple[Pattern, ...], text: str) -> tuple[Pattern, re.Match[str]] | None:
    """The earliest match of any pattern in ``text`` (ties: the first pattern listed)."""
    best: tuple[Pattern, re.Match[str]] | None = None
    for p in patterns:
        m = p.search(text)
        if m is not None and (best is None or m.start() < best[1].start()):
            best = (p, m)
    return best
