"""Domain types and the rule catalogue."""

from .rules import all_rules, define, make_finding
from .types import (
    Check,
    FileRecord,
    Finding,
    Location,
    Report,
    Rule,
    Severity,
    Snapshot,
    SnapshotFile,
    Target,
    TargetKind,
    WeighbridgeError,
)

__all__ = [
    "Check", "FileRecord", "Finding", "Location", "Report", "Rule", "Severity", "Snapshot", "SnapshotFile",
    "Target", "TargetKind", "WeighbridgeError", "all_rules", "define", "make_finding",
]
