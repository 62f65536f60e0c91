"""Route a byte stream to the parser its content calls for (never its name alone), and fail closed."""

from __future__ import annotations

import io
import logging
from typing import BinaryIO

from ..core.findings import Check, Location, Severity
from ..core.rules import define
from ..formats.base import FormatHandler, PrefixedStream, ScanContext, make_seekable
from ..formats.registry import HANDLERS, TEXT_HANDLER, UNKNOWN_HANDLER

LOG = logging.getLogger(__name__)
HEAD_BYTES = 4096
# formats that can carry code a loader runs (pickles, archives of them, Keras configs): an uninspected one is high
CODE_CARRYING = frozenset({"pickle", "zip", "7z", "tar", "compressed", "npy", "hdf5", "keras-metadata"})

DEPTH_EXCEEDED = define(
    "WB-SCAN-001",
    Check.ARTIFACT,
    Severity.HIGH,
    "Nesting too deep to inspect",
    "Archives, compressed streams or nested pickles are nested deeper than the scanner's limit; the innermost "
    "content was not inspected. Real model files never nest this deep, so this is treated as evasion.",
)
PARSER_CRASH = define(
    "WB-SCAN-002",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Parser failed unexpectedly",
    "A parser stopped with an unexpected error. The content could not be inspected to the end and is not "
    "reported clean; high for formats that can carry code (pickles, archives, Keras configurations).",
)


def _head(stream: BinaryIO) -> tuple[bytes, BinaryIO]:
    """Peek at the first bytes and give back a stream positioned at the start."""
    try:
        seekable = stream.seekable()
    except (AttributeError, ValueError, OSError):
        seekable = False
    if seekable:
        start = stream.tell()
        head = stream.read(HEAD_BYTES)
        stream.seek(start)
        return head, stream
    head = stream.read(HEAD_BYTES)
    return head, io.BufferedReader(PrefixedStream(head, stream), buffer_size=1024 * 1024)


def choose_handler(head: bytes, name: str) -> FormatHandler:
    lname = name.lower()
    for handler in HANDLERS:
        if handler.sniff(head, lname):
            return handler
    if TEXT_HANDLER.sniff(head, lname):
        return TEXT_HANDLER
    return UNKNOWN_HANDLER


def scan_stream(ctx: ScanContext, stream: BinaryIO, name: str, size: int | None = None) -> str:
    """Scan one stream in ``ctx``; returns the name of the format it was parsed as."""
    if ctx.depth > ctx.limits.max_depth:
        ctx.report(
            DEPTH_EXCEEDED,
            f"nesting depth {ctx.depth} exceeds the limit of {ctx.limits.max_depth}",
            location=Location(member=ctx.member),
        )
        return "unscanned"
    head, stream = _head(stream)
    handler = choose_handler(head, name)
    slot = len(ctx.formats)
    ctx.formats.append(handler.name)
    LOG.debug(
        "%s: parsed as %s (depth %d)",
        ctx.path if not ctx.member else f"{ctx.path}:{ctx.member}",
        handler.name,
        ctx.depth,
    )
    if handler.needs_seek:
        stream = make_seekable(stream, ctx.limits)
    try:
        handler.scan(ctx, stream)
    except (MemoryError, RecursionError) as exc:
        LOG.warning("%s: %s parser exhausted resources", ctx.path, handler.name, exc_info=exc)
        ctx.report(
            PARSER_CRASH,
            f"{handler.name} parser exhausted resources: {type(exc).__name__}",
            severity=Severity.HIGH,
        )
    except Exception as exc:  # noqa: BLE001 - fail closed: any parser failure becomes a finding
        LOG.warning("%s: %s parser failed (reported as a finding)", ctx.path, handler.name, exc_info=exc)
        ctx.report(
            PARSER_CRASH,
            f"{handler.name} parser failed: {type(exc).__name__}: {exc}"[:500],
            severity=Severity.HIGH if handler.name in CODE_CARRYING else None,
        )
    return ctx.formats[slot]  # a handler may hand the stream on (a header-less "pickle" that is text)
