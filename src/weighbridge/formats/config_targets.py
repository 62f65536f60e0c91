"""Configurations that name callables to instantiate: Hydra ``_target_`` (NeMo ``model_config.yaml`` in a
``.nemo`` archive, Lightning and Hydra configs), NeMo's top-level ``target`` and the ``target`` keys of
latent-diffusion configs (``instantiate_from_config``).

``hydra.utils.instantiate`` and NeMo's ``restore_from`` import the dotted name and call it with the rest of the
mapping as arguments, so a configuration is code. The text is read with a line scanner (no YAML loader: no
aliases to expand, no tags to construct); every target is judged against the framework allowlist in
``data/config_targets.txt`` and the pickle policy's dangerous families (os, subprocess, builtins, ...).
Recognised by content: block-style YAML (``key:`` lines, no template markers) or text holding ``_target_``.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import BinaryIO

from ..core.findings import Check, Location, Severity
from ..core.rules import define
from .base import FormatHandler, ScanContext
from .text import sniff as text_sniff

DANGEROUS_TARGET = define(
    "WB-CFG-001",
    Check.ARTIFACT,
    Severity.CRITICAL,
    "Configuration instantiates a dangerous callable",
    "A `_target_` (Hydra, NeMo) names a function in a family that runs commands, evaluates code, imports by "
    "name or touches files and the network (os.system, subprocess.Popen, builtins.eval, ...). Instantiating "
    "the configuration, which restoring the model does, calls it with arguments from the file.",
)
FOREIGN_TARGET = define(
    "WB-CFG-002",
    Check.ARTIFACT,
    Severity.HIGH,
    "Configuration instantiates a callable outside the frameworks",
    "A `_target_` names a class or function outside NeMo, PyTorch, Lightning and the other frameworks a model "
    "configuration normally builds from. Instantiating it imports that module and calls the callable.",
)
KITFILE_PATH = define(
    "WB-CFG-004",
    Check.ARTIFACT,
    Severity.HIGH,
    "Kitfile path leaves the ModelKit",
    "A KitOps Kitfile names a model, code, dataset or docs path that is absolute, climbs out with '..' or is "
    "a URL. Packing reads that host path into the ModelKit; unpacking writes to it.",
)
UNCHECKED = define(
    "WB-CFG-003",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Configuration not inspected completely",
    "The configuration is larger than the scanner reads or a target could not be read, so not every callable "
    "it instantiates was checked.",
)

_KITFILE = re.compile(r"^manifestVersion\s*:", re.MULTILINE)
_PATH = re.compile(r"""^\s*(?:-\s+)?path\s*:\s*["']?([^"'#\n]*?)["']?\s*(?:#.*)?$""")
_TARGET = re.compile(r"""(?:^|[\s{,])(["']?)(_target_|__target__)\1\s*:\s*["']?([^\s"',}#\]]*)""")
# NeMo's top-level ``target`` and the ``target:`` keys of latent-diffusion configs (instantiate_from_config):
# only values that are dotted names count (``target: 0.5`` is data).
_PLAIN_TARGET = re.compile(
    r"""^\s*(["']?)(target)\1\s*:\s*["']?([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)["']?\s*(?:#.*)?$"""
)
_DOTTED = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")
MAX_REPORTED = 50
EVIDENCE_CAP = 200


@cache
def allowed_prefixes() -> tuple[str, ...]:
    text = (Path(__file__).parent / "data" / "config_targets.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def judge_target(dotted: str) -> tuple[Severity, str] | None:
    """(severity, why) for a callable a configuration instantiates; None when it is a framework class."""
    from .pickle.policy import Verdict, classify  # the same families the pickle analyser uses

    module, _, name = dotted.rpartition(".")
    if module:
        verdict = classify(module, name)
        if verdict.verdict is Verdict.DANGEROUS:
            return Severity.CRITICAL, verdict.family
    elif dotted in ("eval", "exec", "compile", "open", "__import__", "getattr", "system"):
        return Severity.CRITICAL, "builtin function"
    if any(dotted == p or dotted.startswith(p + ".") for p in allowed_prefixes()):
        return None
    return Severity.HIGH, "outside the framework allowlist"


_YAML_KEY = re.compile(rb"^[A-Za-z_][\w.-]*[ \t]*:(?:[ \t]|$)")


def _yaml_shaped(head: bytes) -> bool:
    """Block-style YAML: the first lines that are not comments are ``key:`` mappings (not a template)."""
    if b"{%" in head or b"{{" in head:
        return False
    keys = nested = 0
    for line in head.splitlines()[:40]:
        if line.startswith((b" ", b"\t")) and _YAML_KEY.match(line.lstrip()):
            nested += 1
        if not line.strip() or line.lstrip().startswith(b"#") or line.startswith((b" ", b"\t", b"-")):
            continue
        if line.strip() == b"---" and keys == 0:
            return False  # front matter of a model card: Markdown, not a configuration
        if not _YAML_KEY.match(line):
            return False
        keys += 1
    return keys >= 2 or (keys == 1 and nested >= 1)


def _sniff(head: bytes, name: str) -> bool:
    if head.lstrip()[:1] in (b"{", b"["):
        return False  # JSON stays text (loaders' JSON files are judged by the repository checks)
    return (b"_target_" in head or _yaml_shaped(head)) and text_sniff(head, name)


def check_targets(ctx: ScanContext, text: str, *, source: str | None = None) -> int:
    """Report every target in ``text``; returns how many were found."""
    found = 0
    reported = 0
    for number, line in enumerate(text.splitlines(), 1):
        if "target" not in line:
            continue
        hits = [m.group(3) for m in _TARGET.finditer(line)]
        plain = _PLAIN_TARGET.match(line)
        if plain is not None:
            hits.append(plain.group(3))
        for target in hits:
            found += 1
            where = Location(line=number, key=source)
            if not target or not _DOTTED.match(target):
                if target.startswith("${"):
                    continue  # an interpolation resolved by OmegaConf from another key, itself checked
                ctx.report(
                    UNCHECKED,
                    f"target {target!r} is not a dotted name",
                    location=where,
                    evidence=line.strip()[:EVIDENCE_CAP],
                )
                continue
            verdict = judge_target(target)
            if verdict is None or reported >= MAX_REPORTED:
                continue
            severity, why = verdict
            reported += 1
            rule = DANGEROUS_TARGET if severity is Severity.CRITICAL else FOREIGN_TARGET
            ctx.report(
                rule, f"instantiates {target!r} ({why})", location=where, evidence=line.strip()[:EVIDENCE_CAP]
            )
    return found


def _scan(ctx: ScanContext, stream: BinaryIO) -> None:
    cap = ctx.limits.max_header_bytes
    raw = stream.read(cap + 1)
    if len(raw) > cap:
        ctx.report(
            UNCHECKED,
            f"configuration larger than {cap} bytes; the rest was not read",
            location=Location(offset=cap),
            severity=Severity.HIGH,
        )
        raw = raw[:cap]
    text = raw.decode("utf-8", errors="replace")
    check_targets(ctx, text)
    if _KITFILE.search(text):
        ctx.formats.append("kitfile")
        check_kitfile_paths(ctx, text)


def check_kitfile_paths(ctx: ScanContext, text: str) -> None:
    from .tensorflow import escaping_path  # the same absolute / '..' / URL test as TensorFlow file ops

    for number, line in enumerate(text.splitlines(), 1):
        match = _PATH.match(line)
        if match is None:
            continue
        why = escaping_path(match.group(1).strip())
        if why is not None:
            ctx.report(
                KITFILE_PATH,
                f"Kitfile path is {why}: {match.group(1).strip()!r}",
                location=Location(line=number),
                evidence=line.strip()[:EVIDENCE_CAP],
            )


CONFIG_TARGETS_HANDLER = FormatHandler(name="yaml-config", sniff=_sniff, scan=_scan)
