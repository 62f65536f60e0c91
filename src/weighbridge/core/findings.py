"""Findings and the rules they refer to: severities, checks, locations, and the one error type a user sees.
Plain dataclasses and enums: no I/O, no parsing."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Severity(enum.IntEnum):
    """How bad a finding is. Ordered, so ``max()`` and comparisons work."""

    INFO = 1
    LOW = 2
    MEDIUM = 3
    HIGH = 4
    CRITICAL = 5

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of: {names})") from None


class Check(enum.StrEnum):
    """Which question a finding answers."""

    ARTIFACT = "artifact"  # can loading this file run code or harm the host?
    INTEGRITY = "integrity"  # are the bytes what the source claims?
    REPOSITORY = "repository"  # what does the folder as a whole ask of a loader?


@dataclass(frozen=True, slots=True)
class Location:
    """Where in a file a finding was made. Only the fields that apply are set."""

    offset: int | None = None
    opcode: str | None = None
    key: str | None = None
    line: int | None = None
    member: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in (
                ("offset", self.offset),
                ("opcode", self.opcode),
                ("key", self.key),
                ("line", self.line),
                ("member", self.member),
            )
            if v is not None
        }


@dataclass(frozen=True, slots=True)
class Rule:
    """A stable, documented check. Findings refer to rules by id."""

    id: str
    check: Check
    severity: Severity
    title: str
    description: str


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    check: Check
    severity: Severity
    title: str
    detail: str
    path: str
    location: Location | None = None
    evidence: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "check": self.check.value,
            "severity": self.severity.label,
            "title": self.title,
            "detail": self.detail,
            "path": self.path,
            "location": self.location.to_dict() if self.location else None,
            "evidence": self.evidence,
        }


class WeighbridgeError(Exception):
    """A usage or input error: reported as one line, exit code 2."""


def plain_message(message: str) -> str:
    """A message as one line for people: without the ``Value error, `` that pydantic puts in front of a
    validator's ValueError, and with line breaks folded."""
    return " ".join(message.replace("Value error, ", "").split())
