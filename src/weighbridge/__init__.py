"""Weighbridge: weigh and inspect open-weight AI models before they cross into your systems.

``weighbridge.scan(target) -> Report`` is the library entry point.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .core.types import Report, Severity, WeighbridgeError  # noqa: E402

# Bound after the sub-package import: importing ``weighbridge.scan.api`` sets the attribute ``scan`` to the
# sub-package, and this line rebinds it to the function.
from .scan.api import scan  # noqa: E402
from .scan.inspection import inspect  # noqa: E402

__all__ = ["Report", "Severity", "WeighbridgeError", "__version__", "inspect", "scan"]
