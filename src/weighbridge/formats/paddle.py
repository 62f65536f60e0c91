"""PaddlePaddle inference programs (``.pdmodel``: a ``ProgramDesc`` protobuf), recognised by structure.

A program is blocks of operators that the Paddle executor runs in order. ``py_func`` calls a Python function
registered in the process (critical); ``save``/``load``/``save_combine``/``load_combine`` and friends read
and write the files named in their ``file_path`` attribute (absolute, ``..`` or URL paths are high). Parameter
files (``.pdiparams``) are raw tensors; ``.pdparams`` / ``.pdopt`` are pickles and go to the pickle analyser
by content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO

from ..core.rules import define
from ..core.types import Check, Location, Severity
from .base import FormatHandler, ScanContext
from .protobuf import LEN, VARINT, Field, ProtobufError, WireReader, parse_head

PY_FUNC = define(
    "WB-PADDLE-001", Check.ARTIFACT, Severity.CRITICAL, "Paddle program calls Python (py_func)",
    "A py_func operator hands control to a Python callable registered in the process under an id; running "
    "the program runs that Python code.")
FILE_PATH = define(
    "WB-PADDLE-002", Check.ARTIFACT, Severity.HIGH, "Paddle file operator with an absolute, '..' or remote path",
    "A save/load operator's file_path attribute is absolute, climbs out with '..' or is a URL: running the "
    "program reads or overwrites that file on the host.")
FILE_OP = define(
    "WB-PADDLE-003", Check.ARTIFACT, Severity.MEDIUM, "Paddle program reads or writes files",
    "The inference program contains save/load operators; what they touch depends on their paths at run time.")
MALFORMED = define(
    "WB-PADDLE-004", Check.ARTIFACT, Severity.HIGH, "Paddle program could not be parsed",
    "The ProgramDesc protobuf is truncated or invalid; programs can call Python, so the rest is not reported "
    "clean.")

FILE_OPS = frozenset({"save", "load", "save_combine", "load_combine", "checkpoint_notify", "recv_save",
                      "sparse_tensor_load", "fake_init"})
PY_FUNC_OPS = frozenset({"py_func", "py_layer"})
MAX_DEPTH = 32
MAX_REPORTS = 20


@dataclass(slots=True)
class _Op:
    type: str = ""
    attrs: dict[str, list[str]] = field(default_factory=dict)
    offset: int = 0


def _sniff(head: bytes, name: str) -> bool:
    parsed = parse_head(head, whole=False)
    if parsed is None or not parsed.fields:
        return False
    if any({1: LEN, 4: LEN, 5: LEN}.get(f.number) != f.wire_type for f in parsed.fields):
        return False
    first = parsed.fields[0]
    if first.number != 1:
        return False
    inner = parse_head(head[first.value_offset:min(first.end, len(head))], whole=first.end <= len(head))
    if inner is None or len(inner.fields) < 2:
        return False
    idx, parent = inner.fields[0], inner.fields[1]  # required idx = 1, parent_idx = 2 (proto2: always written)
    return (idx.number, idx.wire_type, parent.number, parent.wire_type) == (1, VARINT, 2, VARINT)


class _Walker:
    def __init__(self, ctx: ScanContext, reader: WireReader) -> None:
        self.ctx = ctx
        self.r = reader
        self.ops: list[_Op] = []

    def text(self, f: Field, cap: int = 4096) -> str:
        value, cut = self.r.string(f, cap)
        return value + "…" if cut else value

    def program(self) -> None:
        for f in self.r.fields(0, self.r.size, 0, MAX_DEPTH):
            if f.number == 1 and f.wire_type == LEN:
                for b in self.r.fields(f.value_offset, f.end, 1, MAX_DEPTH):
                    if b.number == 4 and b.wire_type == LEN:
                        self.op(b)

    def op(self, o: Field) -> None:
        op = _Op(offset=o.offset)
        for f in self.r.fields(o.value_offset, o.end, 2, MAX_DEPTH):
            if f.wire_type != LEN:
                continue
            if f.number == 3:
                op.type = self.text(f, 256)
            elif f.number == 4:
                name, values = "", list[str]()
                for a in self.r.fields(f.value_offset, f.end, 3, MAX_DEPTH):
                    if a.number == 1 and a.wire_type == LEN:
                        name = self.text(a, 256)
                    elif a.number in (5, 8) and a.wire_type == LEN and len(values) < 16:
                        values.append(self.text(a))
                op.attrs[name] = values
        if op.type in FILE_OPS or op.type in PY_FUNC_OPS:
            self.ops.append(op)

    def judge(self) -> None:
        from .tensorflow import escaping_path

        for op in self.ops[:MAX_REPORTS]:
            where = Location(offset=op.offset, key=f"op:{op.type}")
            if op.type in PY_FUNC_OPS:
                ids = op.attrs.get("forward_callable_id") or op.attrs.get("func_id") or []
                self.ctx.report(PY_FUNC, f"operator {op.type} runs a registered Python callable", location=where,
                                evidence=f"type={op.type}" + (f" id={ids[0]}" if ids else ""))
                continue
            paths = op.attrs.get("file_path", [])
            bad = [(p, why) for p in paths if (why := escaping_path(p)) is not None]
            if bad:
                self.ctx.report(FILE_PATH, f"{op.type} uses {bad[0][1]}: {bad[0][0]!r}", location=where,
                                evidence=f"type={op.type} file_path={bad[0][0][:200]!r}")
            else:
                self.ctx.report(FILE_OP, f"{op.type} touches files when the program runs", location=where,
                                evidence=f"type={op.type} file_path={paths[:1]!r}")


def _scan(ctx: ScanContext, stream: BinaryIO) -> None:
    reader = WireReader(stream)
    walker = _Walker(ctx, reader)
    try:
        walker.program()
    except ProtobufError as exc:
        walker.judge()
        ctx.report(MALFORMED, f"ProgramDesc invalid: {exc.reason}", location=Location(offset=exc.offset),
                   evidence=f"stopped at byte {exc.offset} of {reader.size}")
        return
    walker.judge()


PADDLE_HANDLER = FormatHandler(name="paddle-program", sniff=_sniff, scan=_scan, needs_seek=True)
