"""Folder-level checks: what the model repository as a whole asks of a loader.

Per-file parsers see one file at a time. Here the engine hands over the whole snapshot after those scans:
configuration that makes ``transformers``/``diffusers``/``sentence-transformers`` import code from the
repository (``auto_map``, custom pipelines, custom modules), the Python files themselves (read with ``ast``,
never imported), links that leave the folder, native executables, and chat templates kept beside the model.
"""

from __future__ import annotations

import ast
import json
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

from ..core.findings import Check, Finding, Location, Rule, Severity
from ..core.report import FileRecord, Snapshot, SnapshotFile, TargetKind
from ..core.rules import define, make_finding
from .base import Limits, ScanContext
from .template_files import handled_by_repository, special_tokens

if TYPE_CHECKING:
    from .chat_template import Value


def check_template(
    ctx: ScanContext, template: str, *, location: Location, variables: Mapping[str, Value] | None = None
) -> None:
    """``chat_template.check_template``, imported when a folder has a template (Jinja2 loads only then)."""
    from .chat_template import check_template as check

    check(ctx, template, location=location, variables=variables)


REMOTE_CODE = define(
    "WB-REPO-001",
    Check.REPOSITORY,
    Severity.HIGH,
    "Loading needs trust_remote_code",
    "The configuration maps model, tokenizer or pipeline classes to Python modules in the repository "
    "(auto_map, custom pipelines, custom components). Loading it with trust_remote_code imports and runs "
    "that code.",
)
FOREIGN_CODE = define(
    "WB-REPO-002",
    Check.REPOSITORY,
    Severity.CRITICAL,
    "Loading runs code from another repository",
    "An auto_map entry of the form 'org/name--module.Class' makes the loader download and run a module from "
    "a different repository, which can change at any time without this one changing.",
)
PYTHON_FILE = define(
    "WB-REPO-003",
    Check.REPOSITORY,
    Severity.MEDIUM,
    "Python code in the model repository",
    "A Python file ships with the model. Loaders import such files when asked to trust remote code, and "
    "users are told to run them. Severity is high when the configuration points a loader at it.",
)
PYTHON_CONSTRUCT = define(
    "WB-REPO-004",
    Check.REPOSITORY,
    Severity.HIGH,
    "Python code runs processes, opens connections or evaluates code",
    "A Python file in the repository starts processes, evaluates dynamic code, loads native libraries or "
    "opens network connections. It runs with the loader's privileges when imported.",
)
PYTHON_UNREADABLE = define(
    "WB-REPO-005",
    Check.REPOSITORY,
    Severity.MEDIUM,
    "Python code could not be analysed",
    "A Python file in the repository could not be parsed (syntax error, compiled bytecode, too large), so "
    "what it does was not checked.",
)
LINK_ESCAPE = define(
    "WB-REPO-006",
    Check.REPOSITORY,
    Severity.HIGH,
    "Symbolic link leaves the model folder",
    "A file or folder of the model is a symbolic link to a place outside the model folder. A loader reads "
    "(or a copy/upload carries) whatever the link points to, e.g. /etc/passwd or a private key.",
)
HARD_LINK = define(
    "WB-REPO-007",
    Check.REPOSITORY,
    Severity.MEDIUM,
    "Hard-linked file",
    "The file has more than one name on the file system. Its content can be a file outside the model folder "
    "that was hard-linked in, and changes to either name change both.",
)
EXECUTABLE = define(
    "WB-REPO-008",
    Check.REPOSITORY,
    Severity.HIGH,
    "Executable or native library in the model repository",
    "A native executable, shared library or executable script ships with the model. Loaders and custom "
    "code can load or run it; a model never needs one.",
)
CONFIG_UNPARSABLE = define(
    "WB-REPO-009",
    Check.REPOSITORY,
    Severity.LOW,
    "Loader configuration is not valid JSON",
    "A JSON file that loaders read (config, tokenizer or generation configuration, chat templates) does "
    "not parse, so its settings were not checked and loaders may fail or read it differently.",
)

CODE_CONFIGS = frozenset(
    {
        "config.json",
        "tokenizer_config.json",
        "processor_config.json",
        "preprocessor_config.json",
        "image_processor_config.json",
        "feature_extractor_config.json",
        "video_preprocessor_config.json",
    }
)
LOADER_JSON = CODE_CONFIGS | {
    "generation_config.json",
    "special_tokens_map.json",
    "chat_template.json",
    "model_index.json",
    "modules.json",
    "adapter_config.json",
}
TEMPLATE_CONFIGS = frozenset({"tokenizer_config.json", "processor_config.json", "chat_template.json"})
KNOWN_LIBRARIES = frozenset({"diffusers", "transformers", "peft", "torch", "onnxruntime"})
NATIVE_SUFFIX = re.compile(r"\.(so(\.\d+)*|dll|dylib|pyd|exe|sys|com|bundle)$", re.IGNORECASE)
MACHO = (
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)
MAX_PYTHON_BYTES = 10 * 1024 * 1024
MAX_HITS_PER_FILE = 20
EVIDENCE_CAP = 200

DANGEROUS_CALLS = frozenset(
    {
        "eval",
        "exec",
        "compile",
        "__import__",
        "breakpoint",
        "os.system",
        "os.popen",
        "os.fork",
        "os.forkpty",
        "os.posix_spawn",
        "os.posix_spawnp",
        "os.startfile",
        "os.kill",
        "pty.spawn",
        "marshal.loads",
        "marshal.load",
        "pickle.loads",
        "pickle.load",
        "dill.loads",
        "dill.load",
        "importlib.import_module",
        "importlib.__import__",
        "runpy.run_path",
        "runpy.run_module",
        "urllib.urlopen",
        "urllib2.urlopen",
        "shutil.rmtree",
    }
)
DANGEROUS_PREFIXES = (
    "subprocess.",
    "socket.",
    "ctypes.",
    "urllib.request.",
    "requests.",
    "http.client.",
    "httpx.",
    "aiohttp.",
    "ftplib.",
    "smtplib.",
    "telnetlib.",
    "paramiko.",
    "webbrowser.",
    "os.exec",
    "os.spawn",
    "_posixsubprocess.",
    "cffi.",
    "asyncio.create_subprocess",
)
DANGEROUS_IMPORTS = frozenset(
    {
        "subprocess",
        "socket",
        "ctypes",
        "pty",
        "requests",
        "urllib.request",
        "http.client",
        "httpx",
        "aiohttp",
        "paramiko",
        "ftplib",
        "telnetlib",
        "smtplib",
        "webbrowser",
        "marshal",
        "_posixsubprocess",
        "cffi",
        "urllib2",
    }
)
DANGEROUS_ATTRS = frozenset(
    {
        "system",
        "popen",
        "exec",
        "eval",
        "spawn",
        "Popen",
        "call",
        "check_output",
        "run",
        "__import__",
        "loads",
        "urlopen",
        "execv",
        "execve",
        "fork",
    }
)
DECODERS = frozenset(
    {
        "base64.b64decode",
        "base64.b32decode",
        "base64.b16decode",
        "base64.a85decode",
        "base64.decodebytes",
        "codecs.decode",
        "zlib.decompress",
        "bytes.fromhex",
        "binascii.unhexlify",
        "binascii.a2b_base64",
        "lzma.decompress",
        "bz2.decompress",
        "gzip.decompress",
    }
)
TEXT_FALLBACK = re.compile(
    r"\b(os\.system|os\.popen|subprocess|socket|ctypes|eval\s*\(|exec\s*\(|__import__|"
    r"urlopen|requests\.(get|post))"
)


def _clip(text: str) -> str:
    text = text.strip()
    return text if len(text) <= EVIDENCE_CAP else text[:EVIDENCE_CAP] + "…"


def _no_nested(ctx: ScanContext, stream: BinaryIO, name: str, size: int | None) -> str:
    """Chat templates embed no further content; nothing is routed from here."""
    return "unscanned"


# -- Python source ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class PythonHit:
    line: int
    construct: str


@dataclass(slots=True)
class PythonFacts:
    hits: list[PythonHit] = field(default_factory=list)
    relative_imports: set[str] = field(default_factory=set)  # sibling module names imported with "from ."


class _PythonScanner(ast.NodeVisitor):
    """Finds process, network, native-library and dynamic-code constructs; resolves import aliases."""

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}
        self.facts = PythonFacts()

    def collect_aliases(self, tree: ast.AST) -> None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        self.aliases[a.asname] = a.name
                    else:
                        top = a.name.split(".")[0]
                        self.aliases.setdefault(top, top)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for a in node.names:
                    if a.name != "*":
                        self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"

    def dotted(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def hit(self, node: ast.AST, construct: str) -> None:
        self.facts.hits.append(PythonHit(getattr(node, "lineno", 0), construct))

    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            if a.name in DANGEROUS_IMPORTS or a.name.split(".")[0] in DANGEROUS_IMPORTS:
                self.hit(node, f"import {a.name}")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            if node.module:
                self.facts.relative_imports.add(node.module)
            else:
                self.facts.relative_imports.update(a.name for a in node.names)
            return
        module = node.module or ""
        if module in DANGEROUS_IMPORTS or module.split(".")[0] in DANGEROUS_IMPORTS:
            self.hit(node, f"from {module} import {', '.join(a.name for a in node.names)}")
            return
        for a in node.names:
            full = f"{module}.{a.name}"
            if full in DANGEROUS_CALLS or full.startswith(DANGEROUS_PREFIXES):
                self.hit(node, f"from {module} import {a.name}")

    def visit_Call(self, node: ast.Call) -> None:
        name = self.dotted(node.func)
        if name is not None:
            if name.startswith("builtins."):
                name = name[len("builtins.") :]
            if name in DANGEROUS_CALLS or name.startswith(DANGEROUS_PREFIXES):
                decoded = any(
                    self.dotted(n.func) in DECODERS
                    for n in ast.walk(node)
                    if isinstance(n, ast.Call) and n is not node
                )
                self.hit(node, f"{name}(…)" + (" on decoded data" if decoded else ""))
            elif name == "getattr" and len(node.args) >= 2:
                attr = node.args[1]
                if (
                    isinstance(attr, ast.Constant)
                    and isinstance(attr.value, str)
                    and attr.value in DANGEROUS_ATTRS
                ):
                    self.hit(node, f"getattr(…, {attr.value!r})")
        self.generic_visit(node)


def analyse_python(source: str) -> PythonFacts:
    """Parse (never run) a Python source file. Raises SyntaxError/ValueError/RecursionError/MemoryError."""
    tree = ast.parse(source)
    scanner = _PythonScanner()
    scanner.collect_aliases(tree)
    scanner.visit(tree)
    scanner.facts.hits.sort(key=lambda h: h.line)
    return scanner.facts


# -- the repository walk ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _CodeReference:
    config: str  # rel path of the config that names it
    key: str  # e.g. "auto_map.AutoModelForCausalLM"
    reference: str  # "modeling_x.Model"
    module_file: str | None  # rel path of the module file it points to


class _Repository:
    def __init__(self, snapshot: Snapshot, records: list[FileRecord]) -> None:
        self.snapshot = snapshot
        self.root = snapshot.root
        self.real_root = os.path.realpath(snapshot.root)
        self.files = {f.rel: f for f in snapshot.files}
        self.sizes = {r.path: r.size for r in records}
        self.limits = Limits()
        self.findings: list[Finding] = []
        self.references: list[_CodeReference] = []
        self.links_seen: set[str] = set()
        self.escaping_links: set[str] = set()

    def add(
        self,
        rule: Rule,
        path: str,
        detail: str,
        *,
        evidence: str | None = None,
        location: Location | None = None,
        severity: Severity | None = None,
    ) -> None:
        self.findings.append(
            make_finding(rule, path, detail, location=location, evidence=evidence, severity=severity)
        )

    def run(self) -> list[Finding]:
        for f in self.snapshot.files:
            self.check_links(f)
            self.check_executable(f)
        for f in self.snapshot.files:
            name = f.rel.rsplit("/", 1)[-1]
            if name in LOADER_JSON:
                data = self.load_json(f)
                if isinstance(data, dict | list):
                    self.check_config(f, name, data)
            elif handled_by_repository(f.rel):
                self.template_file(f)
        self.report_references()
        self.check_python()
        return self.findings

    # -- files on disk -----------------------------------------------------------------------------------
    def size(self, f: SnapshotFile) -> int:
        size = self.sizes.get(f.rel)
        if size is not None:
            return size
        try:
            return os.stat(f.abspath).st_size
        except OSError:
            return 0

    def read_text(self, f: SnapshotFile, cap: int) -> str | None:
        if self.size(f) > cap:
            return None
        try:
            with open(f.abspath, "rb") as fh:
                return fh.read(cap + 1).decode("utf-8", "replace")
        except OSError:
            return None

    def _hf_blob(self, real: str) -> bool:
        if self.snapshot.target.kind is not TargetKind.HF:
            return False
        blobs = os.path.realpath(os.path.join(self.root, os.pardir, os.pardir, "blobs"))
        return os.path.dirname(real) == blobs

    def _inside(self, real: str) -> bool:
        return real == self.real_root or real.startswith(self.real_root.rstrip(os.sep) + os.sep)

    def check_links(self, f: SnapshotFile) -> None:
        parts = f.rel.split("/")
        current = self.root
        for i, part in enumerate(parts):
            current = os.path.join(current, part)
            rel = "/".join(parts[: i + 1])
            if not os.path.islink(current):
                continue
            if rel in self.escaping_links:
                return  # reported once, for the link itself
            if rel in self.links_seen:
                continue
            self.links_seen.add(rel)
            real = os.path.realpath(current)
            last = i == len(parts) - 1
            if not self._inside(real) and not (last and self._hf_blob(real)):
                self.escaping_links.add(rel)
                pointee = os.readlink(current)
                self.add(
                    LINK_ESCAPE,
                    rel,
                    f"symbolic link resolves to {real}, outside the model folder",
                    evidence=f"{rel} -> {pointee}",
                )
                return
        try:
            st = os.stat(f.abspath)
        except OSError:
            return
        if stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
            self.add(
                HARD_LINK,
                f.rel,
                f"file has {st.st_nlink} hard links; its content may live elsewhere",
                evidence=f"st_nlink={st.st_nlink} inode={st.st_ino}",
            )

    def check_executable(self, f: SnapshotFile) -> None:
        try:
            st = os.stat(f.abspath)
            if not stat.S_ISREG(st.st_mode):
                return
            with open(f.abspath, "rb") as fh:
                head = fh.read(4096)
        except OSError:
            return
        kind: str | None = None
        if head.startswith(b"\x7fELF"):
            kind = "ELF executable or shared library"
        elif head[:4] in MACHO:
            kind = "Mach-O binary (or Java class file)" if head[:4] == MACHO[-1] else "Mach-O binary"
        elif head.startswith(b"MZ"):
            lfanew = int.from_bytes(head[0x3C:0x40], "little") if len(head) >= 0x40 else -1
            if 0 <= lfanew <= len(head) - 4 and head[lfanew : lfanew + 4] == b"PE\0\0":
                kind = "Windows PE executable or DLL"
        elif head.startswith(b"#!") and st.st_mode & 0o111:
            kind = "executable script"
        if kind is None and NATIVE_SUFFIX.search(f.rel):
            kind = "native library or executable (by name)"
        if kind is not None:
            first = head[:64]
            evidence = (
                first.split(b"\n", 1)[0].decode("utf-8", "replace")
                if kind == "executable script"
                else (first[:16].hex(" "))
            )
            self.add(EXECUTABLE, f.rel, f"{kind} in the model repository", evidence=_clip(evidence))

    # -- JSON configuration --------------------------------------------------------------------------------
    def load_json(self, f: SnapshotFile) -> Any:
        text = self.read_text(f, self.limits.max_header_bytes)
        if text is None:
            self.add(
                CONFIG_UNPARSABLE,
                f.rel,
                "file could not be read or is larger than the configuration limit",
                evidence=f"size {self.size(f)} bytes",
            )
            return None
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as exc:
            line = getattr(exc, "lineno", None)
            self.add(
                CONFIG_UNPARSABLE,
                f.rel,
                f"invalid JSON: {exc}"[:300],
                location=Location(line=line if isinstance(line, int) else None),
                evidence=_clip(text[:120]),
            )
            return None

    def check_config(self, f: SnapshotFile, name: str, data: Any) -> None:
        folder = f.rel.rsplit("/", 1)[0] if "/" in f.rel else ""
        if isinstance(data, dict):
            if name in CODE_CONFIGS:
                auto_map = data.get("auto_map")
                if isinstance(auto_map, dict):
                    for key, value in auto_map.items():
                        refs = value if isinstance(value, list) else [value]
                        for ref in refs:
                            if isinstance(ref, str) and ref:
                                self.reference(f.rel, f"auto_map.{key}", ref, folder)
                pipelines = data.get("custom_pipelines")
                if isinstance(pipelines, dict):
                    for task, spec in pipelines.items():
                        impl = spec.get("impl") if isinstance(spec, dict) else None
                        if isinstance(impl, str) and impl:
                            self.reference(f.rel, f"custom_pipelines.{task}.impl", impl, folder)
            if name == "model_index.json":
                self.diffusers_components(f, data, folder)
            if name in TEMPLATE_CONFIGS:
                self.config_templates(f, data)
        elif name == "modules.json":
            for i, module in enumerate(data):
                kind = module.get("type") if isinstance(module, dict) else None
                if isinstance(kind, str) and kind and not kind.startswith("sentence_transformers."):
                    self.reference(f.rel, f"[{i}].type", kind, folder)

    def module_file(self, module: str, folder: str) -> str | None:
        rel_module = module.replace(".", "/") + ".py"
        for candidate in (f"{folder}/{rel_module}" if folder else rel_module, rel_module):
            if candidate in self.files:
                return candidate
        return None

    def reference(self, config: str, key: str, ref: str, folder: str) -> None:
        if "--" in ref:
            repo, _, target = ref.partition("--")
            self.add(
                FOREIGN_CODE,
                config,
                f"{key} runs {target!r} from repository {repo!r}",
                location=Location(key=key),
                evidence=f'"{key.rsplit(".", 1)[-1]}": "{ref}"',
            )
            return
        module = ref.rsplit(".", 1)[0] if "." in ref else ref
        self.references.append(_CodeReference(config, key, ref, self.module_file(module, folder)))

    def diffusers_components(self, f: SnapshotFile, data: dict[str, Any], folder: str) -> None:
        for key, value in data.items():
            if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)):
                continue
            library, cls = value
            if library in KNOWN_LIBRARIES:
                continue
            sub = folder if key == "_class_name" else (f"{folder}/{key}" if folder else key)
            module_file = self.module_file(library, sub)
            if module_file is not None or key == "_class_name":
                self.references.append(_CodeReference(f.rel, key, f"{library}.{cls}", module_file))
            else:
                self.add(
                    REMOTE_CODE,
                    f.rel,
                    f"component {key!r} is loaded from library {library!r}, which is "
                    "neither a known library nor a module in the repository",
                    location=Location(key=key),
                    evidence=json.dumps({key: value}),
                    severity=Severity.MEDIUM,
                )

    def report_references(self) -> None:
        by_config: dict[str, list[_CodeReference]] = {}
        for ref in self.references:
            by_config.setdefault(ref.config, []).append(ref)
        for config, refs in sorted(by_config.items()):
            files = sorted({r.module_file for r in refs if r.module_file})
            missing = sorted({r.reference for r in refs if not r.module_file})
            detail = "loading needs trust_remote_code and imports " + (
                ", ".join(files) if files else "modules not present in the snapshot"
            )
            if missing and files:
                detail += f"; not found here: {', '.join(missing)}"
            evidence = "; ".join(f"{r.key}: {r.reference}" for r in refs[:10]) + (
                " …" if len(refs) > 10 else ""
            )
            self.add(
                REMOTE_CODE,
                config,
                detail,
                location=Location(key=refs[0].key.split(".")[0]),
                evidence=_clip(evidence),
            )

    # -- chat templates ------------------------------------------------------------------------------------
    def template_context(self, f: SnapshotFile) -> ScanContext:
        return ScanContext(
            path=f.rel, limits=self.limits, nested=_no_nested, root=self.root, fs_path=f.abspath
        )

    def folder_tokens(self, f: SnapshotFile, own: dict[str, Any] | None = None) -> dict[str, Any]:
        """Special tokens a renderer passes to this folder's chat templates: special_tokens_map.json, then
        tokenizer_config.json, then the file's own keys (later ones win, as in transformers)."""
        folder = f.rel.rsplit("/", 1)[0] + "/" if "/" in f.rel else ""
        tokens: dict[str, Any] = {}
        for name in ("special_tokens_map.json", "tokenizer_config.json"):
            other = self.files.get(folder + name)
            if other is None or other.rel == f.rel:
                continue
            text = self.read_text(other, self.limits.max_header_bytes)
            try:
                data = json.loads(text) if text is not None else None
            except (ValueError, RecursionError):
                data = None
            if isinstance(data, dict):
                tokens.update(special_tokens(data))
        if own is not None:
            tokens.update(special_tokens(own))
        return tokens

    def config_templates(self, f: SnapshotFile, data: dict[str, Any]) -> None:
        template = data.get("chat_template")
        if template is None:
            return
        line = self.key_line(f, "chat_template")
        ctx = self.template_context(f)
        tokens = self.folder_tokens(f, data)
        if isinstance(template, str):
            check_template(ctx, template, location=Location(key="chat_template", line=line), variables=tokens)
        elif isinstance(template, list):
            for i, entry in enumerate(template):
                if isinstance(entry, dict) and isinstance(entry.get("template"), str):
                    name = entry.get("name", i)
                    check_template(
                        ctx,
                        entry["template"],
                        location=Location(key=f"chat_template[{name}]", line=line),
                        variables=tokens,
                    )
        self.findings.extend(ctx.findings)

    def key_line(self, f: SnapshotFile, key: str) -> int | None:
        text = self.read_text(f, self.limits.max_header_bytes) or ""
        index = text.find(f'"{key}"')
        return text.count("\n", 0, index) + 1 if index >= 0 else None

    def template_file(self, f: SnapshotFile) -> None:
        text = self.read_text(f, self.limits.max_header_bytes)
        ctx = self.template_context(f)
        if text is None:
            self.add(
                CONFIG_UNPARSABLE,
                f.rel,
                "chat template could not be read or is larger than the limit",
                evidence=f"size {self.size(f)} bytes",
            )
            return
        check_template(ctx, text, location=Location(line=1), variables=self.folder_tokens(f))
        self.findings.extend(ctx.findings)

    # -- Python files ----------------------------------------------------------------------------------------
    def check_python(self) -> None:
        referenced = {r.module_file: r for r in self.references if r.module_file}
        facts: dict[str, PythonFacts] = {}
        sources: dict[str, list[str]] = {}
        for f in self.snapshot.files:
            if f.rel.endswith((".pyc", ".pyo")):
                self.add(
                    PYTHON_UNREADABLE,
                    f.rel,
                    "compiled Python bytecode ships with the model; it cannot be "
                    "reviewed and Python imports it",
                    evidence=f"size {self.size(f)} bytes",
                )
            elif f.rel.endswith(".py"):
                result = self.analyse(f)
                if result is not None:
                    facts[f.rel], sources[f.rel] = result
        # modules pulled in by referenced modules ("from .configuration_x import ...") are loaded too
        pending = list(referenced)
        while pending:
            rel = pending.pop()
            folder = rel.rsplit("/", 1)[0] if "/" in rel else ""
            for module in sorted(facts.get(rel, PythonFacts()).relative_imports):
                target = self.module_file(module, folder)
                if target and target not in referenced:
                    referenced[target] = _CodeReference(rel, "import", module, target)
                    pending.append(target)
        for f in self.snapshot.files:
            if not f.rel.endswith(".py"):
                continue
            ref = referenced.get(f.rel)
            hits = facts[f.rel].hits if f.rel in facts else []
            if ref is not None:
                detail = f"imported by the loader: {ref.config} {ref.key} → {ref.reference}"
                self.add(
                    PYTHON_FILE, f.rel, detail, severity=Severity.HIGH, evidence=f"{ref.key}: {ref.reference}"
                )
            else:
                self.add(
                    PYTHON_FILE,
                    f.rel,
                    "Python file a loader may import",
                    evidence=f"size {self.size(f)} bytes",
                    severity=Severity.HIGH if hits else None,
                )
            self.report_hits(f.rel, hits, sources.get(f.rel, []))

    def analyse(self, f: SnapshotFile) -> tuple[PythonFacts, list[str]] | None:
        text = self.read_text(f, MAX_PYTHON_BYTES)
        if text is None:
            self.add(
                PYTHON_UNREADABLE,
                f.rel,
                f"file could not be read or is larger than {MAX_PYTHON_BYTES} bytes",
                evidence=f"size {self.size(f)} bytes",
            )
            return None
        lines = text.splitlines()
        try:
            return analyse_python(text), lines
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            line = getattr(exc, "lineno", None)
            self.add(
                PYTHON_UNREADABLE,
                f.rel,
                f"Python parser rejected the file: {type(exc).__name__}: {exc}"[:300],
                location=Location(line=line if isinstance(line, int) else None),
                evidence=_clip(lines[line - 1]) if isinstance(line, int) and 0 < line <= len(lines) else None,
            )
            hits = [
                PythonHit(i, m.group(1))
                for i, text_line in enumerate(lines, 1)
                if (m := TEXT_FALLBACK.search(text_line))
            ]
            return PythonFacts(hits=hits), lines

    def report_hits(self, rel: str, hits: list[PythonHit], lines: list[str]) -> None:
        for hit in hits[:MAX_HITS_PER_FILE]:
            source = lines[hit.line - 1] if 0 < hit.line <= len(lines) else hit.construct
            self.add(
                PYTHON_CONSTRUCT,
                rel,
                f"line {hit.line}: {hit.construct}",
                location=Location(line=hit.line),
                evidence=_clip(source),
            )
        if len(hits) > MAX_HITS_PER_FILE:
            more = hits[MAX_HITS_PER_FILE:]
            self.add(
                PYTHON_CONSTRUCT,
                rel,
                f"{len(more)} more construct(s) of this kind",
                location=Location(line=more[0].line),
                evidence=", ".join(h.construct for h in more[:10]),
            )


def check_repository(snapshot: Snapshot, records: list[FileRecord]) -> list[Finding]:
    """Folder-level findings for a resolved snapshot; ``records`` are the per-file scan results."""
    return _Repository(snapshot, records).run()
