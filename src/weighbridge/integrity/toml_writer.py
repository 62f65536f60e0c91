"""A small TOML writer for the shapes Weighbridge writes: top-level keys, tables and arrays of tables whose
values are strings, integers, booleans or lists of those. ``tomllib`` reads the result back.

Keys keep the order they are given in, so a caller that builds its dictionaries in a fixed order gets
byte-identical output for identical input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def dumps(document: Mapping[str, Any]) -> str:
    """``document``: scalar keys first, then ``{name: {...}}`` tables and ``{name: [{...}, ...]}`` arrays of
    tables. Nested tables inside tables are not supported (nothing here needs them)."""
    lines: list[str] = []
    scalars = [(k, v) for k, v in document.items() if not _is_table(v) and not _is_table_array(v)]
    for key, value in scalars:
        lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in document.items():
        if _is_table(value):
            lines.extend(["", f"[{_key(key)}]"])
            lines.extend(_table_body(value))
        elif _is_table_array(value):
            for item in value:
                lines.extend(["", f"[[{_key(key)}]]"])
                lines.extend(_table_body(item))
    return "\n".join(lines).lstrip("\n") + "\n"


def _table_body(table: Mapping[str, Any]) -> list[str]:
    out = []
    for key, value in table.items():
        if _is_table(value) or _is_table_array(value):
            raise TypeError(f"nested table {key!r} is not supported")
        out.append(f"{_key(key)} = {_value(value)}")
    return out


def _is_table(value: Any) -> bool:
    return isinstance(value, Mapping)


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list | tuple) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Sequence):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _string(text: str) -> str:
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'
