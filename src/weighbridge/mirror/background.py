"""Intake started by a request (the dashboard's form, or a pull of an unknown model when the mirror takes
models in on first request): validated at once, then run in a background thread.

The dashboard needs an upstream (``$WEIGHBRIDGE_MIRROR_UPSTREAM``) and uses the configured blob store
(``$WEIGHBRIDGE_MIRROR_STORE`` or ``$WEIGHBRIDGE_HOME/mirror``); ``mirror serve --intake-on-request`` passes
its own. The intake records its progress and outcome in the registry (the dashboard's intake queue); a
failure is recorded there as a one-line reason.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from ..core.findings import WeighbridgeError
from ..registry import Registry
from .store import BlobStore
from .upstream import Upstream, check_source


@dataclass(frozen=True)
class AutoIntake:
    """``mirror serve --intake-on-request``: a pull of a model the registry does not hold starts its intake."""

    endpoint: str
    policy_path: Path | None
    actor: str = "mirror-intake-on-request"


def start_intake(
    registry: Registry,
    source: str,
    *,
    actor: str,
    policy_name: str | None = None,
    policy_path: Path | None = None,
    store: BlobStore | None = None,
    endpoint: str | None = None,
) -> threading.Thread:
    """Check ``source`` and the configuration, then take it in on a daemon thread (returned, for tests)."""
    from .intake import IntakeError, intake

    source = source.strip()
    check_source(source)
    endpoint = endpoint or os.environ.get("WEIGHBRIDGE_MIRROR_UPSTREAM")
    if not endpoint:
        raise WeighbridgeError("this server has no upstream: start it with WEIGHBRIDGE_MIRROR_UPSTREAM=URL")
    stored = registry.stored_policy(policy_name) if policy_name else None  # NotFound when there is none
    blobs = store or BlobStore()
    upstream = Upstream(endpoint, token=os.environ.get("WEIGHBRIDGE_MIRROR_UPSTREAM_TOKEN"))

    def run() -> None:
        try:
            with upstream:
                intake(
                    registry,
                    blobs,
                    source,
                    upstream=upstream,
                    actor=actor,
                    policy_path=None if stored is not None else policy_path,
                    policy=stored,
                )
        except (IntakeError, WeighbridgeError, OSError):
            return  # recorded in the registry's intake queue (or, before the claim, nothing was started)

    thread = threading.Thread(target=run, name=f"intake {source[:60]}", daemon=True)
    thread.start()
    return thread


_RUNNING: dict[str, threading.Thread] = {}
_LOCK = threading.Lock()


def intake_on_request(
    registry: Registry, store: BlobStore, config: AutoIntake, repo: str, revision: str | None
) -> threading.Thread | None:
    """Start taking ``repo@revision`` in unless an intake of it is already running (in this process, or in any
    by the registry's intake queue). Returns the new thread, or ``None`` when none was started."""
    source = f"hf:{repo}" + (f"@{revision}" if revision and revision not in ("main", "HEAD") else "")
    with _LOCK:
        running = _RUNNING.get(source)
        if (running is not None and running.is_alive()) or registry.mirror.active_intake(repo) is not None:
            return None
        try:
            thread = start_intake(
                registry,
                source,
                actor=config.actor,
                policy_path=config.policy_path,
                store=store,
                endpoint=config.endpoint,
            )
        except WeighbridgeError:
            return None
        _RUNNING[source] = thread
        return thread
