"""Small model folders and policies for the registry tests (tiny Reports live in ``tiny``)."""

from __future__ import annotations

from pathlib import Path

from tests.provenance.folders import card, folder
from tests.registry.tiny import tiny_report

__all__ = ["LENIENT", "STRICT", "apache_folder", "llama_folder", "tiny_report"]


LLAMA_CARD = card(
    "license: llama3.1\nbase_model: meta-llama/Llama-3.1-8B-Instruct\n",
    "# Acme Llama\n\nA fine-tune of Llama 3.1.\n",
)


def llama_folder(root: Path) -> Path:
    """A Llama 3.1 fine-tune: card with the licence and base model, a config, an empty safetensors file."""
    return folder(
        root,
        {
            "README.md": LLAMA_CARD,
            "config.json": '{"model_type": "llama"}',
            "model.safetensors": b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ",
        },
    )


def apache_folder(root: Path, body: str = "A small model.") -> Path:
    return folder(
        root,
        {
            "README.md": card("license: apache-2.0\n", f"# Model\n\n{body}\n"),
            "config.json": '{"model_type": "llama"}',
            "model.safetensors": b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ",
        },
    )


STRICT = """name: strict
intended_use:
  commercial: true
  derivative_name: acme-assistant
rules:
  allowed_license_families: [apache]
  max_scan_severity: low
"""

LENIENT = """name: lenient
intended_use:
  commercial: false
rules:
  max_scan_severity: critical
"""
