"""Raw pickle files: single or stacked pickles, the legacy PyTorch format, joblib's uncompressed format.

Detection is by content: a PROTO opcode (protocol 2–5), or — for protocol 0/1, which have no header — a
probe that parses the first bytes as a pickle and accepts them only when they form one (or break only after
importing an identifier-shaped global). The file name is consulted once only: an empty file named like a
pickle (``.pkl``, ``.pickle``, ``.joblib``, ``.dill``) is routed here, so that it is reported as a pickle that
does not parse (high: the loader it is meant for runs code) rather than passing as empty text.
"""

from __future__ import annotations

import os
from typing import Any, BinaryIO

from ...core.findings import Check, Location, Severity
from ...core.rules import define
from ..base import FormatHandler, ScanContext
from .analyser import BROKEN_STREAM, TRAILING_DATA, Analyser, PickleError, _RestStream, looks_like_pickle
from .values import Global, ListV

TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C

LEGACY_TORCH = define(
    "WB-TORCH-001", Check.ARTIFACT, Severity.INFO, "Legacy PyTorch serialization",
    "The file uses torch.save's pre-1.6 stacked-pickle format (magic number, protocol, sys_info, object, "
    "storage keys, raw storages). torch.load unpickles the object pickle; every pickle was analysed.")
LEGACY_STORAGES = define(
    "WB-TORCH-002", Check.ARTIFACT, Severity.MEDIUM, "Legacy PyTorch storage region does not add up",
    "After the five pickles of a legacy torch file come the raw storages, each an 8-byte element count and "
    "its bytes. They do not match the storage keys and types the pickles declared.")

_ELEMENT_SIZE = {
    "Float": 4, "Double": 8, "Half": 2, "BFloat16": 2, "Long": 8, "Int": 4, "Short": 2, "Char": 1, "Byte": 1,
    "Bool": 1, "ComplexFloat": 8, "ComplexDouble": 16, "QInt8": 1, "QUInt8": 1, "QInt32": 4, "QUInt4x2": 1,
    "QUInt2x4": 1, "Untyped": 1,
}


PICKLE_NAMES = (".pkl", ".pickle", ".joblib", ".dill")


def sniff(head: bytes, name: str) -> bool:
    return looks_like_pickle(head) or (not head and name.endswith(PICKLE_NAMES))


def scan(ctx: ScanContext, stream: BinaryIO) -> None:
    if ctx.depth == 0 and ctx.fs_path is not None and os.path.getsize(ctx.fs_path) == 0:
        ctx.report(BROKEN_STREAM, "empty file (0 bytes) named like a pickle: not a pickle, so not clean (a "
                   "truncated copy or a swapped file; the loader meant for it runs code)",
                   location=Location(offset=0), severity=Severity.HIGH)
        return
    analyser = Analyser(ctx, stream)
    summary = analyser.run(max_pickles=1)
    if summary.error is not None:
        return
    if summary.values and summary.values[0] == TORCH_LEGACY_MAGIC and not analyser.inp.at_end():
        ctx.report(LEGACY_TORCH, "legacy torch.save format (stacked pickles + raw storages)",
                   location=Location(offset=0))
        summary = analyser.run(max_pickles=5)
        if summary.error is None and summary.pickles == 5:
            _legacy_storages(ctx, analyser, summary.values[4], summary.persistent_ids)
        return
    if not analyser.inp.at_end():
        analyser.run()


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
        ctx.report(LEGACY_STORAGES, "the storage-key pickle is not a list of strings",
                   location=Location(offset=inp.offset))
        return
    try:
        for key in keys:
            start = inp.offset
            if key not in sizes:
                ctx.report(LEGACY_STORAGES, f"storage {key!r} has no declared type", location=Location(offset=start))
                return
            count = int.from_bytes(inp.take(8), "little", signed=True)
            if count < 0:
                ctx.report(LEGACY_STORAGES, f"storage {key!r} declares {count} elements",
                           location=Location(offset=start))
                return
            inp.skip(count * sizes[key])
    except PickleError as exc:
        ctx.report(LEGACY_STORAGES, f"storage data is truncated: {exc}", location=Location(offset=inp.offset))
        return
    if not inp.at_end():
        start = inp.offset
        ctx.report(TRAILING_DATA, f"data follows the last storage at offset {start}", location=Location(offset=start))
        ctx.scan_nested(_RestStream(inp), f"<data after storages at offset {start}>", None)  # type: ignore[arg-type]


PICKLE_HANDLER = FormatHandler(name="pickle", sniff=sniff, scan=scan)
