"""How the registry turns a policy verdict (or its absence) into a decision, and what a human action means."""

from __future__ import annotations

from ..core.findings import Severity
from ..core.policy import Outcome, PolicyVerdict
from ..core.registry import Decision, DecisionAction
from ..core.report import Report
from .errors import RegistryError

HUMAN = {
    DecisionAction.APPROVE: Decision.ADMITTED,
    DecisionAction.REJECT: Decision.REJECTED,
    DecisionAction.REVOKE: Decision.REVOKED,
    DecisionAction.QUARANTINE: Decision.QUARANTINED,
}
BLOCKING = Severity.HIGH


def from_verdict(verdict: PolicyVerdict) -> Decision:
    """Policy fail → rejected, warn → needs-review, pass → admitted."""
    return {
        Outcome.FAIL: Decision.REJECTED,
        Outcome.WARN: Decision.NEEDS_REVIEW,
        Outcome.PASS: Decision.ADMITTED,
    }[verdict.verdict]


def without_policy(report: Report) -> tuple[Decision, str]:
    """No policy: a finding at or above high rejects; otherwise a person must review, because nothing checked
    the licence against the intended use."""
    blocking = report.at_or_above(BLOCKING)
    if blocking:
        return Decision.REJECTED, f"no policy; {len(blocking)} finding(s) at or above {BLOCKING.label}"
    return (
        Decision.NEEDS_REVIEW,
        f"no policy; no finding at or above {BLOCKING.label}: a person must review it",
    )


def verdict_reason(verdict: PolicyVerdict) -> str:
    counts = {o: sum(1 for r in verdict.reasons if r.outcome is o) for o in Outcome}
    return (
        f"policy {verdict.policy}: {verdict.verdict.value} ({counts[Outcome.FAIL]} fail, "
        f"{counts[Outcome.WARN]} warn, {counts[Outcome.PASS]} pass)"
    )


def human(action: DecisionAction) -> Decision:
    if action not in HUMAN:
        raise RegistryError(
            f"{action.value!r} is not a decision a person makes "
            f"(expected one of: {', '.join(a.value for a in HUMAN)})"
        )
    return HUMAN[action]


def reevaluated(current: Decision, last_action: DecisionAction | None, new: Decision) -> Decision | None:
    """The decision a re-evaluation records, or None to leave the version alone.

    Policies never loosen a person's hold: revoked, quarantined and human-rejected versions stay as they are,
    and a human approval is only overturned when the new policy fails."""
    if current in (Decision.REVOKED, Decision.QUARANTINED) or last_action is DecisionAction.REJECT:
        return None
    if last_action is DecisionAction.APPROVE and new is not Decision.REJECTED:
        return None
    return new if new is not current else None
