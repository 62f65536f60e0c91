"""The rule catalogue. Every module that reports findings defines its rules through ``define``."""

from __future__ import annotations

from .findings import Check, Finding, Location, Rule, Severity

_RULES: dict[str, Rule] = {}


def define(rule_id: str, check: Check, severity: Severity, title: str, description: str) -> Rule:
    """Register a rule once; defining the same id twice with other content is a programming error."""
    rule = Rule(rule_id, check, severity, title, description)
    existing = _RULES.get(rule_id)
    if existing is not None and existing != rule:
        raise ValueError(f"rule {rule_id} defined twice with different content")
    _RULES[rule_id] = rule
    return rule


def all_rules() -> list[Rule]:
    return sorted(_RULES.values(), key=lambda r: r.id)


def get(rule_id: str) -> Rule:
    return _RULES[rule_id]


def make_finding(
    rule: Rule,
    path: str,
    detail: str,
    *,
    location: Location | None = None,
    evidence: str | None = None,
    severity: Severity | None = None,
    title: str | None = None,
) -> Finding:
    return Finding(
        rule=rule.id,
        check=rule.check,
        severity=severity if severity is not None else rule.severity,
        title=title or rule.title,
        detail=detail,
        path=path,
        location=location,
        evidence=evidence,
    )
