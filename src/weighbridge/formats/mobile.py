"""On-device model flatbuffers: TensorFlow Lite (``TFL3``) and ExecuTorch ``.pte`` (``ET`` + version).

Both runtimes execute a fixed vocabulary of kernels compiled into the application; what a model file can
add is a demand for kernels from elsewhere:

* TFLite custom operators (builtin code CUSTOM) need a native op resolver supplied for the model (high,
  named); ``Flex*`` operators run full TensorFlow kernels through the Flex delegate — including file
  operators, and ``PyFunc`` (critical).
* ExecuTorch operators outside the runtime's kernel namespaces need a custom kernel library (high, named);
  delegates to backends the ExecuTorch project does not maintain hand a blob to foreign native code (high).

Operator tables are read with the bounds-checked flatbuffer reader; a file that cannot be read to the
operator tables is high (fail closed). Recognised by the flatbuffer file identifier at bytes 4-8.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import BinaryIO

from ..core.findings import Check, Location, Severity
from ..core.rules import define
from .base import FormatHandler, ScanContext
from .flatbuffers import FlatBufferError, Table, WindowReader, root

TFLITE_CUSTOM = define(
    "WB-TFL-001",
    Check.ARTIFACT,
    Severity.HIGH,
    "TFLite custom operator",
    "The model uses operators that are not TFLite builtins. The interpreter runs them only with a custom op "
    "resolver: native code supplied for this model.",
)
TFLITE_FLEX = define(
    "WB-TFL-002",
    Check.ARTIFACT,
    Severity.HIGH,
    "TFLite model runs TensorFlow ops through the Flex delegate",
    "Flex operators execute full TensorFlow kernels inside the TFLite interpreter, including file and network "
    "operators; PyFunc through Flex calls Python.",
)
MOBILE_MALFORMED = define(
    "WB-TFL-003",
    Check.ARTIFACT,
    Severity.HIGH,
    "On-device model could not be parsed",
    "The TFLite or ExecuTorch flatbuffer has offsets, vtables or vectors outside the file, so its operators "
    "were not established. The runtime's own reader may read it differently; not reported clean.",
)
ET_CUSTOM_OP = define(
    "WB-PTE-001",
    Check.ARTIFACT,
    Severity.HIGH,
    "ExecuTorch program uses custom kernels",
    "The program calls operators outside the kernel namespaces the ExecuTorch runtime ships (aten, "
    "quantized_decomposed, ...). They resolve to a custom kernel library linked in for this model.",
)
ET_DELEGATE = define(
    "WB-PTE-002",
    Check.ARTIFACT,
    Severity.HIGH,
    "ExecuTorch program delegates to an unknown backend",
    "Part of the program is a blob for a backend the ExecuTorch project does not maintain. The blob is handed "
    "to that backend's native code at load time.",
)
ET_KNOWN_DELEGATE = define(
    "WB-PTE-003",
    Check.ARTIFACT,
    Severity.INFO,
    "ExecuTorch program delegates to a known backend",
    "Part of the program runs in a backend maintained in the ExecuTorch repository (XNNPACK, Core ML, ...).",
)

CUSTOM = 32  # tflite BuiltinOperator.CUSTOM
MAX_CODES = 10_000
MAX_PLANS = 1_000
MAX_OPERATORS = 100_000
_ET_IDENT = re.compile(rb"^ET[0-9]{2}$")


@cache
def _runtime_lists() -> dict[str, frozenset[str]]:
    text = (Path(__file__).parent / "data" / "mobile_runtimes.txt").read_text(encoding="utf-8")
    out: dict[str, set[str]] = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#") and ":" in line:
            kind, _, value = line.strip().partition(":")
            out.setdefault(kind, set()).add(value)
    return {k: frozenset(v) for k, v in out.items()}


def _names(items: list[str]) -> str:
    return ", ".join(items[:15]) + (" …" if len(items) > 15 else "")


# -- TFLite ------------------------------------------------------------------------------------------------


def _sniff_tflite(head: bytes, name: str) -> bool:
    return len(head) >= 12 and head[4:8] == b"TFL3" and int.from_bytes(head[:4], "little") >= 8


def _scan_tflite(ctx: ScanContext, stream: BinaryIO) -> None:
    reader = WindowReader(stream)
    custom: list[str] = []
    try:
        model = root(reader)
        for code in model.tables(1, MAX_CODES):
            builtin = max(code.scalar(0, "b"), code.scalar(3, "i"))
            if builtin == CUSTOM:
                custom.append(code.string(1) or "")
    except FlatBufferError as exc:
        _report_tflite(ctx, custom)
        ctx.report(
            MOBILE_MALFORMED,
            f"TFLite flatbuffer invalid: {exc.reason}",
            location=Location(offset=exc.offset),
            evidence=f"stopped at byte {exc.offset} of {reader.size}",
        )
        return
    _report_tflite(ctx, custom)


def _report_tflite(ctx: ScanContext, custom: list[str]) -> None:
    from .tensorflow import NETWORK_OPS, PY_FUNC_OPS, READ_OPS, WRITE_OPS  # operator families, shared

    known = _runtime_lists().get("tflite-custom", frozenset())
    flex = sorted({c for c in custom if c.startswith("Flex")})
    other = sorted({c for c in custom if not c.startswith("Flex") and c not in known})
    if flex:
        tf_ops = {c[4:] for c in flex}
        python = sorted(tf_ops & PY_FUNC_OPS)
        files = sorted(tf_ops & (READ_OPS | WRITE_OPS | NETWORK_OPS))
        severity = Severity.CRITICAL if python else Severity.HIGH
        why = (f"; {', '.join(python)} calls Python" if python else "") + (
            f"; {', '.join(files)} touch files or the network" if files else ""
        )
        ctx.report(
            TFLITE_FLEX,
            f"{len(flex)} Flex operator(s) run TensorFlow kernels: {_names(flex)}{why}",
            location=Location(key="operator_codes"),
            evidence=f"custom_code=[{_names(flex)}]",
            severity=severity,
        )
    if other:
        ctx.report(
            TFLITE_CUSTOM,
            f"{len(other)} custom operator(s) need a native op resolver: {_names(other)}",
            location=Location(key="operator_codes"),
            evidence=f"custom_code=[{_names(other)}]",
        )


# -- ExecuTorch ----------------------------------------------------------------------------------------------


def _sniff_pte(head: bytes, name: str) -> bool:
    return (
        len(head) >= 12 and _ET_IDENT.match(head[4:8]) is not None and int.from_bytes(head[:4], "little") >= 8
    )


def _scan_pte(ctx: ScanContext, stream: BinaryIO) -> None:
    reader = WindowReader(stream)
    ops: dict[str, str] = {}  # "ns::name.overload" -> plan
    delegates: dict[str, str] = {}
    try:
        program = root(reader)
        for plan in program.tables(1, MAX_PLANS):
            _plan(plan, ops, delegates)
    except FlatBufferError as exc:
        _report_pte(ctx, ops, delegates)
        ctx.report(
            MOBILE_MALFORMED,
            f"ExecuTorch flatbuffer invalid: {exc.reason}",
            location=Location(offset=exc.offset),
            evidence=f"stopped at byte {exc.offset} of {reader.size}",
        )
        return
    _report_pte(ctx, ops, delegates)


def _plan(plan: Table, ops: dict[str, str], delegates: dict[str, str]) -> None:
    name = plan.string(0, 256) or "?"
    for op in plan.tables(6, MAX_OPERATORS):
        op_name = op.string(0, 512) or ""
        overload = op.string(1, 256) or ""
        ops.setdefault(f"{op_name}.{overload}" if overload else op_name, name)
    for delegate in plan.tables(7, MAX_OPERATORS):
        delegates.setdefault(delegate.string(0, 512) or "", name)


def _report_pte(ctx: ScanContext, ops: dict[str, str], delegates: dict[str, str]) -> None:
    lists = _runtime_lists()
    namespaces = lists.get("executorch-ns", frozenset())
    backends = lists.get("executorch-backend", frozenset())
    custom = sorted(op for op in ops if op.split("::", 1)[0] not in namespaces or "::" not in op)
    if custom:
        ctx.report(
            ET_CUSTOM_OP,
            f"{len(custom)} operator(s) outside the runtime's kernel libraries: {_names(custom)}",
            location=Location(key=f"execution_plan:{ops[custom[0]]}"),
            evidence=f"operators=[{_names(custom)}]",
        )
    for backend, plan in sorted(delegates.items()):
        rule = ET_KNOWN_DELEGATE if backend in backends else ET_DELEGATE
        ctx.report(
            rule,
            f"method {plan!r} delegates to backend {backend!r}",
            location=Location(key=f"execution_plan:{plan}"),
            evidence=f"BackendDelegate.id={backend!r}",
        )


TFLITE_HANDLER = FormatHandler(name="tflite", sniff=_sniff_tflite, scan=_scan_tflite, needs_seek=True)
EXECUTORCH_HANDLER = FormatHandler(name="executorch", sniff=_sniff_pte, scan=_scan_pte, needs_seek=True)
