"""The built-in suites: versioned YAML data files in ``suites/data/``, written for Weighbridge."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from ...core.audit import Suite
from ...core.findings import WeighbridgeError
from .schema import suite_from_mapping

_DATA = "weighbridge.audit.suites.data"


def builtin_suites() -> list[str]:
    """Names of the built-in suites, sorted."""
    return sorted(
        entry.name.removesuffix(".yaml")
        for entry in resources.files(_DATA).iterdir()
        if entry.name.endswith(".yaml")
    )


@cache
def load_builtin(name: str) -> Suite:
    if name not in builtin_suites():
        raise WeighbridgeError(f"no built-in suite {name!r} (built-in: {', '.join(builtin_suites())})")
    source = resources.files(_DATA).joinpath(f"{name}.yaml")
    return suite_from_mapping(yaml.safe_load(source.read_text(encoding="utf-8")), f"builtin:{name}")
