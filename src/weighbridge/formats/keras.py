"""Keras model configurations (``config.json`` of ``.keras`` archives, ``model_config`` of legacy ``.h5``).

The whole JSON tree is walked, not just the top-level layer list: nested Functional/Sequential models,
wrappers (TimeDistributed, Bidirectional), and any dict that names something to import. Keras resolves
``module`` + ``class_name`` (Keras 3), ``registered_name`` (``package>Name``), Lambda functions (marshalled
bytecode or ``module``+``function``) and ``TFSMLayer`` SavedModels at load time; each is reported with the
JSON path where it appears and the text that names it.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ..core.findings import Check, Location, Rule, Severity
from ..core.rules import define
from .base import ScanContext

LAMBDA = define(
    "WB-KERAS-001",
    Check.ARTIFACT,
    Severity.HIGH,
    "Keras Lambda layer",
    "A Lambda layer wraps an arbitrary Python function. When the function is serialized bytecode (marshal, "
    "base64) it runs as soon as the model is loaded with safe_mode off or by Keras < 2.13 (CVE-2024-3660).",
)
CUSTOM_OBJECT = define(
    "WB-KERAS-002",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Custom object the loader imports",
    "The configuration names a class or function outside the Keras namespaces. Loading the model imports "
    "that module or needs custom code registered by the user.",
)
DANGEROUS_CALLABLE = define(
    "WB-KERAS-003",
    Check.ARTIFACT,
    Severity.CRITICAL,
    "Configuration names a dangerous module or function",
    "The configuration points the deserializer at a module or builtin that runs commands, evaluates code, "
    "touches files or opens connections (CVE-2025-1550: config.json resolves arbitrary module/class names, "
    "even with safe_mode).",
)
TFSM_LAYER = define(
    "WB-KERAS-004",
    Check.ARTIFACT,
    Severity.HIGH,
    "TFSMLayer loads an external SavedModel",
    "A TFSMLayer loads a TensorFlow SavedModel from the path in its configuration, which can carry arbitrary "
    "ops and bypasses safe_mode (CVE-2026-1462).",
)
UNSAFE_KERAS_API = define(
    "WB-KERAS-005",
    Check.ARTIFACT,
    Severity.HIGH,
    "Configuration calls a Keras API that defeats safe mode",
    "The configuration names a Keras function that switches off safe deserialization, downloads files or "
    "reads/writes the file system when the model is loaded.",
)
INVALID_CONFIG = define(
    "WB-KERAS-006",
    Check.ARTIFACT,
    Severity.HIGH,
    "Keras configuration could not be parsed",
    "The model configuration is not valid JSON, is too large or too deeply nested to inspect. A Keras "
    "configuration can name code to run (Lambda layers, arbitrary modules), and the loader may still read it "
    "differently, so a configuration that could not be inspected is treated as code that was not checked.",
)
HOST_FILE = define(
    "WB-KERAS-007",
    Check.ARTIFACT,
    Severity.HIGH,
    "Configuration makes the loader read a file from the host",
    "A layer argument that Keras treats as a file path (a StringLookup/IntegerLookup/TextVectorization "
    "vocabulary given as a string, a tokenizer's vocabulary, merges or SentencePiece proto, a weights or "
    "asset path) names a file outside the model archive. Loading the model reads that file from the "
    "machine, e.g. /etc/passwd or a private key, and exposes it through the layer's vocabulary "
    "(CVE-2025-12058).",
)

KERAS_NAMESPACES = frozenset(
    {"keras", "keras_nlp", "keras_hub", "keras_cv", "tf_keras", "tensorflow.keras", "tensorflow.python.keras"}
)
DANGEROUS_MODULES = frozenset(
    {
        "os",
        "posix",
        "nt",
        "subprocess",
        "sys",
        "importlib",
        "shutil",
        "socket",
        "pty",
        "runpy",
        "ctypes",
        "pickle",
        "_pickle",
        "dill",
        "marshal",
        "code",
        "codeop",
        "pdb",
        "bdb",
        "webbrowser",
        "multiprocessing",
        "asyncio",
        "urllib",
        "requests",
        "http",
        "ftplib",
        "telnetlib",
        "smtplib",
        "pathlib",
        "io",
        "_io",
        "tempfile",
        "signal",
        "commands",
        "popen2",
        "platform",
        "_posixsubprocess",
        "cProfile",
        "profile",
        "timeit",
        "trace",
        "imp",
        "zipimport",
        "pkgutil",
        "glob",
        "fileinput",
        "linecache",
        "types",
        "operator",
        "functools",
        "threading",
        "_thread",
        "gc",
        "inspect",
        "ast",
        "compileall",
        "py_compile",
    }
)
BUILTIN_MODULES = frozenset({"builtins", "__builtin__", "__builtins__"})
SAFE_BUILTINS = frozenset(
    {
        "int",
        "float",
        "str",
        "bool",
        "list",
        "dict",
        "tuple",
        "set",
        "frozenset",
        "bytes",
        "complex",
        "slice",
        "range",
        "function",
        "object",
        "NoneType",
        "abs",
        "min",
        "max",
        "sum",
        "round",
        "len",
    }
)
UNSAFE_IN_KERAS = frozenset(
    {"enable_unsafe_deserialization", "get_file", "load_model", "load_weights", "save_model", "save_weights"}
)
TENSORFLOW_UNSAFE = (
    "tensorflow.io",
    "tensorflow.raw_ops",
    "tensorflow.py_function",
    "tensorflow.numpy_function",
    "tensorflow.compat",
    "tensorflow.saved_model",
    "tensorflow.summary",
)

# Arguments Keras layers read as a path when they hold a string (lookup layers, keras-hub tokenizers).
PATH_WHEN_STRING = frozenset({"vocabulary", "merges", "proto", "spm_proto"})
# Arguments whose name says "file": reported when the value looks like a path.
PATH_NAMED = frozenset(
    {
        "vocabulary_file",
        "vocab_file",
        "vocabulary_path",
        "vocab_path",
        "merges_file",
        "merges_path",
        "spm_model_file",
        "sentencepiece_model_file",
        "proto_file",
        "filepath",
        "file_path",
        "filename",
        "weights_path",
        "weights_file",
        "asset_path",
        "assets_path",
        "model_path",
        "saved_model_path",
        "export_path",
    }
)

MAX_NODES = 5_000_000
MAX_FINDINGS_PER_RULE = 100
EVIDENCE_CAP = 240
MARSHAL_CODE_TYPES = (0x63, 0xE3)  # TYPE_CODE, with and without the FLAG_REF bit


def _evidence(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= EVIDENCE_CAP else text[:EVIDENCE_CAP] + "…"


def _is_bytecode(text: str) -> bool:
    """True when ``text`` is base64 of marshalled Python code (what Keras' func_dump writes)."""
    try:
        raw = base64.b64decode(text[:64].encode("ascii") + b"=" * (-min(len(text), 64) % 4), validate=False)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False
    return bool(raw) and raw[0] in MARSHAL_CODE_TYPES


def looks_like_path(text: str) -> bool:
    """A string a file API would resolve to a location (absolute, relative with a separator, home, URL)."""
    value = text.strip()
    if not value or "\n" in value:
        return False
    return (
        value.startswith(("/", "~", "./", "../", "\\", "file:", "gs:", "s3:", "hdfs:", "http:", "https:"))
        or (len(value) > 2 and value[1] == ":" and value[2] in "/\\")
        or "/" in value
        or "\\" in value
        or value.rsplit(".", 1)[-1].lower()
        in ("txt", "json", "model", "vocab", "spm", "pb", "csv", "tsv", "bin", "h5")
    )


def classify_target(dotted: str) -> Rule | None:
    """Which rule a dotted module/function name falls under: None when it stays inside Keras."""
    name = dotted.strip()
    parts = [p for p in name.replace(">", ".").split(".") if p]
    if not parts:
        return None
    top = parts[0]
    if top in BUILTIN_MODULES:
        rest = parts[1:]
        if rest and rest[-1] not in SAFE_BUILTINS:
            return DANGEROUS_CALLABLE
        return None
    if top in DANGEROUS_MODULES:
        return DANGEROUS_CALLABLE
    for ns in KERAS_NAMESPACES:
        if name == ns or name.startswith(ns + "."):
            return UNSAFE_KERAS_API if parts[-1] in UNSAFE_IN_KERAS else None
    if top == "tensorflow":
        return UNSAFE_KERAS_API if any(name.startswith(p) for p in TENSORFLOW_UNSAFE) else CUSTOM_OBJECT
    return CUSTOM_OBJECT


class _ConfigWalker:
    def __init__(self, ctx: ScanContext, source: str) -> None:
        self.ctx = ctx
        self.source = source
        self.counts: dict[Rule, int] = {}
        self.suppressed: dict[Rule, int] = {}
        self.seen: set[tuple[str, str]] = set()
        self.handled: set[str] = set()  # paths of function dicts already reported with their Lambda layer

    def report(
        self, rule: Rule, path: str, detail: str, evidence: Any, severity: Severity | None = None
    ) -> None:
        if self.counts.get(rule, 0) >= MAX_FINDINGS_PER_RULE:
            self.suppressed[rule] = self.suppressed.get(rule, 0) + 1
            return
        self.counts[rule] = self.counts.get(rule, 0) + 1
        self.ctx.report(
            rule,
            detail,
            location=Location(key=f"{self.source}:{path}"),
            evidence=_evidence(evidence),
            severity=severity,
        )

    def walk(self, root: Any) -> None:
        stack: list[tuple[str, Any]] = [("$", root)]
        nodes = 0
        while stack:
            path, node = stack.pop()
            nodes += 1
            if nodes > MAX_NODES:
                self.report(
                    INVALID_CONFIG,
                    path,
                    f"configuration has more than {MAX_NODES} JSON values; the rest was not inspected",
                    path,
                )
                return
            if isinstance(node, dict):
                self.visit(path, node)
                children = [(f"{path}.{k}", v) for k, v in node.items() if isinstance(v, dict | list)]
            elif isinstance(node, list):
                children = [(f"{path}[{i}]", v) for i, v in enumerate(node) if isinstance(v, dict | list)]
            else:
                continue
            stack.extend(reversed(children))
        for rule, count in self.suppressed.items():
            self.ctx.report(
                rule,
                f"{count} more occurrence(s) of this kind were not listed",
                location=Location(key=self.source),
                evidence=f"first {MAX_FINDINGS_PER_RULE} reported",
            )

    # -- one object ---------------------------------------------------------------------------------------
    def visit(self, path: str, node: dict[str, Any]) -> None:
        class_name = node.get("class_name")
        config = node.get("config")
        if class_name == "Lambda":
            self.lambda_layer(path, node, config if isinstance(config, dict) else {})
        elif class_name == "TFSMLayer":
            where = config.get("filepath") if isinstance(config, dict) else None
            self.seen.add((f"{path}.config.filepath", str(where)))  # reported here, not again as a host file
            self.report(
                TFSM_LAYER,
                path,
                f"TFSMLayer loads the SavedModel at {where!r} when the model is loaded",
                node,
            )
        elif class_name == "__lambda__" and path not in self.handled:
            self.report(
                LAMBDA, path, "a function is stored as serialized Python bytecode", node, Severity.CRITICAL
            )
        self.names(path, node)

    def lambda_layer(self, path: str, node: dict[str, Any], config: dict[str, Any]) -> None:
        name = config.get("name", "?")
        for key in ("function", "output_shape"):
            value = config.get(key)
            kind = config.get(f"{key}_type")
            code: str | None = None
            first = value[0] if isinstance(value, list) and value and isinstance(value[0], str) else None
            if first is not None and (kind == "lambda" or _is_bytecode(first)):
                code = first
            elif isinstance(value, dict) and value.get("class_name") == "__lambda__":
                inner = value.get("config")
                code = str(inner.get("code", "")) if isinstance(inner, dict) else str(inner)
            elif isinstance(value, str) and kind == "lambda":
                code = value
            if code is not None:
                self.handled.add(f"{path}.config.{key}")
                self.report(
                    LAMBDA,
                    f"{path}.config.{key}",
                    f"Lambda layer {name!r}: {key} is serialized Python bytecode that runs on load",
                    code,
                    Severity.CRITICAL,
                )
                return
        # module + function of a named function are checked when the walker visits the config dict itself
        self.report(
            LAMBDA, path, f"Lambda layer {name!r} wraps a Python function", config.get("function", node)
        )

    def names(self, path: str, node: dict[str, Any]) -> None:
        module = node.get("module")
        class_name = node.get("class_name")
        registered = node.get("registered_name")
        function = node.get("function")
        if isinstance(module, str) and module:
            # every name the deserializer resolves against this module, whatever other keys sit beside it
            # (function_type, registered_name, config...): a Lambda's ``function``, a class, a function object
            targets: list[tuple[str, str]] = []
            if isinstance(class_name, str) and class_name:
                inner = node.get("config")
                attr = inner if class_name == "function" and isinstance(inner, str) else class_name
                targets.append((f"{path}.module", f"{module}.{attr}"))
            if isinstance(function, str) and function:
                targets.append((f"{path}.function", f"{module}.{function}"))
            # a serialized lambda only borrows the module's globals: the module alone matters when dangerous
            bare_lambda = not targets and node.get("function_type") == "lambda"
            for where, target in targets or [(f"{path}.module", module)]:
                self.check_name(where, target, "module", dangerous_only=bare_lambda)
        elif isinstance(class_name, str) and "." in class_name:
            self.check_name(f"{path}.class_name", class_name, "class_name")
        if isinstance(registered, str) and (">" in registered or "." in registered):
            self.check_name(f"{path}.registered_name", registered, "registered_name")
        fn_name = node.get("fn_name")
        if isinstance(fn_name, str) and "." in fn_name:
            self.check_name(f"{path}.fn_name", fn_name, "fn_name")
        self.paths(path, node)

    def paths(self, path: str, node: dict[str, Any]) -> None:
        """Arguments that make the loader read a file from the host (the CVE-2025-12058 class)."""
        for key, value in node.items():
            if not isinstance(value, str) or not value.strip():
                continue
            lowered = key.lower() if isinstance(key, str) else ""
            if lowered in PATH_WHEN_STRING or (lowered in PATH_NAMED and looks_like_path(value)):
                if (f"{path}.{key}", value) in self.seen:
                    continue
                self.seen.add((f"{path}.{key}", value))
                layer = node.get("name")
                self.report(
                    HOST_FILE,
                    f"{path}.{key}",
                    f"{key!r}"
                    + (f" of {layer!r}" if isinstance(layer, str) else "")
                    + f" is the file path {value[:200]!r}; loading the model reads it from the "
                    "host",
                    f"{key}: {value}",
                )

    def check_name(self, path: str, target: str, key: str, *, dangerous_only: bool = False) -> None:
        rule = classify_target(target)
        if rule is None or (path, target) in self.seen or (dangerous_only and rule is CUSTOM_OBJECT):
            return
        self.seen.add((path, target))
        what = {
            DANGEROUS_CALLABLE: "a dangerous module or builtin",
            UNSAFE_KERAS_API: "a Keras/TensorFlow API that loads files or disables safe mode",
            CUSTOM_OBJECT: "code outside the Keras namespaces that the loader imports",
        }[rule]
        self.report(rule, path, f"{key} {target!r} names {what}", f"{key}: {target}")


def scan_keras_config(ctx: ScanContext, config_json: bytes, *, source: str = "config.json") -> None:
    """Report what loading this Keras model configuration would import or execute."""
    where = Location(key=source)
    if len(config_json) > ctx.limits.max_header_bytes:
        ctx.report(
            INVALID_CONFIG,
            f"configuration of {len(config_json)} bytes exceeds the limit of {ctx.limits.max_header_bytes}",
            location=where,
            evidence=_evidence(config_json[:80].decode("utf-8", "replace")),
        )
        return
    try:
        parsed = json.loads(config_json)
    except (ValueError, RecursionError) as exc:
        ctx.report(
            INVALID_CONFIG,
            f"configuration is not valid JSON: {exc}"[:300],
            location=where,
            evidence=_evidence(config_json[:120].decode("utf-8", "replace")),
        )
        return
    _ConfigWalker(ctx, source).walk(parsed)
