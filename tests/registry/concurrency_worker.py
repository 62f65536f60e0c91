"""One writer process of the concurrency test (imported by spawned children, so it lives in its own module)."""

from __future__ import annotations

import time
from typing import Any

from tests.registry.tiny import tiny_report

from weighbridge.core.registry import DecisionAction
from weighbridge.registry import open_registry

SHARED = 4  # versions of the model "shared" every process records and decides on
POLICY_TEXTS = ("name: p\nrules:\n  max_scan_severity: high\n", "name: p\nrules:\n  max_scan_severity: low\n")


def shared_report(k: int) -> Any:
    return tiny_report("shared", {"weights.bin": f"shared-{k}".encode()})


def plan(proc: int, ops: int) -> list[tuple[str, int]]:
    """The operations of process ``proc``: its first SHARED record the shared versions (racing the others),
    then a fixed mix of distinct records, shared records, approvals, revocations and policy saves."""
    out = [("shared-record", k) for k in range(SHARED)]
    kinds = ("distinct-record", "shared-record", "approve", "revoke", "save-policy")
    for i in range(SHARED, ops):
        out.append((kinds[i % len(kinds)], (proc + i) % SHARED if i % len(kinds) in (1, 2, 3) else i))
    return out


def work(url: str, proc: int, ops: int, barrier: Any, results: Any) -> None:
    done: list[dict[str, Any]] = []
    try:
        barrier.wait(60)
        started = time.perf_counter()
        with open_registry(url) as reg:  # every process migrates the fresh database at once
            for i, (kind, arg) in enumerate(plan(proc, ops)):
                if kind == "shared-record":
                    reg.record_report(shared_report(arg))
                elif kind == "distinct-record":
                    reg.record_report(tiny_report(f"p{proc}-m{i}", {"weights.bin": f"{proc}:{i}".encode()}))
                elif kind in ("approve", "revoke"):
                    digest = shared_report(arg).manifest_digest
                    action = DecisionAction.APPROVE if kind == "approve" else DecisionAction.REVOKE
                    entry = reg.decide(
                        "shared", action, actor=f"p{proc}", reason=f"op {i:03d}", version=digest
                    )
                    done.append(
                        {
                            "version": entry.version,
                            "actor": entry.actor,
                            "reason": entry.reason,
                            "decision": entry.decision.value,
                            "at": entry.at,
                        }
                    )
                else:
                    name, text = f"pol-{arg % 3}", POLICY_TEXTS[(arg // 5) % 2]
                    reg.save_policy(name, text)
                    done.append({"policy": name, "text": text})
        results.put({"proc": proc, "ok": True, "done": done, "seconds": time.perf_counter() - started})
    except BaseException as exc:  # report the failure to the parent instead of dying silently
        results.put({"proc": proc, "ok": False, "error": f"{type(exc).__name__}: {exc}", "done": done})
