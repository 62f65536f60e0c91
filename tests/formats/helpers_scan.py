"""Scan bytes the way the engine scans a file (content dispatch), for format tests."""

from __future__ import annotations

import io

from weighbridge.core.findings import Finding, Severity
from weighbridge.formats.base import Limits, ScanContext
from weighbridge.scanning.dispatch import scan_stream


def scan_bytes(data: bytes, name: str = "model.bin") -> tuple[str, list[Finding]]:
    ctx = ScanContext(path=name, limits=Limits(), nested=scan_stream)
    fmt = scan_stream(ctx, io.BytesIO(data), name)
    return fmt, ctx.findings


def worst(findings: list[Finding]) -> Severity | None:
    return max((f.severity for f in findings), default=None)


def rules(findings: list[Finding]) -> set[str]:
    return {f.rule for f in findings}
