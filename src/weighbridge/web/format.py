"""Template filters: how numbers, digests, severities and times read on a page. Presentation only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.findings import Severity


def short_digest(value: str | None, length: int = 12) -> str:
    if not value:
        return "—"
    text = str(value)
    if ":" in text[:10]:
        text = text.split(":", 1)[1]
    return text[:length]


def human_size(value: int | None) -> str:
    if value is None:
        return "—"
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{value} B"


def severity_label(value: Any) -> str:
    """A severity given as its number, its label or None, as the lower-case label ("none" when absent)."""
    if value is None or value == "" or value == "none":
        return "none"
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return Severity(value).label
        except ValueError:
            return str(value)
    try:
        return Severity.parse(str(value)).label
    except ValueError:
        return str(value)


def when(value: Any) -> str:
    """An ISO 8601 time shortened to the minute, in UTC as stored."""
    if not value:
        return "—"
    text = str(value).replace("T", " ")
    return text[:16] + (" UTC" if text.endswith(("Z", "+00:00")) else "")


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


FILTERS: dict[str, Callable[..., str]] = {
    "short_digest": short_digest,
    "human_size": human_size,
    "severity": severity_label,
    "when": when,
    "percent": percent,
}
