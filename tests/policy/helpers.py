"""Small Hugging Face style model folders built from the shared licence corpus (read in place, copied into
``tmp_path`` at test time), and the example policies."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
POLICIES = REPO / "examples" / "policies"


def corpus_dir() -> Path:
    shared = os.environ.get("WEIGHBRIDGE_SHARED")
    base = Path(shared) if shared else REPO / ".." / "shared"
    return (base / "corpus" / "licenses").resolve()


def corpus_file(name: str) -> Path:
    path = corpus_dir() / name
    if not path.is_file():
        pytest.skip(
            f"licence corpus file {path} not found: put the shared folder next to the clone or set "
            "WEIGHBRIDGE_SHARED to the folder that holds corpus/licenses"
        )
    return path


def model_folder(
    root: Path,
    license_file: str | None,
    card_license: str,
    base_model: str | None,
    config: dict[str, object] | None = None,
) -> Path:
    """A folder with LICENSE (from the corpus), a README.md card and a tiny config.json."""
    folder = root / (license_file or "no-license").replace(".", "_")
    folder.mkdir(parents=True, exist_ok=True)
    if license_file is not None:
        shutil.copyfile(corpus_file(license_file), folder / "LICENSE")
    front = [f"license: {card_license}"] + ([f"base_model: {base_model}"] if base_model else [])
    (folder / "README.md").write_text(
        "---\n" + "\n".join(front) + "\n---\n# A test model\n", encoding="utf-8"
    )
    (folder / "config.json").write_text(json.dumps(config or {"model_type": "llama"}), encoding="utf-8")
    return folder
