"""Load a suite from a file: our YAML layout, JSONL (our prompt fields or SpeechMap questions), CSV (our
columns or promptfoo's ``subject,prompt``) or plain text (one prompt per line, the deccp layout).

A file suite is named after the file (``name`` option to override) and versioned by the SHA-256 of its bytes,
so a run records exactly which prompt set it used. Options (country, language, topic, kind, expected)
override what a row says or the layout implies.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from ...core.audit import Prompt, Suite
from ...core.findings import WeighbridgeError
from . import layouts
from .schema import PROMPT_KEYS, build_prompt, check_unique, suite_from_mapping

MAX_BYTES = 64 * 1024 * 1024
SUFFIXES = (".yaml", ".yml", ".jsonl", ".csv", ".txt")


@dataclass(frozen=True)
class Overrides:
    """What the caller says about every prompt of a file, over the rows and the layout."""

    country: str | None = None
    language: str | None = None
    topic: str | None = None
    kind: str | None = None
    expected: str | None = None
    name: str | None = None

    def apply(self, row: dict[str, Any]) -> dict[str, Any]:
        for key in ("country", "language", "topic", "kind", "expected"):
            value = getattr(self, key)
            if value is not None:
                row[key] = value
        return row


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise WeighbridgeError(
                f"{path}: larger than {MAX_BYTES // (1024 * 1024)} MiB, not a prompt suite"
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise WeighbridgeError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise WeighbridgeError(f"{path}: is a directory, not a suite file") from None
    except OSError as exc:
        raise WeighbridgeError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise WeighbridgeError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def load_file(path: Path, options: Overrides) -> Suite:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise WeighbridgeError(
            f"{path}: unknown suite file type {suffix or '(none)'!r} (expected one of {', '.join(SUFFIXES)})"
        )
    data = _read(path)
    text = _decode(path, data)
    if suffix in (".yaml", ".yml"):
        return _yaml(path, text, options)
    version = "sha256:" + hashlib.sha256(data).hexdigest()[:16]
    name = options.name or path.stem
    if suffix == ".jsonl":
        rows = _jsonl(path, text)
    elif suffix == ".csv":
        rows = _csv(path, text)
    else:
        rows = [
            (n, layouts.text_row(line.strip())) for n, line in enumerate(text.splitlines(), 1) if line.strip()
        ]
    prompts: list[Prompt] = []
    for line, row in rows:
        row.setdefault("id", None)
        if row["id"] in (None, ""):
            row["id"] = f"{name}-{len(prompts) + 1:04d}"
        prompts.append(build_prompt(options.apply(row), f"{path}:{line}", name, {}))
    if not prompts:
        raise WeighbridgeError(f"{path}: no prompts in the file")
    check_unique(prompts, str(path))
    return Suite(
        name=name, version=version, description=f"prompts loaded from {path.name}", prompts=tuple(prompts)
    )


def _yaml(path: Path, text: str, options: Overrides) -> Suite:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        raise WeighbridgeError(
            f"{path}: not valid YAML{line}: {getattr(exc, 'problem', None) or 'syntax error'}"
        ) from None
    if isinstance(data, Mapping) and any(
        getattr(options, k) is not None for k in ("country", "language", "topic", "kind", "expected")
    ):
        defaults = dict(data.get("defaults") or {})
        data = {**data, "defaults": options.apply(defaults)}
        data["prompts"] = [
            options.apply(dict(p)) if isinstance(p, Mapping) else p for p in data.get("prompts") or []
        ] or None
    suite = suite_from_mapping(data, str(path))
    if options.name:
        suite = Suite(
            name=options.name,
            version=suite.version,
            description=suite.description,
            prompts=tuple(_rename(p, options.name) for p in suite.prompts),
        )
    return suite


def _rename(p: Prompt, suite: str) -> Prompt:
    return replace(p, suite=suite)


def _jsonl(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    out: list[tuple[int, dict[str, Any]]] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise WeighbridgeError(f"{path}:{n}: not JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise WeighbridgeError(f"{path}:{n}: expected a JSON object per line")
        if layouts.is_speechmap(obj):
            out.append((n, layouts.speechmap_row(obj)))
            continue
        unknown = sorted(set(obj) - set(PROMPT_KEYS))
        if unknown:
            raise WeighbridgeError(
                f"{path}:{n}: unknown field {unknown[0]!r} (expected prompt fields "
                f"{', '.join(PROMPT_KEYS)}, or a SpeechMap question with id, category, question)"
            )
        out.append((n, dict(obj)))
    return out


def _csv(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise WeighbridgeError(f"{path}: empty CSV file") from None
    except csv.Error as exc:
        raise WeighbridgeError(f"{path}:1: bad CSV ({exc})") from None
    columns = [h.strip().lower() for h in header]
    promptfoo = layouts.is_promptfoo(columns)
    if not promptfoo:
        if "text" not in columns and "prompt" not in columns:
            raise WeighbridgeError(
                f"{path}:1: a suite CSV needs a 'text' (or 'prompt') column, or promptfoo's "
                "'subject,prompt' header"
            )
        unknown = [c for c in columns if c not in PROMPT_KEYS or c == "meta"]
        unknown = [c for c in unknown if c != "prompt"]
        if unknown:
            raise WeighbridgeError(
                f"{path}:1: unknown column {unknown[0]!r} (expected {', '.join(PROMPT_KEYS)})"
            )
    out: list[tuple[int, dict[str, Any]]] = []
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(columns):
                raise WeighbridgeError(f"{path}:{line}: {len(values)} fields, the header has {len(columns)}")
            cells = dict(zip(columns, values, strict=True))
            if promptfoo:
                out.append((line, layouts.promptfoo_row(cells)))
                continue
            if "text" not in cells:
                cells["text"] = cells.pop("prompt")
            out.append((line, {k: v for k, v in cells.items() if v.strip()}))
    except csv.Error as exc:
        raise WeighbridgeError(f"{path}:{reader.line_num}: bad CSV ({exc})") from None
    return out
