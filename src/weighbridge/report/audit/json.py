"""The audit summary as JSON (``schema: weighbridge.audit-summary/1``)."""

from __future__ import annotations

import json
from typing import Any

from ...audit.summary import AuditSummary
from ...core.policy import PolicyVerdict


def summary_dict(summary: AuditSummary, verdict: PolicyVerdict | None = None) -> dict[str, Any]:
    out = summary.to_dict()
    if verdict is not None:
        out["policy"] = verdict.to_dict()
    return out


def render_json(summary: AuditSummary, verdict: PolicyVerdict | None = None) -> str:
    return json.dumps(summary_dict(summary, verdict), ensure_ascii=False, indent=2) + "\n"
