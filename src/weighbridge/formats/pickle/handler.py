"""Raw pickle files: single or stacked pickles, the legacy PyTorch format, joblib's uncompressed format.

Detection is by content, as the C unpickler would take the stream: a PROTO opcode, or — without one (protocol
0/1, or a stream that starts straight with a newer opcode) — a probe that parses the first bytes and accepts
them when they form a pickle, break only after importing an identifier-shaped global, or run out before
anything breaks. In that last case the whole stream decides: a stream that breaks before importing anything
(and spells no dangerous import after the break) does nothing when loaded but fail, and is handed on as text
or as unknown binary.
The file name is consulted once only: an empty file named like a pickle (``.pkl``, ``.pickle``,
``.joblib``, ``.dill``) is routed here, so that it is reported as a pickle that does not parse (high: the
loader it is meant for runs code) rather than passing as empty text.
"""

from __future__ import annotations

import dataclasses
import os
import re
from typing import Any, BinaryIO

from ...core.findings import Check, Location, Severity
from ...core.rules import define
from ..base import FormatHandler, PrefixedStream, ScanContext
from ..text import TEXT_HANDLER
from ..unknown import UNKNOWN_HANDLER
from .analyser import (
    _IDENT,
    BROKEN_STREAM,
    PROBE_BYTES,
    TRAILING_DATA,
    Analyser,
    PickleError,
    _RestStream,
    looks_like_pickle,
    probe_head,
)
from .values import Global, ListV

TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C

LEGACY_TORCH = define(
    "WB-TORCH-001",
    Check.ARTIFACT,
    Severity.INFO,
    "Legacy PyTorch serialization",
    "The file uses torch.save's pre-1.6 stacked-pickle format (magic number, protocol, sys_info, object, "
    "storage keys, raw storages). torch.load unpickles the object pickle; every pickle was analysed.",
)
LEGACY_STORAGES = define(
    "WB-TORCH-002",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Legacy PyTorch storage region does not add up",
    "After the five pickles of a legacy torch file come the raw storages, each an 8-byte element count and "
    "its bytes. They do not match the storage keys and types the pickles declared.",
)

_ELEMENT_SIZE = {
    "Float": 4,
    "Double": 8,
    "Half": 2,
    "BFloat16": 2,
    "Long": 8,
    "Int": 4,
    "Short": 2,
    "Char": 1,
    "Byte": 1,
    "Bool": 1,
    "ComplexFloat": 8,
    "ComplexDouble": 16,
    "QInt8": 1,
    "QUInt8": 1,
    "QInt32": 4,
    "QUInt4x2": 1,
    "QUInt2x4": 1,
    "Untyped": 1,
}


PICKLE_NAMES = (".pkl", ".pickle", ".joblib", ".dill")


def sniff(head: bytes, name: str) -> bool:
    return looks_like_pickle(head) or (not head and name.endswith(PICKLE_NAMES))


# Members of a PyTorch / TorchScript zip whose pickles are read with a persistent_load hook.
_TORCH_ARCHIVE_PICKLES = frozenset({"data.pkl", "constants.pkl"})


def _in_torch_archive(ctx: ScanContext) -> bool:
    if ctx.member is None:
        return False
    return ctx.member.rsplit("!", 1)[-1].rsplit("/", 1)[-1] in _TORCH_ARCHIVE_PICKLES


def scan(ctx: ScanContext, stream: BinaryIO) -> None:
    if ctx.depth == 0 and ctx.fs_path is not None and os.path.getsize(ctx.fs_path) == 0:
        ctx.report(
            BROKEN_STREAM,
            "empty file (0 bytes) named like a pickle: not a pickle, so not clean (a "
            "truncated copy or a swapped file; the loader meant for it runs code)",
            location=Location(offset=0),
            severity=Severity.HIGH,
        )
        return
    analyser = Analyser(ctx, stream)
    analyser.expect_persistent = _in_torch_archive(ctx)
    inp = analyser.inp
    inp.fill(PROBE_BYTES)
    head = inp.buf[inp.pos : inp.pos + PROBE_BYTES]
    if head[:1] != b"\x80" and probe_head(head) == "prefix":
        # Only the whole stream tells whether this is a pickle: analyse it aside, then keep or hand on.
        scratch = dataclasses.replace(ctx, findings=[])
        analyser.ctx = scratch
        summary = analyser.run(max_pickles=1)
        if not (
            summary.complete or summary.names_after_break or any(re.match(_IDENT, g) for g in summary.globals)
        ):
            _not_a_pickle(ctx, head, analyser)
            return
        ctx.findings.extend(scratch.findings)
        analyser.ctx = ctx
    else:
        summary = analyser.run(max_pickles=1)
    if summary.error is not None:
        return
    if summary.values and summary.values[0] == TORCH_LEGACY_MAGIC and not analyser.inp.at_end():
        ctx.report(
            LEGACY_TORCH,
            "legacy torch.save format (stacked pickles + raw storages)",
            location=Location(offset=0),
        )
        analyser.expect_persistent = True
        summary = analyser.run(max_pickles=5)
        if summary.error is None and summary.pickles == 5:
            _legacy_storages(ctx, analyser, summary.values[4], summary.persistent_ids)
        return
    if not analyser.inp.at_end():
        analyser.run()


def _not_a_pickle(ctx: ScanContext, head: bytes, analyser: Analyser) -> None:
    """A header-less stream that breaks before importing anything: loading it does nothing but fail. It is
    text, or binary no parser knows (random bytes whose first opcode's length argument runs past the head)."""
    handler = TEXT_HANDLER if TEXT_HANDLER.sniff(head, ctx.path.lower()) else UNKNOWN_HANDLER
    if ctx.formats and ctx.formats[-1] == "pickle":
        ctx.formats[-1] = handler.name
    rest = _RestStream(analyser.inp)
    handler.scan(ctx, PrefixedStream(head, rest))  # type: ignore[arg-type]


def _legacy_storages(ctx: ScanContext, analyser: Analyser, keys_value: Any, pids: list[Any]) -> None:
    """Walk the raw storage records that follow the storage-key pickle; flag anything that does not fit."""
    inp = analyser.inp
    sizes: dict[str, int] = {}
    for pid in pids:
        if isinstance(pid, tuple) and len(pid) >= 3 and pid[0] == "storage" and isinstance(pid[2], str):
            kind = pid[1]
            if isinstance(kind, Global):
                size = _ELEMENT_SIZE.get(kind.name.removesuffix("Storage"))
                if size is not None:
                    sizes[pid[2]] = size
    keys = keys_value.items if isinstance(keys_value, ListV) else None
    if keys is None or not all(isinstance(k, str) for k in keys):
        ctx.report(
            LEGACY_STORAGES,
            "the storage-key pickle is not a list of strings",
            location=Location(offset=inp.offset),
        )
        return
    try:
        for key in keys:
            start = inp.offset
            if key not in sizes:
                ctx.report(
                    LEGACY_STORAGES, f"storage {key!r} has no declared type", location=Location(offset=start)
                )
                return
            count = int.from_bytes(inp.take(8), "little", signed=True)
            if count < 0:
                ctx.report(
                    LEGACY_STORAGES,
                    f"storage {key!r} declares {count} elements",
                    location=Location(offset=start),
                )
                return
            inp.skip(count * sizes[key])
    except PickleError as exc:
        ctx.report(LEGACY_STORAGES, f"storage data is truncated: {exc}", location=Location(offset=inp.offset))
        return
    if not inp.at_end():
        start = inp.offset
        ctx.report(
            TRAILING_DATA, f"data follows the last storage at offset {start}", location=Location(offset=start)
        )
        ctx.scan_nested(_RestStream(inp), f"<data after storages at offset {start}>", None)  # type: ignore[arg-type]


PICKLE_HANDLER = FormatHandler(name="pickle", sniff=sniff, scan=scan)
