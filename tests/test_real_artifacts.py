"""Real artifacts shipped by PyPI packages (fetched by tools/fetch_artifacts.py) must scan clean."""

from __future__ import annotations

import pytest

import weighbridge
from artifacts import minilm_folder, smollm2_gguf
from weighbridge.core.findings import Severity

pytestmark = pytest.mark.slow


def test_smollm2_gguf_scans_clean() -> None:
    report = weighbridge.scan(str(smollm2_gguf()))
    assert report.files[0].format == "gguf"
    assert "chat-template" in report.files[0].formats
    assert report.max_severity is None or report.max_severity <= Severity.LOW, report.findings


def test_minilm_folder_scans_clean() -> None:
    report = weighbridge.scan(str(minilm_folder()))
    formats = {r.path: r.format for r in report.files}
    assert formats["model.safetensors"] == "safetensors"
    assert formats["config.json"] == "text"
    assert len(report.files) >= 12
    assert all(r.sha256 and len(r.sha256) == 64 for r in report.files)
    assert report.max_severity is None or report.max_severity <= Severity.LOW, report.findings


def test_inspect_real_artifacts_report_licence_and_publisher() -> None:
    minilm = weighbridge.inspect(str(minilm_folder()))
    assert minilm.license is not None and minilm.license.identity is not None
    assert minilm.license.identity.id == "apache-2.0"
    assert minilm.to_dict()["provenance"]["publisher"]["name"] == "sentence-transformers"
    smol = weighbridge.inspect(str(smollm2_gguf()))
    assert smol.license is not None and smol.license.identity is not None
    assert smol.license.identity.id == "apache-2.0"
    assert smol.to_dict()["provenance"]["publisher"]["name"] == "HuggingFaceTB"
