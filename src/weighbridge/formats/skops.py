"""skops files (``.skops``): a zip of ``schema.json`` (the object tree) and ``.npy`` arrays.

``skops.io.load`` rebuilds every node of the schema by importing ``__module__`` and getting ``__class__``
(objects, types, functions, methods, operator functions); it refuses types outside its trusted list unless the
caller passes them as ``trusted`` — which users routinely do with ``get_untrusted_types``. The schema is walked
here without importing anything: every type it names outside skops' default trusted list is high, types in
the pickle policy's dangerous families (os, subprocess, builtins.eval, ...) are critical. The arrays are
routed by the zip walk to the NumPy parser (object arrays carry pickles). Recognised by content: JSON whose
head carries skops' ``__loader__`` node keys.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

from ..core.findings import Check, Location, Severity
from ..core.rules import define
from .base import FormatHandler, ScanContext, parse_json_document
from .text import sniff as text_sniff

UNTRUSTED_TYPE = define(
    "WB-SKOPS-001",
    Check.ARTIFACT,
    Severity.HIGH,
    "skops file names an untrusted type",
    "The schema names a class or function outside skops' default trusted types. Loading it means passing "
    "the name as trusted, after which skops imports the module and constructs or calls it.",
)
DANGEROUS_TYPE = define(
    "WB-SKOPS-002",
    Check.ARTIFACT,
    Severity.CRITICAL,
    "skops file names a dangerous callable",
    "The schema names a function or type that runs commands, evaluates code, resolves names or touches files "
    "(os, subprocess, builtins.eval, operator.attrgetter, ...). A user who trusts the file's untrusted types "
    "runs it on load.",
)
BAD_SCHEMA = define(
    "WB-SKOPS-003",
    Check.ARTIFACT,
    Severity.HIGH,
    "skops schema could not be read",
    "schema.json is not valid JSON, too large or too deeply nested, so the types it makes skops import were "
    "not established; the file can carry code, so it is not reported clean.",
)

MAX_NODES = 2_000_000
MAX_REPORTED = 50


@cache
def trusted() -> tuple[frozenset[str], tuple[str, ...]]:
    text = (Path(__file__).parent / "data" / "skops_trusted.txt").read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return frozenset(x for x in lines if not x.endswith(".")), tuple(x for x in lines if x.endswith("."))


def judge_type(qualname: str) -> Severity | None:
    from .pickle.policy import Verdict, classify

    exact, prefixes = trusted()
    if qualname in exact:
        return None
    module, _, name = qualname.rpartition(".")
    if module and classify(module, name).verdict is Verdict.DANGEROUS:
        return Severity.CRITICAL
    return None if qualname.startswith(prefixes) else Severity.HIGH


def node_types(node: dict[str, Any]) -> list[tuple[str, str]]:
    """(qualified name, what) pairs a schema node makes skops import."""
    out: list[tuple[str, str]] = []
    module, cls, loader = node.get("__module__"), node.get("__class__"), node.get("__loader__")
    content = node.get("content")
    if isinstance(module, str) and isinstance(cls, str):
        out.append((f"{module}.{cls}", f"{loader or 'object'} type"))
    if isinstance(content, dict):
        if loader == "FunctionNode":
            path, fn = content.get("module_path"), content.get("function")
            if isinstance(path, str) and isinstance(fn, str):
                out.append((f"{path}.{fn}", "function"))
        elif loader == "TypeNode":
            tm, tc = content.get("__module__"), content.get("__class__")
            if isinstance(tm, str) and isinstance(tc, str):
                out.append((f"{tm}.{tc}", "type"))
        elif loader == "OperatorFuncNode":
            attr = content.get("attr")
            if isinstance(attr, str):
                out.append((f"operator.{attr}", "operator function"))
        elif loader == "MethodNode":
            fn = content.get("func")
            if isinstance(fn, str):
                out.append((f"{module}.{cls}.{fn}" if isinstance(module, str) else fn, "method"))
    return out


def _sniff(head: bytes, name: str) -> bool:
    return (
        head.lstrip()[:1] == b"{"
        and b'"__loader__"' in head
        and b'"__module__"' in head
        and text_sniff(head, name)
    )


def _scan(ctx: ScanContext, stream: BinaryIO) -> None:
    ctx.formats.append("skops-schema")
    cap = ctx.limits.max_header_bytes
    raw = stream.read(cap + 1)
    if len(raw) > cap:
        ctx.report(
            BAD_SCHEMA,
            f"schema larger than {cap} bytes",
            location=Location(offset=0),
            evidence=f"more than {cap} bytes",
        )
        return
    parsed, schema = parse_json_document(ctx, raw, BAD_SCHEMA, "schema")
    if not parsed:
        return
    version = schema.get("_skops_version") if isinstance(schema, dict) else None
    stack: list[tuple[str, Any]] = [("$", schema)]
    seen: set[str] = set()
    nodes = reported = 0
    while stack:
        path, node = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            ctx.report(
                BAD_SCHEMA,
                f"schema has more than {MAX_NODES} values; the rest was not inspected",
                location=Location(key=path),
                evidence=path,
            )
            return
        if isinstance(node, dict):
            for qualname, what in node_types(node):
                severity = judge_type(qualname)
                if severity is None or qualname in seen or reported >= MAX_REPORTED:
                    continue
                seen.add(qualname)
                reported += 1
                rule = DANGEROUS_TYPE if severity is Severity.CRITICAL else UNTRUSTED_TYPE
                ctx.report(
                    rule,
                    f"{what} {qualname!r} is not trusted by skops by default",
                    location=Location(key=path),
                    evidence=f"{qualname} (skops {version or '?'})",
                )
            stack.extend((f"{path}.{k}", v) for k, v in node.items() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend((f"{path}[{i}]", v) for i, v in enumerate(node) if isinstance(v, dict | list))


# schema.json is JSON text: the file's format stays "text"; "skops-schema" is recorded in its format list.
SKOPS_SCHEMA_HANDLER = FormatHandler(name="text", sniff=_sniff, scan=_scan)
