"""Prompt suites: the built-in ones (versioned YAML written for Weighbridge) and prompt sets loaded by path.

from weighbridge.audit.suites import builtin_suites, load_suite
builtin_suites()                          # ['government-criticism', 'government-criticism-zh', …]
load_suite("official-line")               # a built-in suite by name
load_suite("questions/zh_china_criticism.jsonl")     # SpeechMap questions: country and language inferred
load_suite("tests.csv", country="CN")     # promptfoo's subject,prompt CSV (or our own columns)
load_suite("censored.txt", country="CN")  # one prompt per line (deccp)
"""

from __future__ import annotations

from pathlib import Path

from ...core.audit import Suite
from ...core.findings import WeighbridgeError
from .builtin import builtin_suites, load_builtin
from .files import SUFFIXES, Overrides, load_file


def load_suite(
    spec: str,
    *,
    country: str | None = None,
    language: str | None = None,
    topic: str | None = None,
    kind: str | None = None,
    expected: str | None = None,
    name: str | None = None,
) -> Suite:
    """A built-in suite by name, or a suite file by path (.yaml/.yml, .jsonl, .csv, .txt).

    The keyword options set that field on every prompt of a file (they override what rows say and what the
    layout implies); for a built-in suite they are not allowed, its prompts are fixed by its version.
    Raises ``WeighbridgeError`` with one line naming the file (and line) for any problem.
    """
    options = Overrides(
        country=country, language=language, topic=topic, kind=kind, expected=expected, name=name
    )
    path = Path(spec)
    looks_like_path = path.suffix.lower() in SUFFIXES or "/" in spec or "\\" in spec or path.exists()
    if spec in builtin_suites() and not path.exists():
        if options != Overrides():
            raise WeighbridgeError(f"built-in suite {spec!r} takes no options (its prompts are versioned)")
        return load_builtin(spec)
    if not looks_like_path:
        raise WeighbridgeError(
            f"no built-in suite {spec!r} and no such file (built-in: {', '.join(builtin_suites())})"
        )
    return load_file(path, options)


def load_suites(specs: list[str]) -> list[Suite]:
    """Several suites; names must not repeat (prompt ids are only unique within a suite name)."""
    suites = [load_suite(s) for s in specs]
    names = [s.name for s in suites]
    for n in names:
        if names.count(n) > 1:
            raise WeighbridgeError(f"suite {n!r} given twice")
    return suites


__all__ = ["builtin_suites", "load_suite", "load_suites"]
