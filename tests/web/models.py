"""Small generated model folders for the web tests: clean, tampered, a derivative and a hostile card."""

from __future__ import annotations

import shutil
from pathlib import Path

from examples.make_examples import tampered_pickle, write_clean

SCRIPT = "<script>alert(1)</script>"

HOSTILE_LICENSE = f"""Hostile Model License {SCRIPT}

1. You may use, copy and modify the Model {SCRIPT}.
2. You must not use the outputs of the Model to train any other model {SCRIPT}.
3. If your products have more than 700 million monthly active users {SCRIPT}, you must request a licence.
4. You must display "Built with Hostile {SCRIPT}" in your product.
"""

HOSTILE_CARD = f"""---
license: other
license_name: hostile {SCRIPT}
model_creator: acme-ai
---
# hostile {SCRIPT}

A model whose card says {SCRIPT} and whose licence quotes it too.
"""


def clean(root: Path, name: str = "clean-chat") -> Path:
    folder = root / name
    write_clean(folder)
    return folder


def tampered(root: Path, name: str = "tampered-checkpoint") -> Path:
    folder = root / name
    write_clean(folder)
    (folder / "training_state.bin").write_bytes(tampered_pickle())
    return folder


def derivative(root: Path, base: str, name: str = "support-bot") -> Path:
    """A fine-tune of ``base`` (a registry model name) stated in its card."""
    folder = root / name
    write_clean(folder)
    (folder / "README.md").write_text(
        f"---\nlicense: apache-2.0\nbase_model: {base}\nbase_model_relation: finetune\n---\n"
        f"# {name}\n\nA fine-tune of {base}.\n",
        encoding="utf-8",
    )
    return folder


def hostile(root: Path, name: str = "hostile-card") -> Path:
    folder = root / name
    write_clean(folder)
    (folder / "README.md").write_text(HOSTILE_CARD, encoding="utf-8")
    (folder / "LICENSE").write_text(HOSTILE_LICENSE, encoding="utf-8")
    return folder


def replace(folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)
