"""Paths to the real model artifacts fetched by ``tools/fetch_artifacts.py`` (``make test`` runs it first).

Tests that need them skip, saying how to get them, when they are missing.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.services import unavailable

REPO = Path(__file__).resolve().parents[1]
FETCH_HINT = "run `python tools/fetch_artifacts.py`"


def artifacts_dir() -> Path:
    return Path(os.environ.get("WEIGHBRIDGE_ARTIFACTS") or REPO / ".cache" / "artifacts")


def smollm2_gguf() -> Path:
    """SmolLM2-135M-Instruct, Q4_1 GGUF (about 98 MB)."""
    path = artifacts_dir() / "smollm2" / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        unavailable(f"real artifact {path} is missing: {FETCH_HINT}")
    return path


def minilm_folder() -> Path:
    """all-MiniLM-L6-v2 as a Hugging Face model folder (safetensors, tokenizer, configs)."""
    path = artifacts_dir() / "all-minilm-l6-v2"
    if not (path / "model.safetensors").is_file() or not (path / "config.json").is_file():
        unavailable(f"real artifact folder {path} is missing: {FETCH_HINT}")
    return path
