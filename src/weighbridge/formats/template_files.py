"""Chat templates found by content: JSON with a ``chat_template`` key under any name, Jinja text on its own.

Loaders read chat templates from ``tokenizer_config.json``, ``chat_template.json`` and ``chat_template.jinja``
(the repository checks handle those by name, with the folder's special tokens); inference servers also take a
template file given on the command line (``--chat-template x.jinja``) or a JSON of any name. So any text file
is looked at here: JSON whose objects hold ``chat_template`` (a string, or a list of ``{name, template}``), and
Jinja text — a ``.jinja``/``.j2``/``.template``/``.tmpl`` file, or text that parses as a Jinja template with
statements. Templates are parsed, never rendered (``chat_template.check_template``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO

from ..core.findings import Location, Severity
from .base import ScanContext, read_exact

TEMPLATE_SUFFIXES = (".jinja", ".jinja2", ".j2", ".template", ".tmpl")
REPOSITORY_CONFIGS = frozenset({"tokenizer_config.json", "processor_config.json", "chat_template.json"})
MAX_KEPT_BYTES = 16 * 1024 * 1024  # text kept in memory to look for templates (tokenizer configs are < 5 MB)
MAX_JSON_NODES = 200_000  # JSON values visited looking for chat_template keys
MAX_TEMPLATES = 64
_MARKER = b'"chat_template"'
_CHUNK = 1024 * 1024


def handled_by_repository(rel: str) -> bool:
    """Files the repository checks read by name (with the folder's special tokens)."""
    name = rel.rsplit("/", 1)[-1]
    return (
        name in REPOSITORY_CONFIGS
        or name == "chat_template.jinja"
        or (name.endswith(".jinja") and "chat_template" in rel)
    )


def special_tokens(config: Mapping[str, Any]) -> dict[str, str | int | list[str]]:
    """The special-token variables a tokenizer configuration hands the renderer (strings or AddedToken dicts)."""
    from .chat_template import SPECIAL_TOKEN_VARIABLES

    out: dict[str, str | int | list[str]] = {}
    for name in SPECIAL_TOKEN_VARIABLES:
        text = _token_text(config.get(name))
        if text is not None:
            out[name] = text
    extra = config.get("additional_special_tokens")
    if isinstance(extra, list):
        texts = [t for t in (_token_text(e) for e in extra[:1000]) if t is not None]
        if texts:
            out["additional_special_tokens"] = texts
    return out


def _token_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("content"), str):
        return str(value["content"])
    return None


def json_templates(data: Any) -> Iterator[tuple[str, str, dict[str, str | int | list[str]]]]:
    """(key path, template, special tokens of the object holding it) for every ``chat_template`` in ``data``."""
    stack: list[tuple[str, Any]] = [("$", data)]
    seen = 0
    found = 0
    while stack and seen < MAX_JSON_NODES and found < MAX_TEMPLATES:
        path, node = stack.pop()
        seen += 1
        if isinstance(node, dict):
            template = node.get("chat_template")
            tokens = special_tokens(node) if template is not None else {}
            key = "chat_template" if path == "$" else f"{path[2:]}.chat_template"
            if isinstance(template, str):
                found += 1
                yield key, template, tokens
            elif isinstance(template, list):
                for i, entry in enumerate(template[:MAX_TEMPLATES]):
                    if isinstance(entry, dict) and isinstance(entry.get("template"), str):
                        found += 1
                        yield f"{key}[{entry.get('name', i)}]", entry["template"], tokens
            elif isinstance(template, dict):  # {"default": "...", "tool_use": "..."}
                for name, value in list(template.items())[:MAX_TEMPLATES]:
                    if isinstance(value, str):
                        found += 1
                        yield f"{key}[{name}]", value, tokens
            stack.extend(
                (f"{path}.{k}", v)
                for k, v in node.items()
                if k != "chat_template" and isinstance(v, dict | list)
            )
        elif isinstance(node, list):
            stack.extend((f"{path}[{i}]", v) for i, v in enumerate(node) if isinstance(v, dict | list))


def _seekable(stream: BinaryIO) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, ValueError, OSError):
        return False


def _read_text(stream: BinaryIO, named: bool) -> tuple[bytes | None, bool, int]:
    """(the text when it may hold a template and fits in ``MAX_KEPT_BYTES``, whether the JSON marker occurs,
    the text's length).

    A seekable stream is read once in chunks to look for the markers and read again only when one is there
    (rare, small), so ordinary text (vocabularies, tokenizer.json) is never held in memory; other streams
    keep what they read up to the cap.
    """
    seekable = _seekable(stream)
    start = stream.tell() if seekable else 0
    kept: list[bytes] = []
    total = 0
    marker = jinja = False
    tail = b""
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        window = tail + chunk
        marker = marker or _MARKER in window
        jinja = jinja or b"{%" in window or b"{{" in window
        tail = chunk[-len(_MARKER) :]
        total += len(chunk)
        if not seekable and total <= MAX_KEPT_BYTES:
            kept.append(chunk)
    if total > MAX_KEPT_BYTES or not (marker or jinja or named):
        return None, marker, total
    if not seekable:
        return b"".join(kept), marker, total
    stream.seek(start)
    return read_exact(stream, total), marker, total


def scan_text(ctx: ScanContext, stream: BinaryIO) -> None:
    """Check every chat template this text file carries (by content, whatever its name)."""
    rel = (ctx.member or ctx.path).rsplit("!", 1)[-1]
    if ctx.member is None and handled_by_repository(ctx.path):
        return
    named = rel.lower().endswith(TEMPLATE_SUFFIXES)
    raw, marker, total = _read_text(stream, named)
    if raw is None:
        if (marker or named) and total > MAX_KEPT_BYTES:
            from .chat_template import TEMPLATE_DOS

            ctx.report(
                TEMPLATE_DOS,
                f"text of more than {MAX_KEPT_BYTES} bytes that holds a chat template was not inspected",
                location=Location(offset=0),
                evidence=rel,
                severity=Severity.HIGH,
            )
        return
    text = raw.decode("utf-8", "replace")
    if marker and text.lstrip("\ufeff \t\r\n").startswith(("{", "[")):
        _json(ctx, text)
    elif named or ("{%" in text and _is_jinja(text)):
        from .chat_template import check_template

        check_template(ctx, text, location=Location(line=1))


def _json(ctx: ScanContext, text: str) -> None:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return  # not JSON after all (the repository checks report loader JSON that does not parse)
    from .chat_template import check_template

    line_of = {}
    at = text.find('"chat_template"')
    if at >= 0:
        line_of["first"] = text.count("\n", 0, at) + 1
    for key, template, tokens in json_templates(data):
        check_template(ctx, template, location=Location(key=key, line=line_of.get("first")), variables=tokens)


def _is_jinja(text: str) -> bool:
    """Text that parses as a Jinja template and has at least one statement (not just ``{{ }}``)."""
    from jinja2 import nodes

    from .chat_template import MAX_TEMPLATE_CHARS, parse_template

    if len(text) > MAX_TEMPLATE_CHARS:
        return False
    ast = parse_template(text)
    if ast is None:
        return False
    return any(
        isinstance(n, nodes.Stmt) and not isinstance(n, nodes.Output) for n in ast.find_all(nodes.Stmt)
    )
