"""Intake started from the dashboard or the REST API: validated at once, then run in a background thread.

The web process needs an upstream (``$WEIGHBRIDGE_MIRROR_UPSTREAM``) and uses the configured blob store
(``$WEIGHBRIDGE_MIRROR_STORE`` or ``$WEIGHBRIDGE_HOME/mirror``). The intake records its progress and outcome
in the registry (the dashboard's intake queue); a failure is recorded there as a one-line reason.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

from ..core.types import WeighbridgeError
from ..registry import Registry
from .upstream import Upstream, parse_source


def start_intake(registry: Registry, source: str, *, policy_name: str | None, actor: str) -> threading.Thread:
    """Check ``source`` and the configuration, then take it in on a daemon thread (returned, for tests)."""
    from .intake import IntakeError, intake
    from .store import BlobStore

    source = source.strip()
    parse_source(source)
    endpoint = os.environ.get("WEIGHBRIDGE_MIRROR_UPSTREAM")
    if not endpoint:
        raise WeighbridgeError("this server has no upstream: start it with WEIGHBRIDGE_MIRROR_UPSTREAM=URL")
    policy_text = registry.get_policy(policy_name)["yaml_text"] if policy_name else None
    store = BlobStore()
    upstream = Upstream(endpoint, token=os.environ.get("WEIGHBRIDGE_MIRROR_UPSTREAM_TOKEN"))

    def run() -> None:
        try:
            with tempfile.TemporaryDirectory(prefix="weighbridge-intake-") as folder, upstream:
                policy_path = None
                if policy_text is not None and policy_name is not None:
                    policy_path = Path(folder) / f"{policy_name}.yaml"
                    policy_path.write_text(policy_text, encoding="utf-8")
                intake(registry, store, source, upstream=upstream, actor=actor, policy_path=policy_path)
        except (IntakeError, WeighbridgeError, OSError):
            return  # recorded in the registry's intake queue (or, before the claim, nothing was started)

    thread = threading.Thread(target=run, name=f"intake {source[:60]}", daemon=True)
    thread.start()
    return thread
