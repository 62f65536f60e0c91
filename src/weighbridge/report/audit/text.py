"""Shared wording and number formats of the audit renderers."""

from __future__ import annotations

from ...audit.summary import AuditSummary
from ...core.audit import Rate

METRIC_ORDER = (
    "compliance",
    "non-compliance",
    "refusal",
    "evasion",
    "official-line",
    "over-refusal",
    "harmful-refused",
    "injection-followed",
)


def pct(x: float) -> str:
    return f"{100.0 * x:.1f}"


def rate_text(r: Rate) -> str:
    """``42.0 % [30.1–55.2] (25/60, 20 prompts)``."""
    return f"{pct(r.rate)} % [{pct(r.low)}–{pct(r.high)}] ({r.successes}/{r.total}, {r.clusters} prompts)"


def points(x: float) -> str:
    return f"{x:+.1f}"


def model_name(summary: AuditSummary) -> str:
    m = summary.run.model
    return m.model_name or m.target


def metric_rows(rates: dict[str, Rate]) -> list[tuple[str, Rate]]:
    return [(m, rates[m]) for m in METRIC_ORDER if m in rates]


def settings_items(summary: AuditSummary) -> list[tuple[str, str]]:
    run = summary.run
    s = run.settings
    return [
        ("temperature", str(s.temperature)),
        ("top_p", str(s.top_p)),
        ("max_tokens", str(s.max_tokens)),
        ("seed", "none" if s.seed is None else str(s.seed)),
        ("stop", ", ".join(repr(x) for x in s.stop) or "none"),
        ("samples per prompt", str(run.samples_per_prompt)),
        ("greedy pass", "yes" if run.greedy_pass else "no"),
        ("rates from", f"{summary.pass_used} pass"),
        ("judge", run.judge or "none"),
        ("started", run.started),
        ("finished", run.finished or "unfinished"),
        ("weighbridge", run.tool_version),
    ]


def identity_items(summary: AuditSummary) -> list[tuple[str, str]]:
    m = summary.run.model
    return [
        ("target", m.target),
        ("runtime", m.runtime),
        ("endpoint", m.endpoint or "in process"),
        ("model name", m.model_name or "unknown"),
        ("integrity digest", m.digest or f"none ({m.digest_note or 'not recorded'})"),
    ]


METHOD_NOTE = (
    "Rates count valid answers only (empty, truncated, filtered and failed generations are counted "
    "apart). Intervals are Wilson 95 % at the effective sample size (cluster-robust design effect, "
    "prompts as clusters). Asymmetry is a country's non-compliance minus the pooled control "
    "countries' in the same language, with Newcombe's hybrid score interval."
)
