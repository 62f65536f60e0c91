"""Where the shared licence corpus lives: ``../shared/corpus/licenses`` next to the clone, or under
``$WEIGHBRIDGE_SHARED/corpus/licenses``. The texts are read in place, never copied into the repository."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


def corpus_dir() -> Path:
    shared = os.environ.get("WEIGHBRIDGE_SHARED")
    base = Path(shared) if shared else REPO / ".." / "shared"
    return (base / "corpus" / "licenses").resolve()


def corpus_available() -> bool:
    return (corpus_dir() / "labels.json").is_file()


def require_corpus() -> Path:
    path = corpus_dir()
    if not (path / "labels.json").is_file():
        pytest.skip(
            f"licence corpus not found at {path}: put the shared folder next to the clone or set "
            "WEIGHBRIDGE_SHARED to the folder that holds corpus/licenses"
        )
    return path


def labels() -> dict[str, dict[str, Any]]:
    """labels.json, or {} when the corpus is absent (parametrized tests then skip in one place)."""
    if not corpus_available():
        return {}
    data: dict[str, dict[str, Any]] = json.loads((corpus_dir() / "labels.json").read_text(encoding="utf-8"))
    return data


def normalized(text: str) -> str:
    """Lowercase words only: for comparing quotes with the lines they came from."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))
