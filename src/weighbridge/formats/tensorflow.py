"""TensorFlow SavedModel (``saved_model.pb``), frozen GraphDef (``.pb``) and Keras ``keras_metadata.pb``.

All three are protobuf messages; they are recognised by their structure, not their names, and walked with the
schema-less wire reader (``protobuf.WireReader``): nothing is imported from TensorFlow and no op is run.

The walk visits every node of the graph and of every function in the function library (where Keras and
``tf.function`` put the real work) and judges operators by what running the graph would make them do:

* ``PyFunc`` / ``PyFuncStateless`` / ``EagerPyFunc`` call back into Python: whatever function the process
  registered under the token runs (critical).
* file operators (``ReadFile``, ``WriteFile``, ``MatchingFiles``, checkpoint ``Save``/``Restore`` ops, readers,
  datasets, lookup-table initialisers, debug dumps) are traced back to the string constants that feed them;
  absolute, ``..`` and URL paths are high, file writes and network operators are high, plain reads medium.
* operators outside the TensorFlow runtime (``data/tensorflow_ops.txt``) and outside the model's own function
  library need a custom-op library loaded into the process (medium).

Keras metadata (``keras_metadata.pb`` and the ``metadata`` of Keras objects in the SavedObjectGraph) is JSON
that Keras deserialises like a ``.keras`` config; it goes to the Keras configuration checker.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import BinaryIO

from ..core.findings import Check, Location, Rule, Severity
from ..core.rules import define
from ..core.rules import get as get_rule
from .base import FormatHandler, ScanContext
from .protobuf import I32, I64, LEN, VARINT, Field, ProtobufError, WireReader, parse_head

PY_FUNC = define(
    "WB-TF-001",
    Check.ARTIFACT,
    Severity.CRITICAL,
    "TensorFlow graph calls Python (PyFunc)",
    "A PyFunc, PyFuncStateless or EagerPyFunc operator hands control to a Python function registered in the "
    "process under a token. Running the graph runs that Python code (tf.py_function / tf.numpy_function); a "
    "model that needs it cannot be served without executing arbitrary Python.",
)
FILE_PATH = define(
    "WB-TF-002",
    Check.ARTIFACT,
    Severity.HIGH,
    "TensorFlow file operator with an absolute, '..' or remote path",
    "A file operator (ReadFile, WriteFile, MatchingFiles, Save/Restore, readers, datasets, table initialisers, "
    "debug dumps) is fed a path constant that is absolute, climbs out with '..' or names a URL. Running the "
    "graph reads or writes that file on the serving host, e.g. /etc/passwd or ~/.ssh.",
)
FILE_WRITE = define(
    "WB-TF-003",
    Check.ARTIFACT,
    Severity.HIGH,
    "TensorFlow graph writes files or opens connections",
    "The graph contains an operator that writes files (WriteFile, dataset savers, debug dumps) or talks to the "
    "network (RPC, data service, SQL datasets) whenever it runs. Inference graphs have no need for either.",
)
FILE_READ = define(
    "WB-TF-004",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "TensorFlow graph reads files at run time",
    "The graph contains an operator that reads files or lists directories when it runs (ReadFile, "
    "MatchingFiles, readers, file datasets, vocabulary tables). The paths could not be shown to leave the "
    "model's folder, but what is read depends on the serving host.",
)
CUSTOM_OP = define(
    "WB-TF-005",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "TensorFlow operator outside the TensorFlow runtime",
    "The graph uses operators that are neither built into TensorFlow nor defined by the model's function "
    "library. Running it requires loading a custom-op library (native code, tf.load_op_library) supplied "
    "with or for the model.",
)
ASSET_PATH = define(
    "WB-TF-006",
    Check.ARTIFACT,
    Severity.HIGH,
    "SavedModel asset path leaves the model folder",
    "An asset file of the SavedModel is named with an absolute path or climbs out with '..'. Loading the "
    "model hands that host file to the graph (vocabulary tables read it).",
)
MALFORMED = define(
    "WB-TF-007",
    Check.ARTIFACT,
    Severity.HIGH,
    "TensorFlow graph could not be parsed to the end",
    "The SavedModel or GraphDef protobuf is truncated, invalid or nested too deeply. Graphs can call Python "
    "and touch files, so what could not be read is not reported clean.",
)
TOO_LARGE = define(
    "WB-TF-008",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "TensorFlow graph too large to check completely",
    "The graph has more nodes, functions or distinct operators than the scanner tracks; the rest was not "
    "checked.",
)
KERAS_METADATA = define(
    "WB-TF-009",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Keras SavedModel metadata could not be read",
    "A Keras object's metadata in the SavedModel is not valid UTF-8 JSON, so the layer configuration it "
    "describes (Lambda layers, custom objects) was not checked.",
)

PY_FUNC_OPS = frozenset({"PyFunc", "PyFuncStateless", "EagerPyFunc"})
CHECKPOINT_OPS = frozenset(
    {
        "Save",
        "SaveV2",
        "SaveSlices",
        "Restore",
        "RestoreV2",
        "RestoreSlice",
        "ShardedFilename",
        "ShardedFilespec",
        "MergeV2Checkpoints",
    }
)
READ_OPS = frozenset(
    {
        "ReadFile",
        "MatchingFiles",
        "InitializeTableFromTextFile",
        "InitializeTableFromTextFileV2",
        "WholeFileReader",
        "WholeFileReaderV2",
        "TextLineReader",
        "TextLineReaderV2",
        "TFRecordReader",
        "TFRecordReaderV2",
        "FixedLengthRecordReader",
        "FixedLengthRecordReaderV2",
        "ReaderRead",
        "ReaderReadV2",
        "ReaderReadUpTo",
        "ReaderReadUpToV2",
        "TFRecordDataset",
        "TFRecordDatasetV2",
        "TextLineDataset",
        "FixedLengthRecordDataset",
        "FixedLengthRecordDatasetV2",
        "CSVDataset",
        "CSVDatasetV2",
        "ExperimentalCSVDataset",
        "LMDBDataset",
        "ExperimentalLMDBDataset",
        "LoadDataset",
        "ImmutableConst",
        "LoadAndRemapMatrix",
        "GenerateVocabRemapping",
        "DecodeProtoV2",
        "FileSystemSetConfiguration",
    }
)
WRITE_OPS = frozenset(
    {
        "WriteFile",
        "SaveDataset",
        "SaveDatasetV2",
        "DatasetToTFRecord",
        "ExperimentalDatasetToTFRecord",
        "SnapshotDataset",
        "SnapshotDatasetV2",
        "CacheDataset",
        "CacheDatasetV2",
        "DebugIdentity",
        "DebugIdentityV2",
        "DebugIdentityV3",
        "DebugNanCount",
        "DebugNumericSummary",
        "DebugNumericSummaryV2",
        "DistributedSave",
        "WriteRawProtoSummary",
    }
)
SUMMARY_OPS = frozenset(
    {
        "CreateSummaryFileWriter",
        "WriteSummary",
        "WriteScalarSummary",
        "WriteHistogramSummary",
        "WriteImageSummary",
        "WriteAudioSummary",
        "WriteGraphSummary",
        "FlushSummaryWriter",
    }
)
NETWORK_OPS = frozenset(
    {
        "RpcServer",
        "RpcClient",
        "RpcCall",
        "RpcServerStart",
        "RpcServerRegister",
        "RpcCheckStatus",
        "RpcGetValue",
        "DataServiceDataset",
        "DataServiceDatasetV2",
        "DataServiceDatasetV3",
        "DataServiceDatasetV4",
        "SqlDataset",
        "ExperimentalSqlDataset",
        "RegisterDataset",
        "RegisterDatasetV2",
    }
)
PATH_OPS = CHECKPOINT_OPS | READ_OPS | WRITE_OPS | SUMMARY_OPS | NETWORK_OPS
# Attributes whose strings are paths or URLs the operator uses (debug dumps, descriptor files, mmaps).
PATH_ATTRS = frozenset(
    {
        "debug_urls",
        "dump_root",
        "descriptor_source",
        "memory_region_name",
        "filename",
        "file_path",
        "path",
        "logdir",
    }
)

MAX_DEPTH = 64
MAX_NODES = 2_000_000
FAST_NODE_BYTES = 64 * 1024
MAX_TRACED_NODES = 200_000  # nodes kept (with their inputs) for tracing paths; bounds memory on huge graphs
MAX_FUNCTIONS = 100_000
MAX_OPS = 20_000
MAX_STRINGS_PER_NODE = 16
MAX_INPUTS_PER_NODE = 256
MAX_TRACE = 512  # nodes visited tracing one operator's inputs back to constants
MAX_REPORTS_PER_RULE = 20
STRING_CAP = 4096
DT_STRING = 7
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
_OP_NAME = re.compile(r"^[A-Za-z_>][A-Za-z0-9_>.]*$")


@cache
def standard_ops() -> frozenset[str]:
    """The operators built into TensorFlow (data file; comments and blank lines ignored)."""
    text = (Path(__file__).parent / "data" / "tensorflow_ops.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def escaping_path(text: str) -> str | None:
    """Why ``text`` used as a path leaves the model's folder, or None."""
    if not text:
        return None
    if _URL.match(text):
        return "a URL" if not text.lower().startswith("file://") else "an absolute file URL"
    if text.startswith(("/", "\\", "~")) or _DRIVE.match(text):
        return "an absolute path"
    if ".." in re.split(r"[\\/]", text):
        return "a path that climbs out with '..'"
    return None


@dataclass(slots=True)
class _Node:
    op: str
    inputs: list[str]
    strings: list[str]  # string constants (Const tensors) and path-like attribute strings
    offset: int


@dataclass(slots=True)
class _Scope:
    """A graph or one function body: node names are unique within it."""

    name: str
    nodes: dict[str, _Node] = field(default_factory=dict)
    args: set[str] = field(default_factory=set)


@dataclass(slots=True)
class _OpUse:
    count: int
    scope: str
    node: str
    offset: int


class _Walker:
    def __init__(self, ctx: ScanContext, reader: WireReader) -> None:
        self.ctx = ctx
        self.reader = reader
        self.scopes: list[_Scope] = []
        self.functions: set[str] = set()
        self.ops: dict[str, _OpUse] = {}
        self.node_count = 0
        self.overflow: list[str] = []
        self.keras_metadata: list[tuple[str, bytes]] = []
        self.tags: list[str] = []
        self.version = ""
        self.reported: dict[str, int] = {}
        self.untraced = False  # some nodes were not kept for tracing (MAX_TRACED_NODES)

    # -- helpers --------------------------------------------------------------------------------------------
    def text(self, f: Field, cap: int = STRING_CAP) -> str:
        value, truncated = self.reader.string(f, cap)
        return value + "…" if truncated else value

    def fields(self, parent: Field, depth: int) -> list[Field]:
        return list(self.reader.fields(parent.value_offset, parent.end, depth, MAX_DEPTH))

    def report(self, rule: Rule, detail: str, location: Location, evidence: str) -> None:
        count = self.reported.get(rule.id, 0)
        self.reported[rule.id] = count + 1
        if count < MAX_REPORTS_PER_RULE:
            self.ctx.report(rule, detail, location=location, evidence=evidence)

    # -- SavedModel -------------------------------------------------------------------------------------------
    def saved_model(self) -> None:
        for f in self.reader.fields(0, self.reader.size, 0, MAX_DEPTH):
            if f.number == 2 and f.wire_type == LEN:
                self.meta_graph(f, 1)

    def meta_graph(self, m: Field, depth: int) -> None:
        for f in self.reader.fields(m.value_offset, m.end, depth, MAX_DEPTH):
            if f.wire_type != LEN:
                continue
            if f.number == 1:
                self.meta_info(f, depth + 1)
            elif f.number == 2:
                self.graph(f, depth + 1, "graph")
            elif f.number == 6:
                self.asset(f, depth + 1)
            elif f.number == 7:
                self.object_graph(f, depth + 1)

    def meta_info(self, m: Field, depth: int) -> None:
        for f in self.reader.fields(m.value_offset, m.end, depth, MAX_DEPTH):
            if f.wire_type == LEN and f.number == 4 and len(self.tags) < 16:
                self.tags.append(self.text(f, 256))
            elif f.wire_type == LEN and f.number == 5:
                self.version = self.text(f, 64)

    def asset(self, a: Field, depth: int) -> None:
        for f in self.reader.fields(a.value_offset, a.end, depth, MAX_DEPTH):
            if f.number == 2 and f.wire_type == LEN:
                name = self.text(f)
                why = escaping_path(name)
                if why is not None:
                    self.report(
                        ASSET_PATH,
                        f"asset file is {why}: {name!r}",
                        Location(offset=a.offset, key="asset_file_def"),
                        name[:200],
                    )

    def object_graph(self, g: Field, depth: int) -> None:
        for i, f in enumerate(self.reader.fields(g.value_offset, g.end, depth, MAX_DEPTH)):
            if f.number == 1 and f.wire_type == LEN:
                for o in self.reader.fields(f.value_offset, f.end, depth + 1, MAX_DEPTH):
                    if o.number == 4 and o.wire_type == LEN:
                        self.user_object(o, depth + 2, i)

    def user_object(self, u: Field, depth: int, index: int) -> None:
        identifier, metadata = "", b""
        for f in self.reader.fields(u.value_offset, u.end, depth, MAX_DEPTH):
            if f.wire_type != LEN:
                continue
            if f.number == 1:
                identifier = self.text(f, 256)
            elif f.number == 3 and f.value <= self.ctx.limits.max_header_bytes:
                metadata = self.reader.read(f.value_offset, f.value, f.end)
        if metadata and identifier.startswith("_tf_keras"):
            self.keras_metadata.append((f"object_graph_def.nodes[{index}].metadata", metadata))

    # -- graphs and functions ---------------------------------------------------------------------------------
    def graph(self, g: Field, depth: int, name: str) -> None:
        scope = _Scope(name)
        self.scopes.append(scope)
        for f in self.reader.fields(g.value_offset, g.end, depth, MAX_DEPTH):
            if f.wire_type != LEN:
                continue
            if f.number == 1:
                self.node(f, depth + 1, scope)
            elif f.number == 2:
                self.library(f, depth + 1)

    def graph_def(self) -> None:
        self.graph(Field(0, LEN, 0, 0, self.reader.size, self.reader.size), 0, "graph")

    def library(self, lib: Field, depth: int) -> None:
        for f in self.reader.fields(lib.value_offset, lib.end, depth, MAX_DEPTH):
            if f.number == 1 and f.wire_type == LEN:
                if len(self.functions) >= MAX_FUNCTIONS:
                    self.overflow.append(f"more than {MAX_FUNCTIONS} functions")
                    return
                self.function(f, depth + 1)

    def function(self, fn: Field, depth: int) -> None:
        scope = _Scope("function")
        self.scopes.append(scope)
        for f in self.reader.fields(fn.value_offset, fn.end, depth, MAX_DEPTH):
            if f.wire_type != LEN:
                continue
            if f.number == 1:
                self.signature(f, depth + 1, scope)
            elif f.number == 3:
                self.node(f, depth + 1, scope)

    def signature(self, sig: Field, depth: int, scope: _Scope) -> None:
        for f in self.reader.fields(sig.value_offset, sig.end, depth, MAX_DEPTH):
            if f.wire_type != LEN:
                continue
            if f.number == 1:
                scope.name = self.text(f, 512)
                self.functions.add(scope.name)
            elif f.number == 2:  # input_arg: ArgDef.name = 1
                for a in self.reader.fields(f.value_offset, f.end, depth + 1, MAX_DEPTH):
                    if a.number == 1 and a.wire_type == LEN:
                        scope.args.add(self.text(a, 512))

    def node(self, n: Field, depth: int, scope: _Scope) -> None:
        self.node_count += 1
        if self.node_count > MAX_NODES:
            if not self.overflow:
                self.overflow.append(f"more than {MAX_NODES} nodes")
            return
        if n.value <= FAST_NODE_BYTES:  # the common case: parse the node's bytes in one piece
            name, op, inputs, strings = _parse_small_node(
                self.reader.read(n.value_offset, n.value, n.end), n.value_offset
            )
        else:  # large nodes (weight constants): stream, never reading tensor bytes
            name, op, inputs, strings = self.large_node(n, depth)
        if self.node_count <= MAX_TRACED_NODES or strings or op in PATH_OPS or op in PY_FUNC_OPS:
            scope.nodes[name] = _Node(op, inputs, strings, n.offset)
        else:
            self.untraced = True
        self.record_op(op, scope, name, n.offset)

    def large_node(self, n: Field, depth: int) -> tuple[str, str, list[str], list[str]]:
        name, op = "", ""
        inputs: list[str] = []
        attrs: list[Field] = []
        for f in self.reader.fields(n.value_offset, n.end, depth, MAX_DEPTH):
            if f.wire_type != LEN:
                continue
            if f.number == 1:
                name = self.text(f, 1024)
            elif f.number == 2:
                op = self.text(f, 1024)
            elif f.number == 3 and len(inputs) < MAX_INPUTS_PER_NODE:
                inputs.append(self.text(f, 1024))
            elif f.number == 5 and len(attrs) < 256:
                attrs.append(f)
        strings: list[str] = []
        if op == "Const" or op in PATH_OPS or op in PY_FUNC_OPS:
            for a in attrs:
                self.attr_entry(a, depth + 1, op, strings)
        return name, op, inputs, strings

    def attr_entry(self, entry: Field, depth: int, op: str, strings: list[str]) -> None:
        key, value = "", None
        for f in self.reader.fields(entry.value_offset, entry.end, depth, MAX_DEPTH):
            if f.number == 1 and f.wire_type == LEN:
                key = self.text(f, 256)
            elif f.number == 2 and f.wire_type == LEN:
                value = f
        if value is None:
            return
        if op == "Const" and key == "value":
            for f in self.reader.fields(value.value_offset, value.end, depth + 1, MAX_DEPTH):
                if f.number == 8 and f.wire_type == LEN:
                    self.tensor_strings(f, depth + 2, strings)
        elif op != "Const" and (key in PATH_ATTRS or op in PY_FUNC_OPS):
            self.attr_strings(value, depth + 1, strings, key)

    def attr_strings(self, value: Field, depth: int, strings: list[str], key: str) -> None:
        for f in self.reader.fields(value.value_offset, value.end, depth, MAX_DEPTH):
            if f.number == 2 and f.wire_type == LEN and len(strings) < MAX_STRINGS_PER_NODE:
                strings.append(f"{key}={self.text(f)}" if key == "token" else self.text(f))
            elif f.number == 1 and f.wire_type == LEN:  # ListValue: repeated bytes s = 2
                for s in self.reader.fields(f.value_offset, f.end, depth + 1, MAX_DEPTH):
                    if s.number == 2 and s.wire_type == LEN and len(strings) < MAX_STRINGS_PER_NODE:
                        strings.append(self.text(s))

    def tensor_strings(self, t: Field, depth: int, strings: list[str]) -> None:
        dtype = 0
        values: list[Field] = []
        for f in self.reader.fields(t.value_offset, t.end, depth, MAX_DEPTH):
            if f.number == 1 and f.wire_type == VARINT:
                dtype = f.value
            elif f.number == 8 and f.wire_type == LEN and len(values) < MAX_STRINGS_PER_NODE:
                values.append(f)
            elif f.wire_type not in (VARINT, LEN, I32, I64):
                return
        if dtype == DT_STRING or values:
            strings.extend(self.text(f) for f in values)

    def record_op(self, op: str, scope: _Scope, node: str, offset: int) -> None:
        use = self.ops.get(op)
        if use is not None:
            use.count += 1
        elif len(self.ops) < MAX_OPS:
            self.ops[op] = _OpUse(1, scope.name, node, offset)
        elif not self.overflow:
            self.overflow.append(f"more than {MAX_OPS} distinct operators")

    # -- judging --------------------------------------------------------------------------------------------
    def trace(self, scope: _Scope, node: _Node) -> tuple[list[str], bool]:
        """String constants feeding ``node`` (transitively) and whether the trace reached a function argument
        or a node it could not resolve."""
        found: list[str] = list(node.strings)
        open_end = False
        seen: set[str] = set()
        queue = deque(node.inputs)
        while queue and len(seen) < MAX_TRACE:
            raw = queue.popleft()
            name = raw.lstrip("^").split(":", 1)[0]
            if name in seen:
                continue
            seen.add(name)
            upstream = scope.nodes.get(name)
            if upstream is None:
                open_end = open_end or name in scope.args or not raw.startswith("^") or self.untraced
                continue
            found.extend(upstream.strings)
            queue.extend(upstream.inputs)
        return found, open_end

    def judge(self) -> None:
        escaping_anywhere: list[str] = []
        for scope in self.scopes:
            for n in scope.nodes.values():
                if n.op == "Const":
                    escaping_anywhere.extend(s for s in n.strings if escaping_path(s))
        for scope in self.scopes:
            for name, n in scope.nodes.items():
                if n.op in PY_FUNC_OPS:
                    tokens = [s for s in n.strings if s.startswith("token=")]
                    self.report(
                        PY_FUNC,
                        f"operator {n.op} in {scope.name} runs a Python function registered in the "
                        "serving process",
                        Location(offset=n.offset, key=f"node:{name}"),
                        f"node {name!r} op={n.op}" + (f" {tokens[0]}" if tokens else ""),
                    )
                elif n.op in PATH_OPS:
                    self.judge_path_op(scope, name, n, escaping_anywhere)

    def judge_path_op(self, scope: _Scope, name: str, n: _Node, escaping_anywhere: list[str]) -> None:
        strings, open_end = self.trace(scope, n)
        bad = [(s, why) for s in strings if (why := escaping_path(s)) is not None]
        where = Location(offset=n.offset, key=f"node:{name}")
        if not bad and open_end and escaping_anywhere and n.op not in CHECKPOINT_OPS:
            bad = [
                (s, "a path constant elsewhere in the graph that may be passed in") for s in escaping_anywhere
            ]
        if bad:
            path, why = bad[0]
            self.report(
                FILE_PATH,
                f"{n.op} in {scope.name} is fed {why}: {path!r}",
                where,
                f"node {name!r} op={n.op} path={path[:200]!r}",
            )
        elif n.op in WRITE_OPS or n.op in NETWORK_OPS:
            kind = "talks to the network" if n.op in NETWORK_OPS else "writes files"
            self.report(
                FILE_WRITE,
                f"{n.op} in {scope.name} {kind} whenever the graph runs",
                where,
                f"node {name!r} op={n.op}" + (f" strings={strings[:3]!r}" if strings else ""),
            )
        elif n.op in READ_OPS:
            self.report(
                FILE_READ,
                f"{n.op} in {scope.name} reads files when the graph runs",
                where,
                f"node {name!r} op={n.op}" + (f" strings={strings[:3]!r}" if strings else ""),
            )

    def report_custom_ops(self) -> None:
        known = standard_ops()
        custom = {
            op: use
            for op, use in self.ops.items()
            if op and op not in known and op not in self.functions and op not in PATH_OPS
        }
        if not custom:
            return
        names = sorted(custom)
        first = custom[names[0]]
        listed = ", ".join(names[:15]) + (" …" if len(names) > 15 else "")
        self.ctx.report(
            CUSTOM_OP,
            f"{sum(u.count for u in custom.values())} node(s) use {len(names)} operator(s) "
            f"outside the TensorFlow runtime: {listed}; a custom-op library must be loaded to run them",
            location=Location(offset=first.offset, key=f"node:{first.node}"),
            evidence=f"ops=[{listed}]",
        )

    def finish(self) -> None:
        self.judge()
        self.report_custom_ops()
        for rule_id, count in self.reported.items():
            if count > MAX_REPORTS_PER_RULE:
                self.ctx.report(
                    get_rule(rule_id),
                    f"{count - MAX_REPORTS_PER_RULE} more finding(s) of this kind were not listed",
                    evidence=f"first {MAX_REPORTS_PER_RULE} reported",
                )
        if self.overflow:
            self.ctx.report(TOO_LARGE, "; ".join(self.overflow), evidence=f"nodes read: {self.node_count}")
        check_keras_metadata(self.ctx, self.keras_metadata)


# -- fast path for small nodes: one bytes object, local varint decoding ---------------------------------------


def _varint(buf: bytes, pos: int, end: int, base: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end:
            raise ProtobufError(base + pos, "varint runs past the end of its message")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise ProtobufError(base + pos, "varint longer than 10 bytes")


def _bfields(buf: bytes, pos: int, end: int, base: int) -> Iterator[tuple[int, int, int, int]]:
    """(number, wire type, a, b): VARINT a = value; LEN / fixed a..b = the payload span."""
    while pos < end:
        tag, pos = _varint(buf, pos, end, base)
        number, wire = tag >> 3, tag & 7
        if number == 0:
            raise ProtobufError(base + pos, "invalid field number 0")
        if wire == VARINT:
            value, pos = _varint(buf, pos, end, base)
            yield number, wire, value, pos
        elif wire == LEN:
            n, pos = _varint(buf, pos, end, base)
            if pos + n > end:
                raise ProtobufError(
                    base + pos, f"field {number}: length {n} runs past the end of the message"
                )
            yield number, wire, pos, pos + n
            pos += n
        elif wire in (I64, I32):
            width = 8 if wire == I64 else 4
            if pos + width > end:
                raise ProtobufError(base + pos, f"field {number}: fixed-width value runs past the end")
            yield number, wire, pos, pos + width
            pos += width
        else:
            raise ProtobufError(base + pos, f"field {number}: invalid wire type {wire}")


def _dec(raw: bytes, cap: int = STRING_CAP) -> str:
    text = raw[:cap].decode("utf-8", errors="replace")
    return text + "…" if len(raw) > cap else text


def _parse_small_node(buf: bytes, base: int) -> tuple[str, str, list[str], list[str]]:
    name, op = "", ""
    inputs: list[str] = []
    attrs: list[tuple[int, int]] = []
    for number, wire, a, b in _bfields(buf, 0, len(buf), base):
        if wire != LEN:
            continue
        if number == 1:
            name = _dec(buf[a:b], 1024)
        elif number == 2:
            op = _dec(buf[a:b], 1024)
        elif number == 3 and len(inputs) < MAX_INPUTS_PER_NODE:
            inputs.append(_dec(buf[a:b], 1024))
        elif number == 5 and len(attrs) < 256:
            attrs.append((a, b))
    strings: list[str] = []
    if op == "Const" or op in PATH_OPS or op in PY_FUNC_OPS:
        for a, b in attrs:
            _small_attr(buf, a, b, base, op, strings)
    return name, op, inputs, strings


def _small_attr(buf: bytes, start: int, end: int, base: int, op: str, strings: list[str]) -> None:
    key, value = "", None
    for number, wire, a, b in _bfields(buf, start, end, base):
        if wire == LEN and number == 1:
            key = _dec(buf[a:b], 256)
        elif wire == LEN and number == 2:
            value = (a, b)
    if value is None:
        return
    if op == "Const" and key == "value":
        for number, wire, a, b in _bfields(buf, value[0], value[1], base):
            if number == 8 and wire == LEN:  # TensorProto: string_val = 8
                for n2, w2, p, q in _bfields(buf, a, b, base):
                    if n2 == 8 and w2 == LEN and len(strings) < MAX_STRINGS_PER_NODE:
                        strings.append(_dec(buf[p:q]))
    elif op != "Const" and (key in PATH_ATTRS or op in PY_FUNC_OPS):
        for number, wire, a, b in _bfields(buf, value[0], value[1], base):
            if number == 2 and wire == LEN and len(strings) < MAX_STRINGS_PER_NODE:
                strings.append(f"{key}={_dec(buf[a:b])}" if key == "token" else _dec(buf[a:b]))
            elif number == 1 and wire == LEN:  # ListValue: repeated bytes s = 2
                for n2, w2, p, q in _bfields(buf, a, b, base):
                    if n2 == 2 and w2 == LEN and len(strings) < MAX_STRINGS_PER_NODE:
                        strings.append(_dec(buf[p:q]))


def check_keras_metadata(ctx: ScanContext, items: list[tuple[str, bytes]]) -> None:
    """Hand Keras metadata JSON to the Keras configuration checker; a layer that appears both in its own
    metadata and in its model's config is reported once."""
    from .keras import scan_keras_config  # the Keras checker is owned and improved separately

    seen: set[tuple[str, str | None]] = set()
    for source, raw in items:
        scratch = ScanContext(
            path=ctx.path,
            limits=ctx.limits,
            nested=ctx.nested,
            member=ctx.member,
            depth=ctx.depth,
            budget=ctx.budget,
        )
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            ctx.report(
                KERAS_METADATA,
                f"{source} is not UTF-8 text",
                location=Location(key=source),
                evidence=raw[:60].hex(" "),
            )
            continue
        scan_keras_config(scratch, raw, source=source)
        for finding in scratch.findings:
            key = (finding.rule, finding.evidence)
            if key not in seen:
                seen.add(key)
                ctx.findings.append(finding)


# -- content tests ------------------------------------------------------------------------------------------


def _sub(head: bytes, f: Field) -> tuple[list[Field], bool] | None:
    """Fields of the sub-message ``f`` as far as the head holds them, and whether all of it is there."""
    complete = f.end <= len(head)
    parsed = parse_head(head[f.value_offset : min(f.end, len(head))], whole=complete)
    return (parsed.fields, complete) if parsed is not None else None


def _utf8(head: bytes, f: Field) -> str | None:
    try:
        return head[f.value_offset : min(f.end, len(head))].decode("utf-8")
    except UnicodeDecodeError:
        return None


def _is_node_def(head: bytes, f: Field) -> bool:
    inner = _sub(head, f)
    if inner is None:
        return False
    fields, _ = inner
    body = head[f.value_offset : min(f.end, len(head))]
    op_seen = False
    for g in fields:
        if g.number not in (1, 2, 3, 4, 5, 6, 7) or g.wire_type != LEN:
            return False
        if g.number == 2 and g.end <= len(body):
            op = _utf8(body, g)
            if op is None or not _OP_NAME.match(op):
                return False
            op_seen = True
    return op_seen or (bool(fields) and fields[0].number == 1 and fields[0].end > len(body))


def sniff_graph_def(head: bytes, name: str) -> bool:
    """A GraphDef: top-level node (1) / library (2) / version (3) / versions (4) fields, the first node a
    NodeDef whose operator name is an identifier."""
    parsed = parse_head(head, whole=False)
    if parsed is None or not parsed.fields:
        return False
    allowed = {1: LEN, 2: LEN, 3: VARINT, 4: LEN}
    if any(allowed.get(f.number) != f.wire_type for f in parsed.fields):
        return False
    nodes = [f for f in parsed.fields if f.number == 1]
    if not nodes:
        return False
    return all(_is_node_def(head, f) for f in nodes[:8])


def sniff_saved_model(head: bytes, name: str) -> bool:
    """A SavedModel: schema version (1) and meta graphs (2) only; the first meta graph's fields are
    MetaGraphDef fields and its MetaInfoDef (when first) holds strings where strings belong."""
    parsed = parse_head(head, whole=False)  # a truncated SavedModel is still one (and a finding)
    if parsed is None or not parsed.fields:
        return False
    if any({1: VARINT, 2: LEN}.get(f.number) != f.wire_type for f in parsed.fields):
        return False
    metas = [f for f in parsed.fields if f.number == 2]
    if not metas or any(f.number == 1 and f.value > 16 for f in parsed.fields):
        return False
    inner = _sub(head, metas[0])
    if inner is None or not inner[0]:
        return False
    fields, _ = inner
    if any(g.number not in range(1, 10) or g.wire_type != LEN for g in fields):
        return False
    first = fields[0]
    if first.number == 1:  # MetaInfoDef: meta_graph_version(1), stripped_op_list(2), tags(4), versions(5, 6)
        info = _sub(head[metas[0].value_offset :], first)
        if info is None:
            return False
        return all(g.number in range(1, 9) for g in info[0])
    return first.number == 2 and _graph_like(head[metas[0].value_offset :], first)


def _graph_like(head: bytes, f: Field) -> bool:
    inner = _sub(head, f)
    return inner is not None and all(g.number in (1, 2, 3, 4) for g in inner[0])


def sniff_keras_metadata(head: bytes, name: str) -> bool:
    """``keras_metadata.pb`` (SavedMetadata): repeated SavedObject nodes whose identifier names a Keras type."""
    if b"_tf_keras" not in head:
        return False
    parsed = parse_head(head, whole=len(head) < 4096)
    if parsed is None or not parsed.fields or any(f.number != 1 or f.wire_type != LEN for f in parsed.fields):
        return False
    inner = _sub(head, parsed.fields[0])
    if inner is None:
        return False
    return all(g.number in (2, 3, 4, 5, 6) for g in inner[0]) and any(g.number == 4 for g in inner[0])


# -- handlers ---------------------------------------------------------------------------------------------


def _run(ctx: ScanContext, stream: BinaryIO, kind: str) -> None:
    reader = WireReader(stream)
    walker = _Walker(ctx, reader)
    error: ProtobufError | None = None
    try:
        if kind == "saved_model":
            walker.saved_model()
        else:
            walker.graph_def()
    except ProtobufError as exc:
        error = exc
    walker.finish()
    if error is not None:
        ctx.report(
            MALFORMED,
            f"{kind} protobuf invalid: {error.reason}",
            location=Location(offset=error.offset),
            evidence=f"stopped at byte {error.offset} of {reader.size}; {walker.node_count} node(s) read",
        )


def _scan_saved_model(ctx: ScanContext, stream: BinaryIO) -> None:
    _run(ctx, stream, "saved_model")


def _scan_graph_def(ctx: ScanContext, stream: BinaryIO) -> None:
    _run(ctx, stream, "graph_def")


def _scan_keras_metadata(ctx: ScanContext, stream: BinaryIO) -> None:
    reader = WireReader(stream)
    items: list[tuple[str, bytes]] = []
    try:
        for i, f in enumerate(reader.fields(0, reader.size, 0, MAX_DEPTH)):
            if f.number != 1 or f.wire_type != LEN:
                continue
            for g in reader.fields(f.value_offset, f.end, 1, MAX_DEPTH):
                if g.number == 5 and g.wire_type == LEN:
                    if g.value > ctx.limits.max_header_bytes:
                        ctx.report(
                            KERAS_METADATA,
                            f"metadata of node {i} is larger than the header limit",
                            location=Location(offset=g.offset),
                            evidence=f"{g.value} bytes",
                            severity=Severity.HIGH,
                        )
                        continue
                    items.append((f"nodes[{i}].metadata", reader.read(g.value_offset, g.value, g.end)))
    except ProtobufError as exc:
        ctx.report(
            MALFORMED,
            f"keras_metadata protobuf invalid: {exc.reason}",
            location=Location(offset=exc.offset),
            evidence=f"stopped at byte {exc.offset} of {reader.size}",
        )
    check_keras_metadata(ctx, items)


# -- text format (saved_model.pbtxt, graph.pbtxt) --------------------------------------------------------------
_PBTXT_OP = re.compile(r'^\s*op\s*:\s*"([^"\\]{1,256})"', re.MULTILINE)
_PBTXT_STRING = re.compile(r'^\s*(?:string_val|s)\s*:\s*"((?:[^"\\]|\\.){0,4096})"', re.MULTILINE)
_PBTXT_MARKERS = (b"node {", b"node_def {", b"meta_graphs {", b"library {")


def sniff_pbtxt(head: bytes, name: str) -> bool:
    from .text import sniff as text_sniff

    return any(m in head for m in _PBTXT_MARKERS) and b"op:" in head and text_sniff(head, name)


def _scan_pbtxt(ctx: ScanContext, stream: BinaryIO) -> None:
    """Text-format graphs: operator names and string constants by line (no trace through inputs)."""
    cap = ctx.limits.max_header_bytes
    raw = stream.read(cap + 1)
    if len(raw) > cap:
        ctx.report(
            MALFORMED, f"text graph larger than {cap} bytes; the rest was not read", evidence=f"{cap} bytes"
        )
        raw = raw[:cap]
    text = raw.decode("utf-8", errors="replace")
    functions = set(re.findall(r'^\s*signature\s*\{\s*name\s*:\s*"([^"]+)"', text, re.MULTILINE))
    escaping = [(m.group(1), why) for m in _PBTXT_STRING.finditer(text) if (why := escaping_path(m.group(1)))]
    ops: dict[str, int] = {}
    for m in _PBTXT_OP.finditer(text):
        ops.setdefault(m.group(1), text.count("\n", 0, m.start()) + 1)
    for op, line in sorted(ops.items(), key=lambda kv: kv[1]):
        where = Location(line=line, key=f"op:{op}")
        if op in PY_FUNC_OPS:
            ctx.report(
                PY_FUNC,
                f"operator {op} runs a Python function registered in the serving process",
                location=where,
                evidence=f'op: "{op}"',
            )
        elif op in PATH_OPS and escaping and op not in CHECKPOINT_OPS | SUMMARY_OPS:
            ctx.report(
                FILE_PATH,
                f"{op} in a graph holding {escaping[0][1]}: {escaping[0][0]!r}",
                location=where,
                evidence=f'op: "{op}" path={escaping[0][0][:200]!r}',
            )
        elif op in WRITE_OPS or op in NETWORK_OPS:
            ctx.report(
                FILE_WRITE,
                f"{op} writes files or talks to the network whenever the graph runs",
                location=where,
                evidence=f'op: "{op}"',
            )
        elif op in READ_OPS:
            ctx.report(
                FILE_READ, f"{op} reads files when the graph runs", location=where, evidence=f'op: "{op}"'
            )
    custom = sorted(
        op for op in ops if op not in standard_ops() and op not in functions and op not in PATH_OPS
    )
    if custom:
        listed = ", ".join(custom[:15]) + (" …" if len(custom) > 15 else "")
        ctx.report(
            CUSTOM_OP,
            f"operators outside the TensorFlow runtime: {listed}",
            location=Location(line=ops[custom[0]]),
            evidence=f"ops=[{listed}]",
        )


SAVED_MODEL_HANDLER = FormatHandler(
    name="tf-savedmodel", sniff=sniff_saved_model, scan=_scan_saved_model, needs_seek=True
)
GRAPH_DEF_HANDLER = FormatHandler(
    name="tf-graphdef", sniff=sniff_graph_def, scan=_scan_graph_def, needs_seek=True
)
PBTXT_HANDLER = FormatHandler(name="tf-pbtxt", sniff=sniff_pbtxt, scan=_scan_pbtxt)
KERAS_METADATA_HANDLER = FormatHandler(
    name="keras-savedmodel-metadata", sniff=sniff_keras_metadata, scan=_scan_keras_metadata, needs_seek=True
)

__all__ = [
    "GRAPH_DEF_HANDLER",
    "KERAS_METADATA_HANDLER",
    "PBTXT_HANDLER",
    "SAVED_MODEL_HANDLER",
    "escaping_path",
    "standard_ops",
]
