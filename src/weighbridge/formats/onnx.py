"""ONNX models (and, as a fallback, any complete protobuf message), parsed from the wire format.

The ONNX walker follows ModelProto → graph / functions / training graphs → nodes → attribute subgraphs and
tensors, reads only names, operator identities and external-data entries, and seeks over every tensor
payload. It never imports ``onnx``: the loader's own parser is what the checks are about.

Checks: external-data locations (path escapes, links, missing files, ranges past the end — the ONNX
external-data CVEs), operators from custom domains (a native custom-op library must be loaded), and Python
operators (onnxruntime-extensions ``PyOp``: Python code runs at inference).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from typing import BinaryIO

from ..core.findings import Check, Location, Rule, Severity
from ..core.rules import define
from .base import FormatHandler, ScanContext
from .protobuf import LEN, VARINT, Field, ProtobufError, WireReader, parse_head, scan_protobuf, sniff_protobuf

NAME_CAP = 4096
MAX_DEPTH = 64
MAX_OPERATORS = 10_000
MAX_EXTERNAL_ENTRIES = 64
MAX_IR_VERSION = 20

EXTERNAL_ESCAPE = define(
    "WB-ONNX-001",
    Check.ARTIFACT,
    Severity.CRITICAL,
    "External data path leaves the model folder",
    "A tensor's external_data location is absolute, climbs out with '..', or resolves (through links) outside "
    "the model folder. Loading the model reads that file into a tensor, e.g. /etc/passwd or a private key "
    "(CVE-2022-25882, CVE-2024-27318, CVE-2026-27489, CVE-2026-34447).",
)
EXTERNAL_NOT_PLAIN = define(
    "WB-ONNX-002",
    Check.ARTIFACT,
    Severity.HIGH,
    "External data path is not a plain file in the folder",
    "A tensor's external_data location is not a normalized relative path, goes through a symbolic link, or "
    "names a hard-linked file. Links let a model folder read files elsewhere on the host (CVE-2026-27489, "
    "CVE-2026-34446, CVE-2026-34447).",
)
EXTERNAL_INVALID = define(
    "WB-ONNX-003",
    Check.ARTIFACT,
    Severity.HIGH,
    "External data reference is invalid",
    "A tensor refers to external data that is missing, is not a regular file, has no location, or whose "
    "offset/length do not fit in the file. The loader reads out of bounds or fails part-way.",
)
EXTERNAL_UNVERIFIED = define(
    "WB-ONNX-004",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "External data could not be verified",
    "The model refers to external data files but was not found in a folder on disk (for example it sits "
    "inside an archive), so the referenced files could not be checked.",
)
CUSTOM_DOMAIN = define(
    "WB-ONNX-005",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Operator from a custom domain",
    "The graph uses operators outside the standard ONNX and ONNX Runtime domains. Running it requires "
    "registering a custom-op library: native code supplied alongside the model.",
)
PYTHON_OPERATOR = define(
    "WB-ONNX-006",
    Check.ARTIFACT,
    Severity.HIGH,
    "Python operator",
    "The graph uses a Python operator (PyOp/PythonOp, or the onnxruntime-extensions domain ai.onnx.contrib). "
    "Running the model executes Python code registered for that operator.",
)
MALFORMED = define(
    "WB-ONNX-007",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "ONNX model could not be parsed to the end",
    "The protobuf encoding is truncated or invalid, or nested too deeply. Whatever follows the error was not "
    "inspected, so the model is not reported clean.",
)
TOO_MANY_OPERATORS = define(
    "WB-ONNX-008",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Too many distinct operators to check",
    "The graph uses more distinct operators than the scanner keeps track of; operators past the limit were "
    "not checked against the custom-domain policy.",
)
STANDARD_DOMAINS = frozenset({"", "ai.onnx", "ai.onnx.ml", "ai.onnx.preview.training"})
PYTHON_DOMAINS = frozenset({"ai.onnx.contrib"})
PYTHON_OPS = frozenset({"PyOp", "PythonOp"})
# onnxruntime's own domains are built into the runtime; its extensions domain needs an extra library.
RUNTIME_DOMAIN_PREFIX = "com.microsoft"
EXTENSION_DOMAINS = frozenset({"com.microsoft.extensions"})

# ModelProto field -> wire type
MODEL_FIELDS = {
    1: VARINT,
    2: LEN,
    3: LEN,
    4: LEN,
    5: VARINT,
    6: LEN,
    7: LEN,
    8: LEN,
    14: LEN,
    20: LEN,
    25: LEN,
    26: LEN,
}
MODEL_STRINGS = frozenset({2, 3, 4, 6})
GRAPH_FIELDS = frozenset({1, 2, 5, 10, 11, 12, 13, 14, 15, 16})
MAX_LOCATION_FINDINGS = 50
MAX_CACHED_LOCATIONS = 10_000
_DIGITS = re.compile(r"[0-9]{1,20}")
_DRIVE = re.compile(r"[A-Za-z]:")


def is_standard_domain(domain: str) -> bool:
    if domain in STANDARD_DOMAINS:
        return True
    if domain in EXTENSION_DOMAINS:
        return False
    return domain == RUNTIME_DOMAIN_PREFIX or domain.startswith(RUNTIME_DOMAIN_PREFIX + ".")


@dataclass(slots=True)
class _OperatorUse:
    count: int
    first_node: str
    offset: int


@dataclass(slots=True)
class _Tensor:
    name: str = ""
    external_location: bool = False
    entries: list[tuple[str, str, int]] = field(default_factory=list)  # key, value, offset


@dataclass(slots=True)
class _Resolved:
    problems: list[tuple[Rule, str]]
    size: int | None  # of the external file, when it exists and may be read


MAX_REFERENCES = 10_000


class ExternalDataChecker:
    """Checks external_data entries of tensors against the folder the model sits in."""

    def __init__(self, ctx: ScanContext) -> None:
        self.ctx = ctx
        self.base: str | None = None
        self.container: str | None = None
        if ctx.member is None and (ctx.fs_path or ctx.root):
            self.base = os.path.dirname(os.path.abspath(ctx.fs_path)) if ctx.fs_path else ctx.root
            self.container = ctx.root or self.base
        self.cache: dict[str, _Resolved] = {}
        self.reported: dict[Rule, int] = {}
        self.suppressed: dict[Rule, int] = {}
        self.unverified: list[str] = []
        self.unverified_count = 0

    # -- reporting --------------------------------------------------------------------------------------
    def _report(self, rule: Rule, detail: str, where: Location, evidence: str) -> None:
        if self.reported.get(rule, 0) >= MAX_LOCATION_FINDINGS:
            self.suppressed[rule] = self.suppressed.get(rule, 0) + 1
            return
        self.reported[rule] = self.reported.get(rule, 0) + 1
        self.ctx.report(rule, detail, location=where, evidence=evidence)

    def finish(self) -> None:
        for rule, count in self.suppressed.items():
            self.ctx.report(
                rule,
                f"{count} more tensor(s) with the same kind of problem were not listed",
                evidence=f"first {MAX_LOCATION_FINDINGS} reported individually",
            )
        if self.unverified_count:
            names = ", ".join(repr(n) for n in self.unverified)
            self.ctx.report(
                EXTERNAL_UNVERIFIED,
                f"{self.unverified_count} tensor(s) read external data that could not be checked "
                "because the model is not in a folder on disk",
                evidence=f"locations: {names}",
            )

    # -- one tensor ---------------------------------------------------------------------------------------
    def check(
        self, role: str, tensor: str, declared: bool, entries: list[tuple[str, str, int]], offset: int
    ) -> None:
        values = {key: value for key, value, _ in entries}  # the loader applies entries in order: last wins
        where = Location(offset=offset, key=f"{role}:{tensor}")
        location = values.get("location")
        if location is None:
            if declared:
                self._report(
                    EXTERNAL_INVALID,
                    f"{role} {tensor!r} is stored externally but has no location",
                    where,
                    f"external_data keys: {sorted(values)}",
                )
            return
        quoted = f"location={location!r} ({role} {tensor!r})"
        resolved = self._resolve(location)
        for rule, reason in resolved.problems:
            self._report(rule, f"external data of {role} {tensor!r}: {reason}", where, quoted)
        if self.base is None:
            if not resolved.problems:
                self.unverified_count += 1
                if len(self.unverified) < 5 and location not in self.unverified:
                    self.unverified.append(location)
            return
        if resolved.size is not None:
            self._check_range(values, resolved.size, role, tensor, where, quoted)
        if not resolved.problems and len(self.ctx.references) < MAX_REFERENCES:
            real = os.path.realpath(os.path.join(self.base, location))
            if real not in self.ctx.references:
                self.ctx.references.append(real)

    def _check_range(
        self, values: dict[str, str], size: int, role: str, tensor: str, where: Location, quoted: str
    ) -> None:
        numbers: dict[str, int] = {}
        for key in ("offset", "length"):
            text = values.get(key)
            if text is None:
                continue
            if not _DIGITS.fullmatch(text):
                self._report(
                    EXTERNAL_INVALID,
                    f"external data of {role} {tensor!r}: {key} {text!r} is not a non-negative integer",
                    where,
                    f"{quoted} {key}={text!r}",
                )
                return
            numbers[key] = int(text)
        start = numbers.get("offset", 0)
        length = numbers.get("length", max(size - start, 0))
        if start > size or start + length > size:
            self._report(
                EXTERNAL_INVALID,
                f"external data of {role} {tensor!r}: bytes {start}..{start + length} lie past the end "
                f"of the {size}-byte file",
                where,
                f"{quoted} offset={start} length={length}",
            )

    # -- one location ---------------------------------------------------------------------------------------
    def _resolve(self, location: str) -> _Resolved:
        cached = self.cache.get(location)
        if cached is not None:
            return cached
        resolved = self._lexical(location)
        if all(rule is EXTERNAL_NOT_PLAIN for rule, _ in resolved.problems) and self.base is not None:
            try:
                self._filesystem(location, resolved)
            except (OSError, ValueError) as exc:
                resolved.problems.append((EXTERNAL_INVALID, f"the location cannot be resolved ({exc})"))
                resolved.size = None
        if len(self.cache) < MAX_CACHED_LOCATIONS:
            self.cache[location] = resolved
        return resolved

    def _start_depth(self) -> int:
        if self.base is None or self.container is None:
            return 0
        rel = os.path.relpath(self.base, self.container)
        return 0 if rel == os.curdir else len(rel.split(os.sep))

    def _lexical(self, location: str) -> _Resolved:
        if not location:
            return _Resolved([(EXTERNAL_INVALID, "the location is empty")], None)
        if "\x00" in location:
            return _Resolved([(EXTERNAL_INVALID, "the location contains a NUL byte")], None)
        if location.endswith("…"):
            return _Resolved([(EXTERNAL_INVALID, f"the location is longer than {NAME_CAP} bytes")], None)
        norm = location.replace("\\", "/")
        if norm.startswith("/") or _DRIVE.match(norm):
            return _Resolved([(EXTERNAL_ESCAPE, "the location is an absolute path")], None)
        parts = norm.split("/")
        depth = self._start_depth()
        for part in parts:
            if part == "..":
                depth -= 1
                if depth < 0:
                    return _Resolved(
                        [(EXTERNAL_ESCAPE, "the location climbs out of the model folder with '..'")], None
                    )
            elif part not in ("", "."):
                depth += 1
        if norm != location or any(p in ("", ".", "..") for p in parts):
            return _Resolved([(EXTERNAL_NOT_PLAIN, "the location is not a normalized relative path")], None)
        return _Resolved([], None)

    def _hf_blob(self, real: str, real_container: str) -> bool:
        """Hugging Face cache snapshots hold links into the repository's blobs/ folder: the normal layout."""
        if os.path.basename(os.path.dirname(real_container)) != "snapshots":
            return False
        blobs = os.path.realpath(os.path.join(real_container, os.pardir, os.pardir, "blobs"))
        return os.path.dirname(real) == blobs

    def _filesystem(self, location: str, resolved: _Resolved) -> None:
        assert self.base is not None and self.container is not None
        parts = [p for p in location.replace("\\", "/").split("/") if p not in ("", ".")]
        target = os.path.join(self.base, *parts)
        real_container = os.path.realpath(self.container)
        real = os.path.realpath(target)
        hf_blob = self._hf_blob(real, real_container)
        if not hf_blob and os.path.commonpath([real, real_container]) != real_container:
            resolved.problems.append(
                (EXTERNAL_ESCAPE, f"the location resolves to {real}, outside the model folder")
            )
            return
        current = self.base
        for i, part in enumerate(parts):
            current = os.path.join(current, part)
            if os.path.islink(current):
                if not (hf_blob and i == len(parts) - 1):
                    link = os.readlink(current)
                    resolved.problems.append((EXTERNAL_NOT_PLAIN, f"{part!r} is a symbolic link to {link!r}"))
                break
        try:
            st = os.stat(target)
        except OSError as exc:
            resolved.problems.append((EXTERNAL_INVALID, f"the file cannot be found ({exc.strerror})"))
            return
        if not stat.S_ISREG(st.st_mode):
            resolved.problems.append((EXTERNAL_INVALID, "the location is not a regular file"))
            return
        if st.st_nlink > 1:
            resolved.problems.append(
                (EXTERNAL_NOT_PLAIN, f"the file is a hard link with {st.st_nlink} names")
            )
        resolved.size = st.st_size


class _OnnxWalker:
    """Schema-aware descent through the parts of an ONNX model that can make a loader do something."""

    def __init__(self, ctx: ScanContext, reader: WireReader) -> None:
        self.ctx = ctx
        self.reader = reader
        self.ops: dict[tuple[str, str], _OperatorUse] = {}
        self.ops_overflow = 0
        self.local_functions: set[tuple[str, str]] = set()
        self.opsets: dict[str, int] = {}
        self.external = ExternalDataChecker(ctx)

    # -- helpers ----------------------------------------------------------------------------------------
    def _text(self, f: Field) -> str:
        text, truncated = self.reader.string(f, NAME_CAP)
        return text + "…" if truncated else text

    # -- messages ---------------------------------------------------------------------------------------
    def model(self, start: int, end: int) -> None:
        for f in self.reader.fields(start, end, 0, MAX_DEPTH, salvage=True):
            if f.wire_type != LEN:
                continue
            if f.number == 7:
                self.graph(f, 1)
            elif f.number == 8:
                self.opset(f, 1)
            elif f.number == 25:
                self.function(f, 1)
            elif f.number == 20:
                self.training_info(f, 1)

    def graph(self, g: Field, depth: int) -> None:
        for f in self.reader.fields(g.value_offset, g.end, depth, MAX_DEPTH, salvage=True):
            if f.wire_type != LEN:
                continue
            if f.number == 1:
                self.node(f, depth + 1)
            elif f.number == 5:
                self.tensor(f, depth + 1, "initializer")
            elif f.number == 15:
                self.sparse(f, depth + 1, "sparse_initializer")

    def training_info(self, t: Field, depth: int) -> None:
        for f in self.reader.fields(t.value_offset, t.end, depth, MAX_DEPTH, salvage=True):
            if f.wire_type == LEN and f.number in (1, 2):
                self.graph(f, depth + 1)

    def opset(self, o: Field, depth: int) -> None:
        domain, version = "", 0
        for f in self.reader.fields(o.value_offset, o.end, depth, MAX_DEPTH, salvage=True):
            if f.number == 1 and f.wire_type == LEN:
                domain = self._text(f)
            elif f.number == 2 and f.wire_type == VARINT:
                version = f.value
        if len(self.opsets) < MAX_OPERATORS:
            self.opsets[domain] = version

    def function(self, fn: Field, depth: int) -> None:
        name, domain = "", ""
        for f in self.reader.fields(fn.value_offset, fn.end, depth, MAX_DEPTH, salvage=True):
            if f.wire_type != LEN:
                continue
            if f.number == 1:
                name = self._text(f)
            elif f.number == 10:
                domain = self._text(f)
            elif f.number == 7:
                self.node(f, depth + 1)
            elif f.number == 9:
                self.opset(f, depth + 1)
        if len(self.local_functions) < MAX_OPERATORS:
            self.local_functions.add((domain, name))

    def node(self, n: Field, depth: int) -> None:
        op_type, domain, name = "", "", ""
        try:
            for f in self.reader.fields(n.value_offset, n.end, depth, MAX_DEPTH, salvage=True):
                if f.wire_type != LEN:
                    continue
                if f.number == 4:
                    op_type = self._text(f)
                elif f.number == 7:
                    domain = self._text(f)
                elif f.number == 3:
                    name = self._text(f)
                elif f.number == 5:
                    self.attribute(f, depth + 1)
        finally:  # a node cut short still counts with what was read of it
            if op_type or domain:
                self._record_op(domain, op_type, name, n.offset)

    def attribute(self, a: Field, depth: int) -> None:
        for f in self.reader.fields(a.value_offset, a.end, depth, MAX_DEPTH, salvage=True):
            if f.wire_type != LEN:
                continue
            if f.number in (6, 11):
                self.graph(f, depth + 1)
            elif f.number in (5, 10):
                self.tensor(f, depth + 1, "attribute tensor")
            elif f.number in (22, 23):
                self.sparse(f, depth + 1, "attribute sparse tensor")

    def sparse(self, s: Field, depth: int, role: str) -> None:
        for f in self.reader.fields(s.value_offset, s.end, depth, MAX_DEPTH, salvage=True):
            if f.wire_type == LEN and f.number in (1, 2):
                self.tensor(f, depth + 1, role)

    def tensor(self, t: Field, depth: int, role: str) -> None:
        tensor = _Tensor()
        try:
            for f in self.reader.fields(t.value_offset, t.end, depth, MAX_DEPTH, salvage=True):
                if f.number == 8 and f.wire_type == LEN:
                    tensor.name = self._text(f)
                elif f.number == 14 and f.wire_type == VARINT:
                    tensor.external_location = f.value == 1
                elif f.number == 13 and f.wire_type == LEN and len(tensor.entries) < MAX_EXTERNAL_ENTRIES:
                    tensor.entries.append(self.entry(f, depth + 1))
        finally:  # external references read before a cut are still checked
            if tensor.external_location or tensor.entries:
                self.external.check(role, tensor.name, tensor.external_location, tensor.entries, t.offset)

    def entry(self, e: Field, depth: int) -> tuple[str, str, int]:
        key, value = "", ""
        for f in self.reader.fields(e.value_offset, e.end, depth, MAX_DEPTH, salvage=True):
            if f.wire_type != LEN:
                continue
            if f.number == 1:
                key = self._text(f)
            elif f.number == 2:
                value = self._text(f)
        return key, value, e.offset

    # -- operators --------------------------------------------------------------------------------------
    def _record_op(self, domain: str, op_type: str, node_name: str, offset: int) -> None:
        key = (domain, op_type)
        use = self.ops.get(key)
        if use is not None:
            use.count += 1
            return
        if len(self.ops) >= MAX_OPERATORS:
            self.ops_overflow += 1
            return
        self.ops[key] = _OperatorUse(1, node_name, offset)

    def report_operators(self) -> None:
        custom: dict[str, list[tuple[str, _OperatorUse]]] = {}
        for (domain, op_type), use in self.ops.items():
            where = Location(offset=use.offset, key=f"node:{use.first_node or op_type}")
            if op_type in PYTHON_OPS or domain in PYTHON_DOMAINS:
                self.ctx.report(
                    PYTHON_OPERATOR,
                    f"operator {op_type!r} in domain {domain or 'ai.onnx'!r} runs Python code when the model is "
                    f"executed ({use.count} node(s))",
                    location=where,
                    evidence=f"node {use.first_node!r}: domain={domain!r} op_type={op_type!r}",
                )
            elif not is_standard_domain(domain) and (domain, op_type) not in self.local_functions:
                custom.setdefault(domain, []).append((op_type, use))
        for domain, uses in sorted(custom.items()):
            first_op, first = uses[0]
            names = ", ".join(sorted(op for op, _ in uses)[:10]) + (" …" if len(uses) > 10 else "")
            version = self.opsets.get(domain)
            self.ctx.report(
                CUSTOM_DOMAIN,
                f"{sum(u.count for _, u in uses)} node(s) use operators of custom domain {domain!r}: {names}; "
                "a custom-op library must be loaded to run them",
                location=Location(offset=first.offset, key=f"node:{first.first_node or first_op}"),
                evidence=f"domain={domain!r} ops=[{names}]"
                + (f" opset_import version={version}" if version is not None else ""),
            )
        if self.ops_overflow:
            self.ctx.report(
                TOO_MANY_OPERATORS,
                f"{self.ops_overflow} node(s) beyond {MAX_OPERATORS} distinct operators were not checked",
                evidence=f"distinct operators tracked: {len(self.ops)}",
            )


def _sniff_onnx(head: bytes, name: str) -> bool:
    parsed = parse_head(head, whole=len(head) < 4096)
    if parsed is None or not parsed.fields:
        return False
    graph_seen = False
    has_ir = False
    for f in parsed.fields:
        if MODEL_FIELDS.get(f.number) != f.wire_type:
            return False
        if f.number == 1:
            if not 1 <= f.value <= MAX_IR_VERSION:
                return False
            has_ir = True
        complete = f.end <= len(head)
        if f.number in MODEL_STRINGS and complete:
            try:
                head[f.value_offset : f.end].decode("utf-8")
            except UnicodeDecodeError:
                return False
        if f.number == 7:
            inner = parse_head(head[f.value_offset : min(f.end, len(head))], whole=complete)
            if inner is None or any(g.number not in GRAPH_FIELDS or g.wire_type != LEN for g in inner.fields):
                return False
            graph_seen = True
    reachable = graph_seen or (parsed.cut and parsed.fields[-1].wire_type == LEN)
    if not reachable:
        return False
    return has_ir or name.endswith(".onnx")


def _scan_onnx(ctx: ScanContext, stream: BinaryIO) -> None:
    reader = WireReader(stream)
    walker = _OnnxWalker(ctx, reader)
    error: ProtobufError | None = None
    try:
        walker.model(0, reader.size)
    except ProtobufError as exc:
        error = exc
    walker.report_operators()
    walker.external.finish()
    if error is not None:
        severe = (ctx.max_severity() or Severity.INFO) >= Severity.HIGH
        ctx.report(
            MALFORMED,
            f"ONNX protobuf invalid: {error.reason}",
            location=Location(offset=error.offset),
            evidence=f"stopped at byte {error.offset} of {reader.size}",
            severity=Severity.HIGH if severe else None,
        )


def _model_shaped(stream: BinaryIO) -> bool:
    """True when every top-level field is a ModelProto field of the right wire type and a graph is present:
    an ONNX model the strict sniff passed over (fields reordered, graph first), which loaders still accept."""
    reader = WireReader(stream)
    graph = False
    try:
        for f in reader.fields(0, reader.size):
            if MODEL_FIELDS.get(f.number) != f.wire_type or (
                f.number == 1 and not 1 <= f.value <= MAX_IR_VERSION
            ):
                return False
            graph = graph or f.number == 7
    except ProtobufError:
        return False
    return graph


def _scan_protobuf(ctx: ScanContext, stream: BinaryIO) -> None:
    if _model_shaped(stream):
        ctx.formats.append("onnx")
        _scan_onnx(ctx, stream)
        return
    scan_protobuf(ctx, stream)


ONNX_HANDLER = FormatHandler(name="onnx", sniff=_sniff_onnx, scan=_scan_onnx, needs_seek=True)
PROTOBUF_HANDLER = FormatHandler(name="protobuf", sniff=sniff_protobuf, scan=_scan_protobuf, needs_seek=True)

__all__ = ["ONNX_HANDLER", "PROTOBUF_HANDLER"]
