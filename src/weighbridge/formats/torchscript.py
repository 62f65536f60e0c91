"""TorchScript code inside a ``torch.jit.save`` archive (``<prefix>/code/**.py``).

``torch.jit.load`` compiles and runs this code with the TorchScript interpreter. The interpreter cannot
import Python modules, but it can call any registered operator: operators outside the namespaces built
into libtorch only exist after the loader loads a native library (``torch.ops.load_library``), so a model
that calls them asks its user to run native code. The source is read as text, never compiled.
"""

from __future__ import annotations

import re

from ..core.findings import Check, Location, Severity
from ..core.rules import define
from .base import ScanContext

TORCHSCRIPT_CODE = define(
    "WB-TORCH-101",
    Check.ARTIFACT,
    Severity.INFO,
    "TorchScript code is run on load",
    "The archive holds TorchScript source that torch.jit.load compiles and runs with the TorchScript "
    "interpreter. It cannot import Python modules, but it is code chosen by the model's author.",
)
CUSTOM_OP = define(
    "WB-TORCH-102",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "TorchScript code calls a custom operator",
    "The TorchScript code calls an operator outside the namespaces built into libtorch. Such operators are "
    "implemented in a native library that the loader must load first (torch.ops.load_library), i.e. the "
    "model needs native code that is not part of PyTorch.",
)
CODE_UNREADABLE = define(
    "WB-TORCH-103",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "TorchScript code not analysed",
    "A TorchScript source member is too large or not text, so the operators it calls were not checked.",
)

# Operator namespaces registered by libtorch itself (no extra native library needed).
BUILTIN_NAMESPACES = frozenset(
    {
        "aten",
        "prim",
        "prims",
        "quantized",
        "_quantized",
        "quantized_decomposed",
        "_caffe2",
        "profiler",
        "prepacked",
        "mkldnn",
        "mkldnn_prepacked",
        "onednn",
        "mkl",
        "_nested",
        "rngprims",
        "c10d",
        "_c10d_functional",
        "_c10d_functional_autograd",
        "_dtensor",
        "sparse",
        "cuda",
        "higher_order",
        "inductor",
        "symm_mem",
        "vulkan_prepack",
        "metal_prepack",
        "xnnpack",
        "static_runtime",
        "attr",
        "_higher_order_ops",
        "debugprims",
    }
)

_OP_CALL = re.compile(r"(?<![\w.])(?:torch\.)?ops\.([A-Za-z_]\w*)\.([A-Za-z_]\w*)")
MAX_CUSTOM_OP_FINDINGS = 20
MAX_LINE_EVIDENCE = 200


def report_torchscript(ctx: ScanContext, code_files: list[str], location: Location) -> None:
    """One INFO finding for the archive, naming (some of) its code files."""
    shown = ", ".join(code_files[:5]) + (f" and {len(code_files) - 5} more" if len(code_files) > 5 else "")
    ctx.report(
        TORCHSCRIPT_CODE,
        f"TorchScript archive with {len(code_files)} code file(s): {shown}",
        location=location,
        evidence=code_files[0] if code_files else None,
    )


def scan_torchscript_code(
    ctx: ScanContext, member: str, data: bytes, *, complete: bool, seen: set[str]
) -> None:
    """Report calls to operators outside libtorch's namespaces in one code member.

    ``data`` is the (possibly cut) member content; ``complete`` says whether it is all of it. ``seen``
    collects the custom operators already reported for this archive (one finding per operator).
    """
    if not complete:
        ctx.report(
            CODE_UNREADABLE,
            f"TorchScript code member is larger than {len(data)} bytes; only the start was checked",
            location=Location(member=member),
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        ctx.report(
            CODE_UNREADABLE,
            f"TorchScript code member is not UTF-8 text: {exc}"[:300],
            location=Location(member=member, offset=exc.start),
        )
        text = data.decode("utf-8", errors="replace")
    dropped = 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        for match in _OP_CALL.finditer(line):
            namespace, op = match.group(1), match.group(2)
            qualified = f"{namespace}::{op}"
            if namespace in BUILTIN_NAMESPACES or qualified in seen:
                continue
            seen.add(qualified)
            if len(seen) > MAX_CUSTOM_OP_FINDINGS:
                dropped += 1
                continue
            ctx.report(
                CUSTOM_OP,
                f"calls custom operator {qualified} (namespace '{namespace}' is not part of "
                "libtorch; it needs a native library)",
                location=Location(member=member, line=lineno),
                evidence=line.strip()[:MAX_LINE_EVIDENCE],
            )
    if dropped:
        ctx.report(
            CUSTOM_OP,
            f"{dropped} more custom operator(s) in this member not listed (the first "
            f"{MAX_CUSTOM_OP_FINDINGS} of the archive are)",
            location=Location(member=member),
        )
