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

from ..core.rules import define
from ..core.types import Check, Location, Rule, Severity
from .base import ScanContext

LAMBDA = define(
    "WB-KERAS-001", Check.ARTIFACT, Severity.HIGH, "Keras Lambda layer",
    "A Lambda layer wraps an arbitrary Python function. When the function is serialized bytecode (marshal, "
    "base64) it runs as soon as the model is loaded with safe_mode off or by Keras < 2.13 (CVE-2024-3660).")
CUSTOM_OBJECT = define(
    "WB-KERAS-002", Check.ARTIFACT, Severity.MEDIUM, "Custom object the loader imports",
    "The configuration names a class or function outside the Keras namespaces. Loading the model imports "
    "that module or needs custom code registered by the user.")
DANGEROUS_CALLABLE = define(
    "WB-KERAS-003", Check.ARTIFACT, Severity.CRITICAL, "Configuration names a dangerous module or function",
    "The configuration points the deserializer at a module or builtin that runs commands, evaluates code, "
    "touches files or opens connections (CVE-2025-1550: config.json resolves arbitrary module/class names, "
    "even with safe_mode).")
TFSM_LAYER = define(
    "WB-KERAS-004", Check.ARTIFACT, Severity.HIGH, "TFSMLayer loads an external SavedModel",
    "A TFSMLayer loads a TensorFlow SavedModel from the path in its configuration, which can carry arbitrary "
    "ops and bypasses safe_mode (CVE-2026-1462).")
UNSAFE_KERAS_API = define(
    "WB-KERAS-005", Check.ARTIFACT, Severity.HIGH, "Configuration calls a Keras API that defeats safe mode",
    "The configuration names a Keras function that switches off safe deserialization, downloads files or "
    "reads/writes the file system when the model is loaded.")
INVALID_CONFIG = define(
    "WB-KERAS-006", Check.ARTIFACT, Severity.MEDIUM, "Keras configuration could not be parsed",
    "The model configuration is not valid JSON, is too large or too deeply nested to inspect. The loader may "
    "still read it differently, so the model is not reported clean.")

KERAS_NAMESPACES = frozenset({"keras", "keras_nlp", "keras_hub", "keras_cv", "tf_keras", "tensorflow.keras",
                              "tensorflow.python.keras"})
DANGEROUS_MODULES = frozenset({
    "os", "posix", "nt", "subprocess", "sys", "importlib", "shutil", "socket", "pty", "runpy", "ctypes",
    "pickle", "_pickle", "dill", "marshal", "code", "codeop", "pdb", "bdb", "webbrowser", "multiprocessing",
    "asyncio", "urllib", "requests", "http", "ftplib", "telnetlib", "smtplib", "pathlib", "io", "_io",
    "tempfile", "signal", "commands", "popen2", "platform", "_posixsubprocess", "cProfile", "profile",
    "timeit", "trace", "imp", "zipimport", "pkgutil", "glob", "fileinput", "linecache", "types", "operator",
    "functools", "threading", "_thread", "gc", "inspect", "ast", "compileall", "py_compile",
})
BUILTIN_MODULES = frozenset({"builtins", "__builtin__", "__builtins__"})
SAFE_BUILTINS = frozenset({"int", "float", "str", "bool", "list", "dict", "tuple", "set", "frozenset", "bytes",
                           "complex", "slice", "range", "function", "object", "NoneType", "abs", "min", "max",
                           "sum", "round", "len"})
UNSAFE_IN_KERAS = frozenset({"enable_unsafe_deserialization", "get_file", "load_model", "load_weights",
                             "save_model", "save_weights"})
TENSORFLOW_UNSAFE = ("tensorflow.io", "tensorflow.raw_ops", "tensorflow.py_function", "tensorflow.numpy_function",
                     "tensorflow.compat", "tensorflow.saved_model", "tensorflow.summary")

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

    def report(self, rule: Rule, path: str, detail: str, evidence: Any, severity: Severity | None = None) -> None:
        if self.counts.get(rule, 0) >= MAX_FINDINGS_PER_RULE:
            self.suppressed[rule] = self.suppressed.get(rule, 0) + 1
            return
        self.counts[rule] = self.counts.get(rule, 0) + 1
        self.ctx.report(rule, detail, location=Location(key=f"{self.source}:{path}"), evidence=_evidence(evidence),
                        severity=severity)

    def walk(self, root: Any) -> None:
        stack: list[tuple[str, Any]] = [("$", root)]
        nodes = 0
        while stack:
            path, node = stack.pop()
            nodes += 1
            if nodes > MAX_NODES:
                self.report(INVALID_CONFIG, path, f"configuration has more than {MAX_NODES} JSON values; the rest "
                            "was not inspected", path)
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
            self.ctx.report(rule, f"{count} more occurrence(s) of this kind were not listed",
                            location=Location(key=self.source), evidence=f"first {MAX_FINDINGS_PER_RULE} reported")

    # -- one object ---------------------------------------------------------------------------------------
    def visit(self, path: str, node: dict[str, Any]) -> None:
        class_name = node.get("class_name")
        config = node.get("config")
        if class_name == "Lambda":
            self.lambda_layer(path, node, config if isinstance(config, dict) else {})
        elif class_name == "TFSMLayer":
            where = config.get("filepath") if isinstance(config, dict) else None
            self.report(TFSM_LAYER, path, f"TFSMLayer loads the SavedModel at {where!r} when the model is loaded",
                        node)
        elif class_name == "__lambda__" and path not in self.handled:
            self.report(LAMBDA, path, "a function is stored as serialized Python bytecode", node,
                        Severity.CRITICAL)
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
                self.report(LAMBDA, f"{path}.config.{key}",
                            f"Lambda layer {name!r}: {key} is serialized Python bytecode that runs on load", code,
                            Severity.CRITICAL)
                return
        function = config.get("function")
        module = config.get("module")
        if isinstance(function, str) and isinstance(module, str):
            self.check_name(f"{path}.config.function", f"{module}.{function}", "Lambda function")
        self.report(LAMBDA, path, f"Lambda layer {name!r} wraps a Python function", config.get("function", node))

    def names(self, path: str, node: dict[str, Any]) -> None:
        module = node.get("module")
        class_name = node.get("class_name")
        registered = node.get("registered_name")
        if "function_type" in node:
            return  # a Lambda layer's own config: module + function are checked with the layer
        if isinstance(module, str) and module:
            target = module
            if isinstance(class_name, str) and class_name:
                inner = node.get("config")
                attr = inner if class_name == "function" and isinstance(inner, str) else class_name
                target = f"{module}.{attr}"
            self.check_name(f"{path}.module", target, "module")
        elif isinstance(class_name, str) and "." in class_name:
            self.check_name(f"{path}.class_name", class_name, "class_name")
        if isinstance(registered, str) and (">" in registered or "." in registered):
            self.check_name(f"{path}.registered_name", registered, "registered_name")
        fn_name = node.get("fn_name")
        if isinstance(fn_name, str) and "." in fn_name:
            self.check_name(f"{path}.fn_name", fn_name, "fn_name")

    def check_name(self, path: str, target: str, key: str) -> None:
        rule = classify_target(target)
        if rule is None or (path, target) in self.seen:
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
        ctx.report(INVALID_CONFIG, f"configuration of {len(config_json)} bytes exceeds the limit of "
                   f"{ctx.limits.max_header_bytes}", location=where, evidence=_evidence(config_json[:80].decode(
                       "utf-8", "replace")))
        return
    try:
        parsed = json.loads(config_json)
    except (ValueError, RecursionError) as exc:
        severe = (ctx.max_severity() or Severity.INFO) >= Severity.HIGH
        ctx.report(INVALID_CONFIG, f"configuration is not valid JSON: {exc}"[:300], location=where,
                   evidence=_evidence(config_json[:120].decode("utf-8", "replace")),
                   severity=Severity.HIGH if severe else None)
        return
    _ConfigWalker(ctx, source).walk(parsed)
