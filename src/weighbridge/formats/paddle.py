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

from ..core.findings import Check, Location, Severity
from ..core.rules import define
from .base import FormatHandler, ScanContext, StreamWindow
from .protobuf import LEN, VARINT, Field, ProtobufError, WireReader, parse_head

PY_FUNC = define(
    "WB-PADDLE-001",
    Check.ARTIFACT,
    Severity.CRITICAL,
    "Paddle program calls Python (py_func)",
    "A py_func operator hands control to a Python callable registered in the process under an id; running "
    "the program runs that Python code.",
)
FILE_PATH = define(
    "WB-PADDLE-002",
    Check.ARTIFACT,
    Severity.HIGH,
    "Paddle file operator with an absolute, '..' or remote path",
    "A save/load operator's file_path attribute is absolute, climbs out with '..' or is a URL: running the "
    "program reads or overwrites that file on the host.",
)
FILE_OP = define(
    "WB-PADDLE-003",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Paddle program reads or writes files",
    "The inference program contains save/load operators; what they touch depends on their paths at run time.",
)
MALFORMED = define(
    "WB-PADDLE-004",
    Check.ARTIFACT,
    Severity.HIGH,
    "Paddle program could not be parsed",
    "The ProgramDesc protobuf is truncated or invalid; programs can call Python, so the rest is not reported "
    "clean.",
)

PARAMS_MALFORMED = define(
    "WB-PADDLE-005",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Paddle parameter file does not add up",
    "A .pdiparams tensor record has an invalid header, description or size, or bytes follow the last tensor; "
    "the loader reads something other than the declared tensors.",
)

FILE_OPS = frozenset(
    {
        "save",
        "load",
        "save_combine",
        "load_combine",
        "checkpoint_notify",
        "recv_save",
        "sparse_tensor_load",
        "fake_init",
    }
)
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
    inner = parse_head(head[first.value_offset : min(first.end, len(head))], whole=first.end <= len(head))
    if inner is None or len(inner.fields) < 2:
        return False
    idx, parent = (
        inner.fields[0],
        inner.fields[1],
    )  # required idx = 1, parent_idx = 2 (proto2: always written)
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
                self.ctx.report(
                    PY_FUNC,
                    f"operator {op.type} runs a registered Python callable",
                    location=where,
                    evidence=f"type={op.type}" + (f" id={ids[0]}" if ids else ""),
                )
                continue
            paths = op.attrs.get("file_path", [])
            bad = [(p, why) for p in paths if (why := escaping_path(p)) is not None]
            if bad:
                self.ctx.report(
                    FILE_PATH,
                    f"{op.type} uses {bad[0][1]}: {bad[0][0]!r}",
                    location=where,
                    evidence=f"type={op.type} file_path={bad[0][0][:200]!r}",
                )
            else:
                self.ctx.report(
                    FILE_OP,
                    f"{op.type} touches files when the program runs",
                    location=where,
                    evidence=f"type={op.type} file_path={paths[:1]!r}",
                )


def _scan(ctx: ScanContext, stream: BinaryIO) -> None:
    reader = WireReader(stream)
    walker = _Walker(ctx, reader)
    try:
        walker.program()
    except ProtobufError as exc:
        walker.judge()
        ctx.report(
            MALFORMED,
            f"ProgramDesc invalid: {exc.reason}",
            location=Location(offset=exc.offset),
            evidence=f"stopped at byte {exc.offset} of {reader.size}",
        )
        return
    walker.judge()


# -- .pdiparams: [u32 version=0][u64 lod_level][lod levels][u32 version=0][i32 desc size][TensorDesc][data] ----
_DTYPE_SIZE = {
    0: 1,
    1: 2,
    2: 4,
    3: 8,
    4: 2,
    5: 4,
    6: 8,
    20: 1,
    21: 1,
    22: 2,
    23: 8,
    24: 16,
}  # bool..bf16, c64, c128
MAX_TENSORS = 1_000_000
MAX_DESC = 1 << 16


def _sniff_params(head: bytes, name: str) -> bool:
    if len(head) < 24 or head[:4] != b"\0\0\0\0":
        return False
    lod = int.from_bytes(head[4:12], "little")
    if lod != 0:
        return False
    desc = int.from_bytes(head[16:20], "little", signed=True)
    return head[12:16] == b"\0\0\0\0" and 0 < desc < MAX_DESC and head[20] == 0x08


def _scan_params(ctx: ScanContext, stream: BinaryIO) -> None:
    import struct

    size = stream.seek(0, 2)
    pos = count = 0
    while pos < size and count < MAX_TENSORS:
        stream.seek(pos)
        head = stream.read(12)
        if len(head) < 12 or head[:4] != b"\0\0\0\0":
            break
        lod_levels = struct.unpack_from("<Q", head, 4)[0]
        at = pos + 12
        if lod_levels > 16:
            break
        for _ in range(lod_levels):
            stream.seek(at)
            (n,) = struct.unpack("<Q", stream.read(8).ljust(8, b"\0"))
            at += 8 + n
        stream.seek(at)
        tail = stream.read(8)
        if len(tail) < 8 or tail[:4] != b"\0\0\0\0":
            break
        desc_size = struct.unpack_from("<i", tail, 4)[0]
        if not 0 < desc_size < MAX_DESC:
            break
        desc = stream.read(desc_size)
        parsed = parse_head(desc, whole=True)
        if parsed is None:
            break
        dtype = next((f.value for f in parsed.fields if f.number == 1 and f.wire_type == VARINT), None)
        dims = [f.value for f in parsed.fields if f.number == 2 and f.wire_type == VARINT]
        if dtype not in _DTYPE_SIZE or any(d >= 1 << 40 for d in dims):
            break
        nbytes = _DTYPE_SIZE[dtype]
        for d in dims:
            nbytes *= d
        end = at + 8 + desc_size + nbytes
        if end > size:
            ctx.report(
                PARAMS_MALFORMED,
                f"tensor {count} needs {nbytes} bytes past the end of the file",
                location=Location(offset=pos),
                evidence=f"dtype={dtype} dims={dims}",
            )
            return
        pos = end
        count += 1
    if pos < size:
        ctx.report(
            PARAMS_MALFORMED,
            f"{size - pos} bytes after {count} tensor record(s) are not a tensor record",
            location=Location(offset=pos),
            evidence=f"{count} tensors read",
        )
        ctx.scan_nested(StreamWindow(stream, pos, size - pos), f"<data at offset {pos}>", size - pos)  # type: ignore[arg-type]


PADDLE_PARAMS_HANDLER = FormatHandler(
    name="paddle-params", sniff=_sniff_params, scan=_scan_params, needs_seek=True
)
PADDLE_HANDLER = FormatHandler(name="paddle-program", sniff=_sniff, scan=_scan, needs_seek=True)
