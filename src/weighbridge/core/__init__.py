"""Domain types and the rule catalogue."""

from .findings import Check, Finding, Location, Rule, Severity, WeighbridgeError
from .report import FileRecord, Report, Snapshot, SnapshotFile, Target, TargetKind
from .rules import all_rules, define, make_finding

__all__ = [
    "Check",
    "FileRecord",
    "Finding",
    "Location",
    "Report",
    "Rule",
    "Severity",
    "Snapshot",
    "SnapshotFile",
    "Target",
    "TargetKind",
    "WeighbridgeError",
    "all_rules",
    "define",
    "make_finding",
]
