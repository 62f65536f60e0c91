"""Fleet scans: discover every model of a mirror, read only what changed, record the reports in the registry.
The same code runs on a local process pool or on Ray; see docs/scaling.md."""

from __future__ import annotations

from .api import scan_mirror
from .discover import TargetRef, discover
from .run import FleetScanResult, TargetOutcome, fleet_scan
from .summary import fleet_summary

__all__ = [
    "FleetScanResult",
    "TargetOutcome",
    "TargetRef",
    "discover",
    "fleet_scan",
    "fleet_summary",
    "scan_mirror",
]
