"""Small typed readers for a YAML mapping: each raises ``WeighbridgeError`` with a one-line message that names
the key path (``rules.max_scan_severity: 'severe' is not one of critical, high, medium, low, info``)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..core.findings import WeighbridgeError

_REGION = re.compile(r"^[A-Z]{2}$")
REGION_GROUPS = ("EU", "EEA")


def fail(path: str, problem: str) -> WeighbridgeError:
    return WeighbridgeError(f"{path}: {problem}")


def join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def shown(value: Any) -> str:
    """A value as the error message shows it: strings quoted, YAML types named."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def mapping(value: Any, path: str, allowed: Sequence[str]) -> Mapping[str, Any]:
    """A mapping whose keys are all in ``allowed`` (``None`` counts as empty)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise fail(path, f"expected a mapping, got {shown(value)}")
    for key in value:
        if key not in allowed:
            raise fail(join(path, key), f"unknown key (expected one of: {', '.join(allowed)})")
    return value


def boolean(data: Mapping[str, Any], key: str, path: str, default: bool = False) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise fail(join(path, key), f"expected true or false, got {shown(value)}")
    return value


def count(data: Mapping[str, Any], key: str, path: str) -> int | None:
    """A non-negative integer or null."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(join(path, key), f"expected a whole number or null, got {shown(value)}")
    if value < 0:
        raise fail(join(path, key), f"must not be negative, got {value}")
    return value


def text(data: Mapping[str, Any], key: str, path: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise fail(join(path, key), f"expected a non-empty string or null, got {shown(value)}")
    return value.strip()


def choice(
    data: Mapping[str, Any], key: str, path: str, options: Sequence[str], default: str | None
) -> str | None:
    value = data.get(key, default)
    if value is None:
        return None
    if not isinstance(value, str) or value not in options:
        raise fail(join(path, key), f"{shown(value)} is not one of {', '.join(options)}")
    return value


def strings(data: Mapping[str, Any], key: str, path: str, *, lower: bool = True) -> tuple[str, ...] | None:
    """A list of non-empty strings (``None`` when the key is absent or null)."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        raise fail(join(path, key), f"expected a list of strings, got {shown(value)}")
    out: list[str] = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise fail(f"{join(path, key)}[{i}]", f"expected a non-empty string, got {shown(item)}")
        out.append(item.strip().lower() if lower else item.strip())
    return tuple(out)


def regions(data: Mapping[str, Any], key: str, path: str) -> tuple[str, ...] | None:
    """A list of ISO 3166-1 alpha-2 codes (``UK`` is read as ``GB``) or the groups EU and EEA."""
    items = strings(data, key, path, lower=False)
    if items is None:
        return None
    out: list[str] = []
    for i, item in enumerate(items):
        code = item.upper()
        if code == "UK":
            code = "GB"
        if code not in REGION_GROUPS and not _REGION.match(code):
            raise fail(f"{join(path, key)}[{i}]", f"{item!r} is not an ISO 3166-1 alpha-2 code, EU or EEA")
        out.append(code)
    return tuple(out)
