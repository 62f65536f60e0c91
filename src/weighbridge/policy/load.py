"""Read an organization policy from YAML (``yaml.safe_load``) and validate it into a ``Policy``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ..core.findings import Severity, WeighbridgeError
from ..core.policy import IntendedUse, Policy, PolicyRules
from . import validate as v
from .audit_checks import parse_audit_rules

_TOP = ("name", "description", "intended_use", "rules", "audit")
_USE = (
    "commercial",
    "monthly_active_users",
    "annual_revenue_usd",
    "regions",
    "sectors",
    "redistribute_weights",
    "host_for_others",
    "outputs_train_other_models",
    "fine_tuning",
    "derivative_name",
)
_RULES = (
    "allowed_license_families",
    "denied_license_families",
    "osi_only",
    "required_openness_class",
    "required_osaid",
    "allowed_jurisdictions",
    "denied_jurisdictions",
    "remote_code",
    "max_scan_severity",
    "required_audits",
    "screening_hits",
)
SEVERITIES = tuple(s.label for s in sorted(Severity, reverse=True))
REMOTE_CODE = ("forbid", "warn", "allow")
SCREENING = ("fail", "warn")
OSAID = ("open-source-ai",)


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """Read and validate a policy file. Raises ``WeighbridgeError`` (one line, naming the file and key)."""
    file = Path(path)
    try:
        raw = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WeighbridgeError(f"{file}: cannot read policy: {exc}") from None
    return parse_policy_file_text(raw, file)


def parse_policy_file_text(raw: str, file: Path) -> Policy:
    """Validate the text read from policy file ``file`` (errors name the file, as ``load_policy``'s do): for
    callers that read the file themselves, once, to hash the same bytes they evaluate."""
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise WeighbridgeError(f"{file}: not valid YAML{line}: {problem}") from None
    try:
        return parse_policy(data, file=str(file), default_name=file.stem)
    except WeighbridgeError as exc:
        raise WeighbridgeError(f"{file}: {exc}") from None


def parse_policy(data: Any, *, file: str | None = None, default_name: str = "policy") -> Policy:
    """Validate already-parsed YAML. Errors name the key path: ``rules.osi_only: expected true or false…``."""
    if not isinstance(data, Mapping):
        raise WeighbridgeError(f"policy: expected a mapping with intended_use and rules, got {v.shown(data)}")
    top = v.mapping(data, "", _TOP)
    return Policy(
        name=v.text(top, "name", "") or default_name,
        description=v.text(top, "description", ""),
        intended_use=_intended_use(v.mapping(top.get("intended_use"), "intended_use", _USE)),
        rules=_rules(v.mapping(top.get("rules"), "rules", _RULES)),
        file=file,
        audit=parse_audit_rules(top.get("audit")),
    )


def _intended_use(data: Mapping[str, Any]) -> IntendedUse:
    p = "intended_use"
    return IntendedUse(
        commercial=v.boolean(data, "commercial", p),
        monthly_active_users=v.count(data, "monthly_active_users", p),
        annual_revenue_usd=v.count(data, "annual_revenue_usd", p),
        regions=v.regions(data, "regions", p) or (),
        sectors=v.strings(data, "sectors", p) or (),
        redistribute_weights=v.boolean(data, "redistribute_weights", p),
        host_for_others=v.boolean(data, "host_for_others", p),
        outputs_train_other_models=v.boolean(data, "outputs_train_other_models", p),
        fine_tuning=v.boolean(data, "fine_tuning", p),
        derivative_name=v.text(data, "derivative_name", p),
    )


def _rules(data: Mapping[str, Any]) -> PolicyRules:
    p = "rules"
    openness = data.get("required_openness_class")
    if openness is not None and (isinstance(openness, bool) or openness not in (1, 2, 3)):
        raise v.fail(f"{p}.required_openness_class", f"{v.shown(openness)} is not one of 1, 2, 3, null")
    severity = v.choice(data, "max_scan_severity", p, SEVERITIES, None)
    return PolicyRules(
        allowed_license_families=v.strings(data, "allowed_license_families", p),
        denied_license_families=v.strings(data, "denied_license_families", p) or (),
        osi_only=v.boolean(data, "osi_only", p),
        required_openness_class=openness,
        required_osaid=v.choice(data, "required_osaid", p, OSAID, None),
        allowed_jurisdictions=v.regions(data, "allowed_jurisdictions", p),
        denied_jurisdictions=v.regions(data, "denied_jurisdictions", p) or (),
        remote_code=v.choice(data, "remote_code", p, REMOTE_CODE, "warn") or "warn",
        max_scan_severity=Severity.parse(severity) if severity is not None else None,
        required_audits=v.strings(data, "required_audits", p) or (),
        screening_hits=v.choice(data, "screening_hits", p, SCREENING, None),
    )
