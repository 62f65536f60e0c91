"""Binary content no parser recognised. Never clean: it could be anything a custom loader executes."""

from __future__ import annotations

from typing import BinaryIO

from ..core.findings import Check, Location, Severity
from ..core.rules import define
from .base import FormatHandler, ScanContext

UNKNOWN_FORMAT = define(
    "WB-FMT-001",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Unrecognised binary format",
    "No parser recognised this content, so nothing in it was inspected. A loader that knows the format "
    "could still execute what it contains.",
)


def sniff(head: bytes, name: str) -> bool:
    return True


def scan(ctx: ScanContext, stream: BinaryIO) -> None:
    head = stream.read(16)
    ctx.report(
        UNKNOWN_FORMAT,
        "content does not match any supported format",
        location=Location(offset=0),
        evidence=head.hex(" ") if head else None,
    )


UNKNOWN_HANDLER = FormatHandler(name="unknown", sniff=sniff, scan=scan)
