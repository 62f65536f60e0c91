"""Tiny Reports built directly (no scanning) and small model folders for the registry tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.provenance.folders import card, folder

from weighbridge.core.types import (
    Check,
    FileRecord,
    Finding,
    LicenseAnalysis,
    LicenseIdentity,
    LicenseTerms,
    Report,
    Severity,
    Target,
    TargetKind,
)
from weighbridge.integrity.manifest import manifest_digest


def tiny_report(name: str, files: dict[str, bytes], *, severities: tuple[Severity, ...] = (),
                license_id: str | None = None, family: str | None = None) -> Report:
    records = [FileRecord(path=p, size=len(b), sha256=hashlib.sha256(b).hexdigest(), format="unknown")
               for p, b in sorted(files.items())]
    findings = [Finding(rule=f"WB-TEST-{i:03d}", check=Check.ARTIFACT, severity=s, title=f"test finding {i}",
                        detail="made by the test", path=records[0].path, evidence=f"evidence {i}")
                for i, s in enumerate(severities)]
    analysis = None
    if license_id is not None:
        analysis = LicenseAnalysis(identity=LicenseIdentity(id=license_id, name=license_id, family=family),
                                   terms=LicenseTerms())
    return Report(target=Target(input=f"/models/{name}", kind=TargetKind.FOLDER, path=f"/models/{name}"),
                  tool_version="test", files=records, findings=findings,
                  manifest_digest=manifest_digest((r.path, r.sha256 or "") for r in records), license=analysis)


LLAMA_CARD = card("license: llama3.1\nbase_model: meta-llama/Llama-3.1-8B-Instruct\n",
                  "# Acme Llama\n\nA fine-tune of Llama 3.1.\n")


def llama_folder(root: Path) -> Path:
    """A Llama 3.1 fine-tune: card with the licence and base model, a config, an empty safetensors file."""
    return folder(root, {"README.md": LLAMA_CARD, "config.json": '{"model_type": "llama"}',
                         "model.safetensors": b"\x08\x00\x00\x00\x00\x00\x00\x00{}      "})


def apache_folder(root: Path, body: str = "A small model.") -> Path:
    return folder(root, {"README.md": card("license: apache-2.0\n", f"# Model\n\n{body}\n"),
                         "config.json": '{"model_type": "llama"}',
                         "model.safetensors": b"\x08\x00\x00\x00\x00\x00\x00\x00{}      "})


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
