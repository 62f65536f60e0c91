"""Weighbridge: weigh and inspect open-weight AI models before they cross into your systems.

``weighbridge.scan(target) -> Report`` is the library entry point (imported lazily, so importing a
sub-package such as ``weighbridge.formats.base`` stays cheap).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .core.types import Report, Severity, WeighbridgeError
    from .scan.api import scan

__all__ = ["Report", "Severity", "WeighbridgeError", "__version__", "scan"]


def __getattr__(name: str) -> Any:
    if name == "scan":
        from .scan.api import scan

        return scan
    if name in ("Report", "Severity", "WeighbridgeError"):
        from .core import types

        return getattr(types, name)
    raise AttributeError(f"module 'weighbridge' has no attribute {name!r}")
