"""Chat templates (Jinja2): parse into an AST, never render, and flag what a template reaches for.

Model files and tokenizer configs carry Jinja2 chat templates that inference servers render. A template is
code: rendered outside a sandbox (llama-cpp-python CVE-2024-34359, vLLM, SGLang CVE-2026-5760) a template
that walks ``cycler.__init__.__globals__`` runs shell commands. ``check_template`` parses the template with
Jinja2's own parser (the sandboxed environment's syntax, plus the loop-control and ``generation`` tags the
Hugging Face renderer enables) and walks the AST with the sandbox's rules as the reference for what a
template may touch: no ``_``-prefixed or interpreter-internal attribute, no attribute of the environment's
global helpers, no loader tags, no ``str.format`` tricks. Attribute names assembled from string pieces are
folded back into constants (bounded) so ``'__cla' ~ 'ss__'`` is seen for what it is.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from jinja2.sandbox import (
    UNSAFE_ASYNC_GENERATOR_ATTRIBUTES,
    UNSAFE_COROUTINE_ATTRIBUTES,
    UNSAFE_FUNCTION_ATTRIBUTES,
    UNSAFE_GENERATOR_ATTRIBUTES,
    UNSAFE_METHOD_ATTRIBUTES,
    SandboxedEnvironment,
)

from ..core.findings import Check, Location, Rule, Severity
from ..core.rules import define
from .base import ScanContext

MAX_TEMPLATE_CHARS = 512 * 1024  # real chat templates are < 50 KiB; parsing runs at ~0.5 MB/s
MAX_AST_DEPTH = 120  # real templates nest ~25 levels deep
MAX_REPORTED = 32  # findings per template (worst first)
MAX_RANGE = 100_000  # jinja2.sandbox.MAX_RANGE: larger ranges are refused by the sandbox
_FOLD_DEPTH = 48
_FOLD_CANDIDATES = 16
_FOLD_CHARS = 4096
_FOLD_BUDGET = 200_000  # folding steps per template
_EVIDENCE_CHARS = 200

DUNDER_ACCESS = define(
    "WB-TPL-001",
    Check.ARTIFACT,
    Severity.CRITICAL,
    "Chat template reaches Python internals",
    "The chat template accesses an underscore-prefixed or interpreter-internal attribute (__class__, "
    "__globals__, __subclasses__, mro, gi_frame, ...), directly, through the attr/map filters or through a "
    "name assembled from string pieces. Jinja2's sandbox refuses these; a renderer without the sandbox hands "
    "the template the Python object graph, which is the server-side template injection path to code "
    "execution (CVE-2024-34359 and successors).",
)
GLOBAL_TRAVERSAL = define(
    "WB-TPL-002",
    Check.ARTIFACT,
    Severity.CRITICAL,
    "Chat template inspects a Jinja2 global helper",
    "The chat template reads an attribute of one of the environment's global helpers (cycler, joiner, "
    "lipsum, namespace, range, dict) instead of calling it. These objects are the classic stepping stones "
    "of Jinja2 template injection (e.g. cycler.__init__.__globals__.os); normal templates only call them.",
)
LOADER_TAG = define(
    "WB-TPL-003",
    Check.ARTIFACT,
    Severity.HIGH,
    "Chat template uses a loader tag",
    "The chat template uses import, from-import, include or extends. Chat templates are rendered from a "
    "string; these tags make the renderer's loader fetch other templates (files) by name.",
)
BUILT_NAME = define(
    "WB-TPL-004",
    Check.ARTIFACT,
    Severity.HIGH,
    "Chat template builds an attribute name at run time",
    "The chat template looks up an attribute whose name is computed (string concatenation, ~, format, %, "
    "join, replace, reverse, or a non-constant argument of the attr filter). Normal templates name the fields "
    "they read; computed names are how template-injection payloads hide dunder names from pattern matching.",
)
TEMPLATE_INTERNALS = define(
    "WB-TPL-005",
    Check.ARTIFACT,
    Severity.HIGH,
    "Chat template touches template internals",
    "The chat template refers to 'self' (the template reference object, whose private attributes expose the "
    "render context) or to a double-underscore context name. Chat templates have no reason to do either.",
)
FORMAT_ABUSE = define(
    "WB-TPL-006",
    Check.ARTIFACT,
    Severity.HIGH,
    "Chat template abuses str.format",
    "The chat template calls format_map, calls format on a non-constant string, uses replacement fields "
    "that read attributes or items ('{0.__class__}'), or takes a reference to a format method without "
    "calling it. str.format resolves attribute paths itself, outside Jinja2's attribute checks; keeping a "
    "reference to the method bypassed the sandbox before Jinja2 3.1.5/3.1.6 (CVE-2024-56326, CVE-2025-27516).",
)
DUNDER_STRING = define(
    "WB-TPL-007",
    Check.ARTIFACT,
    Severity.HIGH,
    "Chat template builds a dunder string",
    "An expression in the chat template is, or assembles into, a string naming a Python internal such as "
    "__class__, __globals__ or __subclasses__. Chat templates never need these names.",
)
PARSE_FAILED = define(
    "WB-TPL-008",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Chat template cannot be parsed",
    "The chat template is not valid Jinja2 for the syntax chat renderers accept, so it could not be "
    "inspected. Different renderers may still accept it; it is not reported clean.",
)
TEMPLATE_DOS = define(
    "WB-TPL-009",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Chat template is built to exhaust the renderer",
    "The chat template is extremely long, nested extremely deeply, or asks for a range or repetition far "
    "beyond what a prompt needs. Renderers may hang or run out of memory; very large templates are not "
    "fully inspected, and a template too large to inspect is high (renderers still render it).",
)
DATA_ATTRIBUTE = define(
    "WB-TPL-010",
    Check.ARTIFACT,
    Severity.HIGH,
    "Chat template takes an attribute name from data",
    "The chat template subscripts a template global (a helper such as cycler, or a context value such as "
    "messages or bos_token) with a key that is not a literal, chains such lookups, or passes a non-literal "
    "attribute name to a filter that reads attributes (attr, map, selectattr, rejectattr, groupby, sort, sum, "
    "unique, min, max). Jinja2 falls back from items to attributes, so the names can come from the model's "
    "own special tokens or from the messages and walk to Python internals under a renderer without the "
    "sandbox. Critical when the file supplies a dunder name (a special token such as '__init__').",
)
DYNAMIC_CALL = define(
    "WB-TPL-011",
    Check.ARTIFACT,
    Severity.HIGH,
    "Chat template calls the result of a lookup named by data",
    "The chat template calls something it obtained by a lookup whose key or attribute name is not a literal "
    "(x[key](...), (x|attr(name))(...), x|map('attr', name)|first ...). Normal templates call the "
    "environment's helpers and string methods by name; calling what data chose is the last step of a "
    "template-injection chain (os.popen, subprocess).",
)

_UNSAFE_NAMES: frozenset[str] = frozenset(
    UNSAFE_FUNCTION_ATTRIBUTES
    | UNSAFE_METHOD_ATTRIBUTES
    | UNSAFE_GENERATOR_ATTRIBUTES
    | UNSAFE_COROUTINE_ATTRIBUTES
    | UNSAFE_ASYNC_GENERATOR_ATTRIBUTES
    | {
        "mro",
        "func_globals",
        "func_code",
        "func_closure",
        "func_defaults",
        "func_dict",
        "im_func",
        "im_self",
        "im_class",
        "f_globals",
        "f_locals",
        "f_builtins",
        "f_back",
        "f_code",
        "tb_frame",
        "tb_next",
        "co_code",
        "gi_yieldfrom",
        "cr_await",
        "ag_await",
    }
)
_DANGEROUS_TOKENS = (
    "__class__",
    "__mro__",
    "__subclasses__",
    "__globals__",
    "__builtins__",
    "__import__",
    "__init__",
    "__base__",
    "__bases__",
    "__getattribute__",
    "__dict__",
    "__code__",
    "__reduce__",
    "__loader__",
    "__spec__",
    "__self__",
    "__func__",
    "__closure__",
    "__getitem__",
    "_TemplateReference__context",
)
_GLOBAL_HELPERS = frozenset({"cycler", "joiner", "lipsum", "namespace", "range", "dict"})
# Context variables renderers fill from the model's tokenizer (Hugging Face passes every special token,
# llama.cpp and llama-cpp-python pass bos_token and eos_token).
SPECIAL_TOKEN_VARIABLES = (
    "bos_token",
    "eos_token",
    "unk_token",
    "pad_token",
    "sep_token",
    "cls_token",
    "mask_token",
)
# methods of strings, lists and dicts that templates call on data they looked up (never a step of an injection)
_DATA_METHODS = frozenset(
    {
        "strip",
        "lstrip",
        "rstrip",
        "split",
        "rsplit",
        "splitlines",
        "lower",
        "upper",
        "title",
        "capitalize",
        "startswith",
        "endswith",
        "replace",
        "items",
        "keys",
        "values",
        "get",
        "join",
        "count",
        "index",
        "find",
        "rfind",
        "isdigit",
        "isalpha",
        "isspace",
        "isupper",
        "islower",
        "casefold",
        "zfill",
        "center",
        "ljust",
        "rjust",
        "partition",
        "rpartition",
    }
)
_NUMERIC_FILTERS = frozenset({"length", "count", "int", "float", "abs", "round", "wordcount"})
_NUMERIC_LOOP_ATTRS = frozenset({"index", "index0", "revindex", "revindex0", "length", "depth", "depth0"})
_NOT_A_GLOBAL = frozenset(
    {"loop", "caller", "varargs", "kwargs", "true", "false", "none", "True", "False", "None"}
)
_FORMAT_METHODS = frozenset({"format", "format_map"})
# filters whose arguments name attributes (dotted paths allowed): filter -> positional index or -1 for kw only
_ATTRIBUTE_FILTERS = {
    "attr": 0,
    "map": -1,
    "selectattr": 0,
    "rejectattr": 0,
    "sort": -1,
    "groupby": 0,
    "unique": -1,
    "min": -1,
    "max": -1,
    "sum": -1,
}
_STRING_FILTERS = frozenset(
    {
        "join",
        "replace",
        "reverse",
        "format",
        "lower",
        "upper",
        "string",
        "trim",
        "title",
        "capitalize",
        "first",
        "last",
        "list",
    }
)
_STRING_METHODS = frozenset(
    {
        "format",
        "format_map",
        "join",
        "replace",
        "upper",
        "lower",
        "strip",
        "lstrip",
        "rstrip",
        "title",
        "capitalize",
    }
)
_SIMPLE_PERCENT = re.compile(r"%(?![sdr%])")
_SIMPLE_FIELDS = re.compile(r"\{[^{}]*\}")
_FIELD_OK = re.compile(r"\{\w*\}")
_LINE_SPLIT = re.compile(r"\r\n|\r|\n")

Value = str | int | list[str]


class _GenerationTag(Extension):
    """Parse-only support for ``{% generation %}...{% endgeneration %}`` (Hugging Face's AssistantTracker)."""

    tags = {"generation"}

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return nodes.Scope(body, lineno=lineno)


_ENV: SandboxedEnvironment | None = None


def _environment() -> SandboxedEnvironment:
    global _ENV
    if _ENV is None:
        _ENV = SandboxedEnvironment(
            trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols", _GenerationTag]
        )
    return _ENV


@dataclass(frozen=True, slots=True)
class _Hit:
    rule: Rule
    detail: str
    line: int | None
    needle: str
    severity: Severity


def parse_template(text: str) -> nodes.Template | None:
    """The template's AST under the chat renderers' syntax, or None when it does not parse (never rendered)."""
    try:
        return _environment().parse(text)
    except Exception:  # noqa: BLE001 - any parser error means "not a template we can read"
        return None


def is_unsafe_attribute(name: str) -> bool:
    """True for attribute names the Jinja2 sandbox refuses (or that only serve template injection)."""
    return name.startswith("_") or name in _UNSAFE_NAMES


def _unsafe_key(name: str) -> bool:
    """Subscripts fall back to attributes only when item lookup fails: single-underscore dict keys are data."""
    return name.startswith("__") or (name.startswith("_") and "__" in name) or name in _UNSAFE_NAMES


def _kept_not_called(node: nodes.Getattr, parent: nodes.Node | None) -> bool:
    """``x.format`` stored or passed on (the CVE-2024-56326 shape), as opposed to called or printed."""
    if isinstance(parent, nodes.Call):
        return parent.node is not node
    if isinstance(parent, nodes.Filter):
        return parent.node is not node
    return isinstance(
        parent,
        nodes.Assign
        | nodes.Keyword
        | nodes.Pair
        | nodes.List
        | nodes.Tuple
        | nodes.Dict
        | nodes.With
        | nodes.Macro,
    )


def _dangerous_token(text: str) -> str | None:
    for token in _DANGEROUS_TOKENS:
        if token in text:
            return token
    return None


def check_template(
    ctx: ScanContext, template: str, *, location: Location, variables: Mapping[str, Value] | None = None
) -> None:
    """Report what the chat template ``template`` reaches for; ``location`` says where it was found.

    ``variables`` are the context values the file itself supplies to the renderer (its special tokens): a
    template that uses them as attribute names is judged by what they are.
    """
    ctx.formats.append("chat-template")
    lines = _LINE_SPLIT.split(template)
    if len(template) > MAX_TEMPLATE_CHARS:
        token = _dangerous_token(template)
        detail = (
            f"chat template is {len(template)} characters long (limit {MAX_TEMPLATE_CHARS}); it was not "
            "parsed" + (f" and contains {token!r}" if token else "")
        )
        # renderers still render it: a template is code, and one that was not inspected is high
        ctx.report(
            TEMPLATE_DOS,
            detail,
            location=location,
            severity=Severity.HIGH,
            evidence=_evidence_from_text(template, token or ""),
        )
        return
    try:
        ast = _environment().parse(template)
    except RecursionError:
        ctx.report(
            TEMPLATE_DOS,
            "chat template is nested too deeply for the Jinja2 parser",
            location=location,
            evidence=template[:_EVIDENCE_CHARS],
        )
        return
    except Exception as exc:  # noqa: BLE001 - any parser error means the template was not inspected
        line = getattr(exc, "lineno", None)
        line = line if isinstance(line, int) and line > 0 else None
        token = _dangerous_token(template)
        ctx.report(
            PARSE_FAILED,
            f"Jinja2 cannot parse the chat template: {type(exc).__name__}: {exc}"[:400],
            location=dataclasses.replace(location, line=line),
            severity=Severity.HIGH if token else None,
            evidence=_evidence(lines, line, token or ""),
        )
        return
    try:
        hits = _Walker(ast, variables).run()
    except RecursionError:
        ctx.report(
            TEMPLATE_DOS,
            "chat template expressions are nested too deeply to inspect",
            location=location,
            evidence=template[:_EVIDENCE_CHARS],
        )
        return
    hits.sort(key=lambda h: (-h.severity, h.line or 0))
    for hit in hits[:MAX_REPORTED]:
        ctx.report(
            hit.rule,
            hit.detail,
            location=dataclasses.replace(location, line=hit.line),
            severity=hit.severity,
            evidence=_evidence(lines, hit.line, hit.needle),
        )


def _evidence(lines: list[str], line: int | None, needle: str) -> str:
    if line is None or not 1 <= line <= len(lines):
        return _evidence_from_text("\n".join(lines[:3]), needle)
    return _evidence_from_text(lines[line - 1], needle)


def _evidence_from_text(text: str, needle: str) -> str:
    at = text.find(needle) if needle else -1
    start = max(0, at - _EVIDENCE_CHARS // 2) if at >= 0 else 0
    snippet = text[start : start + _EVIDENCE_CHARS].strip()
    return snippet or text[:_EVIDENCE_CHARS]


class _Walker:
    """One iterative pass over the AST; collects hits (deduplicated) for ``check_template`` to report."""

    def __init__(self, ast: nodes.Template, variables: Mapping[str, Value] | None = None) -> None:
        self.ast = ast
        self.variables = dict(variables or {})
        self._use_variables = True
        self.hits: dict[tuple[str, int | None, str], _Hit] = {}
        self.assigned: dict[str, list[nodes.Node]] = {}  # name or "ns.attr" -> value nodes (for folding)
        self.loops: dict[
            str, list[nodes.Node | None]
        ] = {}  # loop variable -> what it iterates (None: unknown)
        self.shadowed: set[str] = set()  # names the template binds itself (loop vars, macro args, set)
        self._derive_seen: set[tuple[str, str]] = set()
        self._folding: set[str] = set()
        self._budget = _FOLD_BUDGET

    # -- collection ---------------------------------------------------------------------------------------
    def run(self) -> list[_Hit]:
        self._collect_bindings()
        stack: list[tuple[nodes.Node, nodes.Node | None, int]] = [(self.ast, None, 0)]
        too_deep = False
        while stack:
            node, parent, depth = stack.pop()
            if depth > MAX_AST_DEPTH and not too_deep:
                too_deep = True
                self._hit(
                    TEMPLATE_DOS, f"chat template nests more than {MAX_AST_DEPTH} levels deep", node, ""
                )
            self._visit(node, parent)
            stack.extend((child, node, depth + 1) for child in node.iter_child_nodes())
        return list(self.hits.values())

    def _collect_bindings(self) -> None:
        macros: dict[str, nodes.Macro] = {}
        for node in _iter_nodes(self.ast):
            if isinstance(node, nodes.Assign):
                self._bind_target(node.target, node.node)
            elif isinstance(node, nodes.AssignBlock):
                self._bind_target(node.target, node)
            elif isinstance(node, nodes.For):
                self._bind_target(node.target, None)
                targets = (
                    [node.target]
                    if isinstance(node.target, nodes.Name)
                    else (list(node.target.items) if isinstance(node.target, nodes.Tuple) else [])
                )
                for target in targets:
                    if isinstance(target, nodes.Name):
                        self.loops.setdefault(target.name, []).append(
                            node.iter if isinstance(node.target, nodes.Name) else None
                        )
            elif isinstance(node, nodes.Macro | nodes.CallBlock):
                defaults: list[nodes.Expr | None] = [None] * (len(node.args) - len(node.defaults))
                for arg, default in zip(node.args, defaults + list(node.defaults), strict=False):
                    self._bind_target(arg, default)
                if isinstance(node, nodes.Macro):
                    macros[node.name] = node
        # what a macro is called with flows into its parameters (bounded: one pass over the calls)
        for node in _iter_nodes(self.ast):
            if (
                isinstance(node, nodes.Call)
                and isinstance(node.node, nodes.Name)
                and node.node.name in macros
            ):
                params = [a.name for a in macros[node.node.name].args]
                for name, value in zip(params, node.args, strict=False):
                    self.assigned.setdefault(name, []).append(value)
                for kw in node.kwargs:
                    if kw.key in params:
                        self.assigned.setdefault(kw.key, []).append(kw.value)
            elif isinstance(node, nodes.With):
                for target, value in zip(node.targets, node.values, strict=False):
                    self._bind_target(target, value)

    def _bind_target(self, target: nodes.Node, value: nodes.Node | None) -> None:
        if isinstance(target, nodes.Name):
            self.shadowed.add(target.name)
            if value is not None:
                self.assigned.setdefault(target.name, []).append(value)
                if (
                    isinstance(value, nodes.Call)
                    and isinstance(value.node, nodes.Name)
                    and value.node.name == "namespace"
                ):
                    for kw in value.kwargs:
                        self.assigned.setdefault(f"{target.name}.{kw.key}", []).append(kw.value)
        elif isinstance(target, nodes.NSRef):
            if value is not None:
                self.assigned.setdefault(f"{target.name}.{target.attr}", []).append(value)
        elif isinstance(target, nodes.Tuple):
            for item in target.items:
                self._bind_target(item, None)

    def _hit(
        self, rule: Rule, detail: str, node: nodes.Node, needle: str, severity: Severity | None = None
    ) -> None:
        line = getattr(node, "lineno", None)
        key = (rule.id, line, detail)
        if key not in self.hits:
            self.hits[key] = _Hit(rule, detail, line, needle, severity or rule.severity)

    # -- checks -------------------------------------------------------------------------------------------
    def _visit(self, node: nodes.Node, parent: nodes.Node | None) -> None:
        if isinstance(node, nodes.Extends | nodes.Include | nodes.Import | nodes.FromImport):
            tag = {
                "Extends": "extends",
                "Include": "include",
                "Import": "import",
                "FromImport": "from ... import",
            }[type(node).__name__]
            self._hit(
                LOADER_TAG,
                f"chat template uses the '{tag}' tag, which loads another template by name",
                node,
                tag.split()[0],
            )
        elif isinstance(node, nodes.Getattr):
            self._attribute(node.node, node.attr, node, literal=True)
            if node.attr in _FORMAT_METHODS and _kept_not_called(node, parent):
                formats = self._strings(node.node)
                self._hit(
                    FORMAT_ABUSE,
                    f"chat template takes a reference to the '{node.attr}' method "
                    "without calling it (sandbox bypass CVE-2024-56326)",
                    node,
                    node.attr,
                )
                self._format_fields(node, formats)
        elif isinstance(node, nodes.Getitem):
            self._getitem(node)
        elif isinstance(node, nodes.NSRef):
            if is_unsafe_attribute(node.attr):
                self._hit(
                    DUNDER_ACCESS,
                    f"chat template assigns the internal attribute '{node.attr}' of namespace '{node.name}'",
                    node,
                    node.attr,
                )
        elif isinstance(node, nodes.Filter):
            self._filter(node)
        elif isinstance(node, nodes.Call):
            self._call(node)
        elif isinstance(node, nodes.Name):
            self._name(node)
        elif isinstance(node, nodes.Const):
            if isinstance(node.value, str):
                token = _dangerous_token(node.value)
                if token:
                    self._hit(
                        DUNDER_STRING, f"string constant names the Python internal {token!r}", node, token
                    )
        elif isinstance(node, nodes.Assign | nodes.AssignBlock) or _is_string_building(node):
            self._assembled(node)

    def _name(self, node: nodes.Name) -> None:
        if node.ctx != "load" or node.name in self.shadowed:
            return
        if node.name == "self":
            self._hit(
                TEMPLATE_INTERNALS,
                "chat template refers to 'self', the template reference object",
                node,
                "self",
            )
        elif node.name.startswith("__"):
            self._hit(
                TEMPLATE_INTERNALS, f"chat template looks up the context name {node.name!r}", node, node.name
            )

    def _attribute(
        self, base: nodes.Node, name: str, node: nodes.Node, *, literal: bool, via: str = "attribute access"
    ) -> None:
        """An attribute (or attribute-like item) ``name`` read from ``base``."""
        unsafe = _unsafe_key if via == "subscript" else is_unsafe_attribute
        for part in name.split("."):
            if unsafe(part):
                how = via if literal else f"{via} with a name assembled at run time"
                self._hit(
                    DUNDER_ACCESS,
                    f"chat template reads the internal attribute {part!r} ({how})",
                    node,
                    part if literal else "",
                )
                break
        if isinstance(base, nodes.Name) and base.name in _GLOBAL_HELPERS and base.name not in self.shadowed:
            self._hit(
                GLOBAL_TRAVERSAL,
                f"chat template reads attribute {name!r} of the global helper '{base.name}'",
                node,
                base.name,
            )
        if name in _FORMAT_METHODS and via == "the 'attr' filter":
            self._hit(FORMAT_ABUSE, f"chat template obtains the '{name}' method through {via}", node, name)

    def _getitem(self, node: nodes.Getitem) -> None:
        arg = node.arg
        if isinstance(arg, nodes.Const):
            if isinstance(arg.value, str):
                self._attribute(node.node, arg.value, node, literal=True, via="subscript")
            return
        if isinstance(arg, nodes.Slice):
            return
        values = self._strings(arg)
        for value in values:
            self._attribute(node.node, value, node, literal=False, via="subscript")
        if not values and self._builds_string(arg):
            self._hit(
                BUILT_NAME, "chat template subscripts with a key assembled from string operations", node, "["
            )
        if not self._dynamic_key(node):
            return
        root = _root_name(node.node)
        if self._derived(node.node, "global"):
            self._hit(
                DATA_ATTRIBUTE,
                f"chat template subscripts the template global {root!r} with a key that is "
                "not a literal" + _resolved(values),
                node,
                "[",
            )
        elif self._derived(node.node, "dynamic"):
            self._hit(
                DATA_ATTRIBUTE,
                "chat template chains lookups whose keys are not literals" + _resolved(values),
                node,
                "[",
            )

    def _filter(self, node: nodes.Filter) -> None:
        if node.node is None or node.name not in _ATTRIBUTE_FILTERS:
            return
        names, dynamic = self._attribute_args(node)
        via = f"the '{node.name}' filter"
        for name in names:
            self._attribute(node.node, name, node, literal=False, via=via)
        if dynamic:
            self._hit(BUILT_NAME, f"chat template passes a computed attribute name to {via}", node, node.name)
        elif self._nonliteral_names(node):
            self._hit(
                DATA_ATTRIBUTE,
                f"chat template passes an attribute name that is not a literal to {via}" + _resolved(names),
                node,
                node.name,
            )

    def _attribute_args(self, node: nodes.Filter) -> tuple[list[str], bool]:
        """Attribute names a filter call uses (folded where possible) and whether one stayed unknown."""
        exprs: list[nodes.Node] = [kw.value for kw in node.kwargs if kw.key == "attribute"]
        position = _ATTRIBUTE_FILTERS[node.name]
        if (
            node.name == "map"
            and node.args
            and "attr"
            in (
                [node.args[0].value] if isinstance(node.args[0], nodes.Const) else self._strings(node.args[0])
            )
        ):
            exprs.extend(node.args[1:2])  # map('attr', name)
        elif position >= 0 and len(node.args) > position:
            exprs.append(node.args[position])
        names: list[str] = []
        dynamic = node.name == "attr" and (node.dyn_args is not None or node.dyn_kwargs is not None)
        for expr in exprs:
            if isinstance(expr, nodes.Const):
                if isinstance(expr.value, str):
                    names.append(expr.value)
                continue
            folded = self._strings(expr)
            names.extend(folded)
            if not folded and (node.name == "attr" or self._builds_string(expr)):
                dynamic = True
        return names, dynamic

    def _call(self, node: nodes.Call) -> None:
        callee = node.node
        data_method = isinstance(callee, nodes.Getattr) and callee.attr in _DATA_METHODS
        if not data_method and self._derived(callee, "dynamic"):
            self._hit(
                DYNAMIC_CALL,
                "chat template calls the result of a lookup whose key or attribute name is not a literal",
                node,
                "(",
            )
        if isinstance(callee, nodes.Name) and callee.name == "range" and "range" not in self.shadowed:
            for arg in node.args:
                for value in self._fold(arg, 0):
                    if isinstance(value, int) and abs(value) > MAX_RANGE:
                        self._hit(TEMPLATE_DOS, f"chat template asks for range({value})", node, "range")
            return
        if not isinstance(callee, nodes.Getattr) or callee.attr not in _FORMAT_METHODS:
            return
        if callee.attr == "format_map":
            self._hit(FORMAT_ABUSE, "chat template calls format_map", node, "format_map")
            return
        formats = self._strings(callee.node)
        if not formats:
            self._hit(
                FORMAT_ABUSE, "chat template calls format on a string that is not a constant", node, "format"
            )
        self._format_fields(node, formats)

    def _format_fields(self, node: nodes.Node, formats: list[str]) -> None:
        """Replacement fields of constant format strings that read attributes or items."""
        for text in formats:
            for field in _SIMPLE_FIELDS.findall(text):
                if "." in field or "[" in field:
                    self._hit(
                        FORMAT_ABUSE, f"format string reads attributes or items: {field!r}", node, field
                    )
                    inner = re.split(r"[.\[\]!:{}]", field)
                    bad = next((p for p in inner if p and is_unsafe_attribute(p)), None)
                    if bad:
                        self._hit(
                            DUNDER_ACCESS,
                            f"format string field {field!r} reads the internal attribute {bad!r}",
                            node,
                            field,
                        )

    def _assembled(self, node: nodes.Node) -> None:
        source = node.node if isinstance(node, nodes.Assign) else node
        # printing or storing a special token is harmless whatever it is; only names used for lookups count
        self._use_variables = False
        try:
            values = self._strings(source)
        finally:
            self._use_variables = True
        for value in values:
            token = _dangerous_token(value)
            if token:
                self._hit(
                    DUNDER_STRING,
                    f"expression assembles the string {value[:80]!r}, which names the "
                    f"Python internal {token!r}",
                    node,
                    "",
                )

    # -- constant folding (bounded) ------------------------------------------------------------------------
    def _strings(self, node: nodes.Node) -> list[str]:
        return [v for v in self._fold(node, 0) if isinstance(v, str)]

    def _builds_string(self, node: nodes.Node, depth: int = 0) -> bool:
        if depth > _FOLD_DEPTH:
            return False
        if _is_string_building(node, depth):
            return True
        if isinstance(node, nodes.Name) and node.name not in self._folding:
            self._folding.add(node.name)
            try:
                return any(self._builds_string(v, depth + 1) for v in self.assigned.get(node.name, ()))
            finally:
                self._folding.discard(node.name)
        if isinstance(node, nodes.CondExpr):
            return any(self._builds_string(n, depth + 1) for n in (node.expr1, node.expr2) if n is not None)
        return False

    def _fold(self, node: nodes.Node, depth: int) -> list[Value]:
        """Possible constant values of ``node`` (empty when unknown); bounded in depth, count and size."""
        if depth > _FOLD_DEPTH or self._budget <= 0:
            return []
        self._budget -= 1
        out = [v for v in self._fold_node(node, depth + 1) if not isinstance(v, str) or len(v) <= _FOLD_CHARS]
        return out[:_FOLD_CANDIDATES]

    def _fold_node(self, node: nodes.Node, depth: int) -> list[Value]:
        if isinstance(node, nodes.Const):
            value = node.value
            if isinstance(value, bool):
                return []
            return [value] if isinstance(value, str | int) else []
        if isinstance(node, nodes.TemplateData):
            return [node.data]
        if isinstance(node, nodes.Name):
            return self._fold_name(node.name, depth)
        if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
            return self._fold_name(f"{node.node.name}.{node.attr}", depth)
        if isinstance(node, nodes.AssignBlock | nodes.Output | nodes.Scope):
            body = node.body if isinstance(node, nodes.AssignBlock | nodes.Scope) else node.nodes
            return self._fold_concat(body, depth)
        if isinstance(node, nodes.Concat):
            return self._fold_concat(node.nodes, depth)
        if isinstance(node, nodes.List | nodes.Tuple):
            items = [self._fold(item, depth) for item in node.items]
            if all(len(i) == 1 and isinstance(i[0], str) for i in items):
                return [[str(i[0]) for i in items]]
            return []
        if isinstance(node, nodes.CondExpr):
            return self._fold(node.expr1, depth) + (self._fold(node.expr2, depth) if node.expr2 else [])
        if isinstance(node, nodes.Neg):
            return [-v for v in self._fold(node.node, depth) if isinstance(v, int)]
        if isinstance(node, nodes.BinExpr):
            return self._fold_binary(node, depth)
        if isinstance(node, nodes.Getitem):
            return self._fold_getitem(node, depth)
        if isinstance(node, nodes.Filter) and node.node is not None:
            args = [self._fold(a, depth) for a in node.args]
            return self._fold_apply(node.name, self._fold(node.node, depth), args)
        if (
            isinstance(node, nodes.Call)
            and isinstance(node.node, nodes.Getattr)
            and node.node.attr in _STRING_METHODS
            and not node.kwargs
        ):
            args = [self._fold(a, depth) for a in node.args]
            return self._fold_apply("." + node.node.attr, self._fold(node.node.node, depth), args)
        return []

    def _fold_name(self, key: str, depth: int) -> list[Value]:
        if key in self._folding:
            return []
        self._folding.add(key)
        try:
            out: list[Value] = []
            for value in self.assigned.get(key, ()):
                out.extend(self._fold(value, depth))
            for iterated in self.loops.get(key, ()):
                out.extend(self._fold_items(iterated, depth))
            if (
                self._use_variables
                and key not in self.shadowed
                and key not in self.assigned
                and key in self.variables
            ):
                out.append(self.variables[key])  # a value the file supplies (a special token)
            return out
        finally:
            self._folding.discard(key)

    def _fold_items(self, iterated: nodes.Node | None, depth: int) -> list[Value]:
        """The values a loop variable takes when the loop runs over something constant."""
        if iterated is None:
            return []
        if isinstance(iterated, nodes.Dict):
            keys: list[Value] = []
            for pair in iterated.items:
                keys.extend(self._fold(pair.key, depth))
            return keys
        out: list[Value] = []
        for value in self._fold(iterated, depth):
            if isinstance(value, list):
                out.extend(value)
        return out

    # -- where a value comes from (bounded) -----------------------------------------------------------------
    def _maybe_string(self, node: nodes.Node | None, depth: int = 0) -> bool:
        """Whether ``node`` may evaluate to a string (an attribute name), as opposed to surely a number."""
        if node is None or depth > _FOLD_DEPTH:
            return False
        if isinstance(node, nodes.Const):
            return isinstance(node.value, str)
        if isinstance(node, nodes.Sub | nodes.Div | nodes.FloorDiv | nodes.Pow | nodes.Neg | nodes.Pos):
            return False
        if isinstance(node, nodes.Add | nodes.Mul):
            return self._maybe_string(node.left, depth + 1) or self._maybe_string(node.right, depth + 1)
        if isinstance(node, nodes.Mod):
            return self._maybe_string(node.left, depth + 1)
        if isinstance(node, nodes.Filter):
            return node.name not in _NUMERIC_FILTERS
        if (
            isinstance(node, nodes.Getattr)
            and isinstance(node.node, nodes.Name)
            and node.node.name == "loop"
            and "loop" not in self.shadowed
        ):
            return node.attr not in _NUMERIC_LOOP_ATTRS
        if isinstance(node, nodes.CondExpr):
            return self._maybe_string(node.expr1, depth + 1) or self._maybe_string(node.expr2, depth + 1)
        if isinstance(node, nodes.Name) and node.name in self.shadowed:
            key = f"s:{node.name}"
            if key in self._folding:
                return False
            self._folding.add(key)
            try:
                values: list[nodes.Node | None] = list(self.assigned.get(node.name, ()))
                for iterated in self.loops.get(node.name, ()):
                    values.append(None if _is_range(iterated) else iterated)
                    if iterated is None or not _is_range(iterated):
                        return True  # loop over data: its items may be strings
                if not values:
                    return True  # a macro parameter nobody passes: unknown
                return any(self._maybe_string(v, depth + 1) for v in values if v is not None)
            finally:
                self._folding.discard(key)
        return True

    def _derived(self, node: nodes.Node | None, kind: str, depth: int = 0) -> bool:
        """``kind`` "global": ``node`` is (reached from) a template global — a name the template does not
        define, or an alias of one. ``kind`` "dynamic": ``node`` is (reached from) a lookup whose key or
        attribute name is not a literal."""
        if node is None or depth > _FOLD_DEPTH:
            return False
        if kind == "dynamic":
            if isinstance(node, nodes.Getitem) and self._dynamic_key(node):
                return True
            if (
                isinstance(node, nodes.Filter)
                and node.name in _ATTRIBUTE_FILTERS
                and self._nonliteral_names(node)
            ):
                return True
        if isinstance(node, nodes.Name):
            if node.name not in self.shadowed:
                return kind == "global" and node.name not in _NOT_A_GLOBAL
            key = (kind, node.name)
            if key in self._derive_seen:
                return False
            self._derive_seen.add(key)
            try:
                return any(self._derived(v, kind, depth + 1) for v in self.assigned.get(node.name, ()))
            finally:
                self._derive_seen.discard(key)
        if isinstance(node, nodes.Getattr | nodes.Getitem | nodes.Filter):
            return self._derived(node.node, kind, depth + 1)
        if isinstance(node, nodes.Call):
            return kind == "dynamic" and self._derived(node.node, kind, depth + 1)
        if isinstance(node, nodes.CondExpr):
            return self._derived(node.expr1, kind, depth + 1) or self._derived(node.expr2, kind, depth + 1)
        return False

    def _dynamic_key(self, node: nodes.Getitem) -> bool:
        arg = node.arg
        return not isinstance(arg, nodes.Const | nodes.Slice) and self._maybe_string(arg)

    def _nonliteral_names(self, node: nodes.Filter) -> list[nodes.Node]:
        """Attribute-name arguments of an attribute filter that are not literals."""
        exprs: list[nodes.Node] = [kw.value for kw in node.kwargs if kw.key == "attribute"]
        position = _ATTRIBUTE_FILTERS[node.name]
        if node.name == "map" and node.args:
            first = node.args[0]
            if not isinstance(first, nodes.Const):
                exprs.append(
                    first
                )  # the filter itself is chosen by data: map(name, ...) may be map('attr', ...)
            elif first.value == "attr":
                exprs.extend(node.args[1:2])
        elif position >= 0 and len(node.args) > position:
            exprs.append(node.args[position])
        out = [e for e in exprs if not isinstance(e, nodes.Const)]
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            out.append(node.dyn_args or node.dyn_kwargs)  # type: ignore[arg-type]
        return out

    def _fold_concat(self, parts: Sequence[nodes.Node], depth: int) -> list[Value]:
        results: list[str] = [""]
        for part in parts:
            values = self._fold(part, depth)
            if not values:
                return []
            results = [r + _as_text(v) for r in results for v in values][:_FOLD_CANDIDATES]
            if any(len(r) > _FOLD_CHARS for r in results):
                return []
        return list(results)

    def _fold_binary(self, node: nodes.BinExpr, depth: int) -> list[Value]:
        lefts, rights = self._fold(node.left, depth), self._fold(node.right, depth)
        out: list[Value] = []
        for left in lefts:
            for right in rights:
                if node.operator == "*" and _repeat_length(left, right) > _FOLD_CHARS:
                    self._hit(
                        TEMPLATE_DOS,
                        f"chat template repeats a string to more than {_FOLD_CHARS} characters",
                        node,
                        "*",
                    )
                    continue
                value = _binary(node.operator, left, right)
                if value is not None:
                    out.append(value)
        return out

    def _fold_getitem(self, node: nodes.Getitem, depth: int) -> list[Value]:
        bases = self._fold(node.node, depth)
        if isinstance(node.arg, nodes.Slice):
            bounds = []
            for part in (node.arg.start, node.arg.stop, node.arg.step):
                folded = (
                    [v for v in self._fold(part, depth) if isinstance(v, int)] if part is not None else [None]
                )
                if len(folded) != 1:
                    return []
                bounds.append(folded[0])
            if bounds[2] == 0:
                return []
            window = slice(bounds[0], bounds[1], bounds[2])
            return [b[window] for b in bases if isinstance(b, str | list)]
        out: list[Value] = []
        for index in self._fold(node.arg, depth):
            for base in bases:
                if (
                    isinstance(index, int)
                    and isinstance(base, str | list)
                    and -len(base) <= index < len(base)
                ):
                    out.append(base[index])
        return out

    def _fold_apply(self, op: str, bases: list[Value], args: list[list[Value]]) -> list[Value]:
        if any(not a for a in args):
            return []
        first = [a[0] for a in args]  # a single candidate per argument keeps this bounded
        out: list[Value] = []
        for base in bases:
            value = _apply(op, base, first)
            if value is not None:
                out.append(value)
        return out


def _root_name(node: nodes.Node) -> str:
    while (
        isinstance(node, nodes.Getattr | nodes.Getitem | nodes.Filter | nodes.Call) and node.node is not None
    ):
        node = node.node
    return node.name if isinstance(node, nodes.Name) else type(node).__name__


def _resolved(values: Sequence[Value]) -> str:
    names = [v for v in values if isinstance(v, str)]
    return f" (the file supplies {', '.join(repr(v[:40]) for v in names[:3])})" if names else ""


def _is_range(node: nodes.Node | None) -> bool:
    return isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) and node.node.name == "range"


def _as_text(value: Value) -> str:
    return value if isinstance(value, str) else str(value)


def _iter_nodes(root: nodes.Node) -> list[nodes.Node]:
    """Every node under ``root`` (iteratively: expression chains can be thousands of levels deep)."""
    out: list[nodes.Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(node.iter_child_nodes())
    return out


def _repeat_length(left: Value, right: Value) -> int:
    if isinstance(left, str) and isinstance(right, int):
        return len(left) * max(right, 0)
    if isinstance(right, str) and isinstance(left, int):
        return len(right) * max(left, 0)
    return 0


def _binary(op: str, left: Value, right: Value) -> Value | None:
    """``left op right`` for the operators that build names; None when the result is not modelled."""
    if op == "+" and isinstance(left, str) and isinstance(right, str):
        return left + right
    if op == "*":
        text, count = (left, right) if isinstance(left, str) else (right, left)
        if isinstance(text, str) and isinstance(count, int):
            return text * count
        return None
    if op == "%" and isinstance(left, str) and not _SIMPLE_PERCENT.search(left):
        args = tuple(right) if isinstance(right, list) else (right,)
        try:
            return left % args
        except (TypeError, ValueError):
            return None
    return None


def _apply(op: str, base: Value, args: list[Value]) -> Value | None:
    """A string filter (``join``) or method (``.join``) on constant values; None when it does not apply."""
    if op in ("join", ".join"):
        seq, sep = (base, args[0] if args else "") if op == "join" else (args[0] if args else None, base)
        if isinstance(seq, str):
            seq = list(seq)
        return sep.join(seq) if isinstance(seq, list) and isinstance(sep, str) else None
    if isinstance(base, list):
        if op == "reverse":
            return base[::-1]
        if op in ("first", "last") and base:
            return base[0] if op == "first" else base[-1]
        return None
    if isinstance(base, int):
        return str(base) if op == "string" else None
    if op in ("replace", ".replace"):
        return _replace(base, args)
    if op == "format":  # the format filter is %-formatting
        return _binary("%", base, list(map(_as_text, args))) if args else base
    if op == ".format":  # str.format, plain fields only
        if any(not _FIELD_OK.fullmatch(f) for f in _SIMPLE_FIELDS.findall(base)):
            return None
        try:
            return base.format(*[_as_text(a) for a in args])
        except (IndexError, KeyError, ValueError):
            return None
    return _string_method(op, base)


def _replace(base: str, args: list[Value]) -> str | None:
    if len(args) < 2 or not isinstance(args[0], str) or not isinstance(args[1], str):
        return None
    old, new = args[0], args[1]
    grown = len(base) + base.count(old) * len(new) if old else (len(base) + 1) * (len(new) + 1)
    return base.replace(old, new) if grown <= _FOLD_CHARS else None


def _string_method(op: str, base: str) -> Value | None:
    if op == "reverse":
        return base[::-1]
    if op == "list":
        return list(base)
    if op == "first":
        return base[:1]
    if op == "last":
        return base[-1:]
    if op in ("trim", ".strip"):
        return base.strip()
    if op == "string":
        return base
    if op == ".lstrip":
        return base.lstrip()
    if op == ".rstrip":
        return base.rstrip()
    if op in ("lower", ".lower"):
        return base.lower()
    if op in ("upper", ".upper"):
        return base.upper()
    if op in ("title", ".title"):
        return base.title()
    if op in ("capitalize", ".capitalize"):
        return base.capitalize()
    return None


def _is_string_building(node: nodes.Node, depth: int = 0) -> bool:
    if depth > _FOLD_DEPTH:
        return False
    if isinstance(node, nodes.Concat):
        return True
    if isinstance(node, nodes.Add | nodes.Mod | nodes.Mul):
        return any(
            isinstance(side, nodes.Const)
            and isinstance(side.value, str)
            or _is_string_building(side, depth + 1)
            for side in (node.left, node.right)
        )
    if isinstance(node, nodes.Filter):
        return node.name in _STRING_FILTERS and node.node is not None
    if isinstance(node, nodes.Call):
        return isinstance(node.node, nodes.Getattr) and node.node.attr in _STRING_METHODS
    if isinstance(node, nodes.Getitem):
        return isinstance(node.arg, nodes.Slice)
    return False
