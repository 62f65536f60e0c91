"""Weighbridge: weigh and inspect open-weight AI models before they cross into your systems.

``weighbridge.scan(target) -> Report`` is the library entry point; ``weighbridge.inspect`` adds the licence,
provenance, openness and policy sections. The scanner itself lives in ``weighbridge.scanning``.

The package root imports nothing heavy: ``import weighbridge`` (and ``import weighbridge.guard`` in a training
process) loads no format parser, archive library, web or registry code. The public names below load on first
use (PEP 562 ``__getattr__``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# A library logs, the application decides where it goes: silent unless the CLI's -v (or the embedding program)
# configures the "weighbridge" logger.
logging.getLogger(__name__).addHandler(logging.NullHandler())

if TYPE_CHECKING:
    from .core.findings import Severity, WeighbridgeError
    from .core.report import Report
    from .scanning.api import scan
    from .scanning.inspection import inspect

__all__ = ["Report", "Severity", "WeighbridgeError", "__version__", "inspect", "scan"]

# name → (module, attribute), imported on first access
_LAZY: dict[str, tuple[str, str]] = {
    "Report": ("weighbridge.core.report", "Report"),
    "Severity": ("weighbridge.core.findings", "Severity"),
    "WeighbridgeError": ("weighbridge.core.findings", "WeighbridgeError"),
    "scan": ("weighbridge.scanning.api", "scan"),
    "inspect": ("weighbridge.scanning.inspection", "inspect"),
}


def __getattr__(name: str) -> Any:
    """Load a public name on first use and keep it as a module attribute."""
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'weighbridge' has no attribute {name!r}") from None
    import importlib

    value = getattr(importlib.import_module(module_name), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
