"""The machine-readable report (schema ``weighbridge.report/1``)."""

from __future__ import annotations

import json

from ..core.report import Report


def render_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
