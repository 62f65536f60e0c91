"""Weighbridge: weigh and inspect open-weight AI models before they cross into your systems.

``weighbridge.scan(target) -> Report`` is the library entry point.
"""

from __future__ import annotations

import logging
from typing import Any

__version__ = "0.1.0"

# A library logs, the application decides where it goes: silent unless the CLI's -v (or the embedding program)
# configures the "weighbridge" logger.
logging.getLogger(__name__).addHandler(logging.NullHandler())

from .core.findings import Severity, WeighbridgeError  # noqa: E402
from .core.report import Report  # noqa: E402

# Bound after the sub-package import: importing ``weighbridge.scan.api`` sets the attribute ``scan`` to the
# sub-package, and this line rebinds it to the function.
from .scan.api import scan  # noqa: E402

__all__ = ["Report", "Severity", "WeighbridgeError", "__version__", "inspect", "scan"]


def __getattr__(name: str) -> Any:
    """``weighbridge.inspect`` pulls in the licence, provenance, openness and policy packages: load on use."""
    if name == "inspect":
        from .scan.inspection import inspect

        return inspect
    raise AttributeError(f"module 'weighbridge' has no attribute {name!r}")
