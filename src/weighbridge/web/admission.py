"""Admit from the web: the registry's ``admit`` with a policy chosen by its stored name.

The dashboard and the API name a stored policy instead of a file: ``Registry.stored_policy`` loads it (its
stored text, hashed and parsed once) and ``admit`` takes it as it is.
"""

from __future__ import annotations

from typing import Any

from ..core.registry import DecisionRecord, VersionRecord
from ..registry import Registry


def admit(
    registry: Registry,
    target: str,
    *,
    policy_name: str | None,
    actor: str,
    note: str | None = None,
    derived_from: str | None = None,
    relation: str = "finetune",
    name: str | None = None,
) -> tuple[VersionRecord, DecisionRecord]:
    policy = (
        registry.stored_policy(policy_name) if policy_name is not None else None
    )  # NotFound: no such policy
    return registry.admit(
        target, policy=policy, actor=actor, note=note, derived_from=derived_from, relation=relation, name=name
    )


def version_dict(record: VersionRecord) -> dict[str, Any]:
    """A version as the inventory lists it (the registry's own row shape)."""
    from ..registry.views import version_dict as registry_version_dict

    return registry_version_dict(record)
