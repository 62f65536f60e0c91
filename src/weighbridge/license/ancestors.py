"""The licences of a model's ancestors, resolved offline from a table of well-known base models.

A derivative inherits the obligations of every ancestor whose licence the project can resolve: a fine-tune
of ``meta-llama/Llama-3.1-8B-Instruct`` must carry "Llama" at the start of its name whatever its own card
says. The table (``data/known_models.yaml``) maps repo-id patterns to licence ids of
``weighbridge.license.families``; each entry cites the research notes that support it.

    from weighbridge.license.ancestors import resolve_ancestors
    for item in resolve_ancestors(report.provenance):
        print(item.ancestor.model, item.license.id, item.basis)
"""

from __future__ import annotations

import functools
import importlib.resources
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

import yaml

from ..core.license import InheritedLicense
from ..core.provenance import Ancestor, Provenance
from .families import by_id
from .profiles import profile_terms

SCHEMA = "weighbridge.known-models/1"
DATA_FILE = "builtin:weighbridge/license/data/known_models.yaml"


@dataclass(frozen=True, slots=True)
class KnownModel:
    patterns: tuple[str, ...]
    license: str
    source: str

    def match(self, repo_id: str) -> str | None:
        """The first pattern that matches ``repo_id`` (case-insensitively), or None."""
        key = repo_id.strip().lower()
        return next((p for p in self.patterns if fnmatchcase(key, p.lower())), None)


def parse_table(data: object) -> tuple[KnownModel, ...]:
    """The entries of a known-model table; ValueError names the first entry that is not well formed."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ValueError(f"the known-model table must be a mapping with schema {SCHEMA!r}")
    models = data.get("models")
    if not isinstance(models, list):
        raise ValueError("'models' must be a list")
    return tuple(_entry(i, raw) for i, raw in enumerate(models, 1))


def _entry(index: int, raw: object) -> KnownModel:
    if not isinstance(raw, dict):
        raise ValueError(f"entry {index} is not a mapping")
    patterns, license_id, source = raw.get("patterns"), raw.get("license"), raw.get("source")
    if not isinstance(patterns, list) or not patterns or not all(isinstance(p, str) and p for p in patterns):
        raise ValueError(f"entry {index}: 'patterns' must be a non-empty list of repo-id patterns")
    if not isinstance(license_id, str) or by_id(license_id) is None:
        raise ValueError(f"entry {index}: {license_id!r} is not a known licence id")
    if not isinstance(source, str) or not source.strip():
        raise ValueError(f"entry {index}: 'source' must say what supports the mapping")
    return KnownModel(patterns=tuple(patterns), license=license_id, source=source.strip())


@functools.lru_cache(maxsize=1)
def known_models() -> tuple[KnownModel, ...]:
    """The built-in table, read once."""
    resource = importlib.resources.files("weighbridge.license") / "data" / "known_models.yaml"
    data: Any = yaml.safe_load(resource.read_text(encoding="utf-8"))
    return parse_table(data)


def lookup(repo_id: str) -> tuple[KnownModel, str] | None:
    """The first table entry whose pattern matches ``repo_id``, with the pattern that matched."""
    for entry in known_models():
        pattern = entry.match(repo_id)
        if pattern is not None:
            return entry, pattern
    return None


def resolve_ancestors(provenance: Provenance | None) -> list[InheritedLicense]:
    """The licence of every ancestor in ``provenance.lineage`` that the known-model table resolves, in
    lineage order. Ancestors known only by a free-text name (no repo id) and unknown repos inherit nothing."""
    if provenance is None:
        return []
    out: list[InheritedLicense] = []
    for ancestor in provenance.lineage:
        if ancestor.repo_id is None:
            continue
        found = lookup(ancestor.repo_id)
        if found is None:
            continue
        entry, pattern = found
        family = by_id(entry.license)
        assert family is not None  # parse_table checked every id
        out.append(
            InheritedLicense(
                ancestor=ancestor,
                license=family.identity(),
                terms=profile_terms(entry.license),
                basis=f"known model table: {pattern}",
                source=entry.source,
                relations=relations_to(ancestor, provenance.lineage),
                data_file=DATA_FILE,
            )
        )
    return out


def relations_to(ancestor: Ancestor, lineage: tuple[Ancestor, ...]) -> tuple[str, ...]:
    """The relations from the inspected model up to ``ancestor``, nearest first (follows ``child``)."""
    chain = [ancestor.relation]
    seen = {id(ancestor)}
    current = ancestor
    while current.child is not None:
        child = _named(current.child, lineage)
        if child is None or id(child) in seen:
            break
        seen.add(id(child))
        chain.append(child.relation)
        current = child
    return tuple(reversed(chain))


def _named(name: str, lineage: tuple[Ancestor, ...]) -> Ancestor | None:
    key = name.lower()
    return next((a for a in lineage if key in {a.model.lower(), (a.repo_id or "").lower()}), None)
