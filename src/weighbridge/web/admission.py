"""Admit from the web: the registry's ``admit`` with a policy chosen by its stored name.

``Registry.admit`` reads a policy from a file (as the CLI's ``--policy`` does); the dashboard and the API
name a stored policy instead, so its text is written to a private temporary file for the call.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from ..core.registry import DecisionRecord, VersionRecord
from ..registry import Registry


def admit(registry: Registry, target: str, *, policy_name: str | None, actor: str, note: str | None = None,
          derived_from: str | None = None, relation: str = "finetune", name: str | None = None
          ) -> tuple[VersionRecord, DecisionRecord]:
    if policy_name is None:
        return registry.admit(target, policy_path=None, actor=actor, note=note, derived_from=derived_from,
                              relation=relation, name=name)
    policy = registry.get_policy(policy_name)  # NotFound when there is no such policy
    with tempfile.TemporaryDirectory(prefix="weighbridge-policy-") as folder:
        path = Path(folder) / f"{policy['name']}.yaml"  # a stored name: no path separators
        path.write_text(policy["yaml_text"], encoding="utf-8")
        return registry.admit(target, policy_path=path, actor=actor, note=note, derived_from=derived_from,
                              relation=relation, name=name)


def version_dict(record: VersionRecord) -> dict[str, Any]:
    """A version as the inventory lists it (the registry's own row shape)."""
    from ..registry.views import version_dict as registry_version_dict

    return registry_version_dict(record)
