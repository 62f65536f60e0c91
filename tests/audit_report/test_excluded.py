"""Wherever a rate is shown, so is how many answers it leaves out (truncated, empty, filtered, failed)."""

from __future__ import annotations

import json

from tests.audit_stats.synthetic import synthetic_run

from weighbridge.audit.summary import excluded_note, summarise
from weighbridge.report.audit import RENDERERS


def test_note_counts_every_excluded_status() -> None:
    assert excluded_note({"valid": 4, "empty": 0, "truncated": 0, "filtered": 0, "error": 0}) is None
    note = excluded_note({"valid": 1, "empty": 0, "truncated": 15, "filtered": 0, "error": 0})
    assert note is not None and note.startswith("15 of 16 answers excluded from the rates (truncated 15)")
    assert "--max-tokens" in note


def test_every_report_format_carries_the_note() -> None:
    summary = summarise(synthetic_run(samples=2))
    note = summary.excluded
    assert note is not None
    for fmt, render in RENDERERS.items():
        text = render(summary)
        if fmt == "json":
            assert json.loads(text)["excluded"] == note
        else:
            assert note in text, fmt
