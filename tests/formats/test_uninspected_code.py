"""Fail closed for code: a format that can carry code and could not be inspected is high (issue 11)."""

from __future__ import annotations

import io
from typing import BinaryIO

import pytest

from weighbridge.core.findings import Severity
from weighbridge.formats.base import FormatHandler, Limits, ScanContext
from weighbridge.scanning import dispatch


def _crashing(name: str) -> FormatHandler:
    def scan(ctx: ScanContext, stream: BinaryIO) -> None:
        raise ValueError("parser bug")

    return FormatHandler(name=name, sniff=lambda head, name: True, scan=scan)


@pytest.mark.parametrize(
    ("handler", "severity"),
    [
        ("pickle", Severity.HIGH),
        ("zip", Severity.HIGH),
        ("7z", Severity.HIGH),
        ("tar", Severity.HIGH),
        ("compressed", Severity.HIGH),
        ("npy", Severity.HIGH),
        ("hdf5", Severity.HIGH),
        ("keras-metadata", Severity.HIGH),
        ("safetensors", Severity.MEDIUM),
        ("gguf", Severity.MEDIUM),
    ],
)
def test_parser_crash_is_high_for_code_carrying_formats(
    monkeypatch: pytest.MonkeyPatch, handler: str, severity: Severity
) -> None:
    monkeypatch.setattr(dispatch, "choose_handler", lambda head, name: _crashing(handler))
    ctx = ScanContext(path="x.bin", limits=Limits(), nested=dispatch.scan_stream)
    dispatch.scan_stream(ctx, io.BytesIO(b"\x80\x04data"), "x.bin")
    assert [(f.rule, f.severity) for f in ctx.findings] == [("WB-SCAN-002", severity)]


def test_keras_archive_with_unreadable_config_is_high() -> None:
    import json
    import zipfile

    from weighbridge.formats.archives.zip import ZIP_HANDLER

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.8.0"}))
        z.writestr(
            "config.json",
            json.dumps({"class_name": "Sequential", "config": {"layers": []}, "pad": "x" * 2000}),
        )
    ctx = ScanContext(path="m.keras", limits=Limits(max_header_bytes=1000), nested=dispatch.scan_stream)
    ZIP_HANDLER.scan(ctx, io.BytesIO(buf.getvalue()))
    found = {f.rule: f.severity for f in ctx.findings}
    assert found.get("WB-ZIP-014") == Severity.HIGH, found
