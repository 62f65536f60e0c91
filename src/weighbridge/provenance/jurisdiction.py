"""Organization → country, from the publishers data the project ships (``data/publishers.yaml``) and an
optional file of the user's in the same format, consulted first so it can add or override entries.

A name matches an entry when, normalized (``names.normalize``), it equals the entry's name, one of its aliases
or one of its Hugging Face orgs. No partial or fuzzy matching: a jurisdiction is only claimed for a name the
data lists.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import yaml

from ..core.findings import WeighbridgeError
from ..core.provenance import Jurisdiction
from .names import normalize

SCHEMA = "weighbridge.publishers/1"
BUILTIN = "builtin:weighbridge/provenance/data/publishers.yaml"
MAX_DATA_BYTES = 16 * 1024 * 1024
_COUNTRY = re.compile(r"[A-Z]{2}")
_ALIASES_OF_CODES = {"UK": "GB"}


@dataclass(frozen=True, slots=True)
class OrgEntry:
    name: str
    country: str | None
    hf_orgs: tuple[str, ...]
    aliases: tuple[str, ...]
    sources: tuple[str, ...]
    note: str | None
    data_file: str

    def names(self) -> tuple[str, ...]:
        """Every spelling of the organization the data knows (name, aliases, Hub orgs)."""
        return (self.name, *self.aliases, *self.hf_orgs)


class Directory:
    """Lookup of organizations by any of their names; earlier entries win on a shared name."""

    def __init__(self, entries: Iterable[OrgEntry], files: Sequence[str]) -> None:
        self.entries = tuple(entries)
        self.files = tuple(files)
        self._index: dict[str, OrgEntry] = {}
        for entry in self.entries:
            for name in entry.names():
                key = normalize(name)
                if key:
                    self._index.setdefault(key, entry)

    def lookup(self, name: str) -> OrgEntry | None:
        key = normalize(name)
        return self._index.get(key) if key else None

    def jurisdiction(self, name: str) -> Jurisdiction | None:
        entry = self.lookup(name)
        if entry is None:
            return None
        return Jurisdiction(
            organization=entry.name,
            country=entry.country,
            matched=name,
            sources=entry.sources,
            data_file=entry.data_file,
            note=entry.note,
        )


def load_directory(user_file: str | os.PathLike[str] | None = None) -> Directory:
    """The built-in data, preceded by the user's entries when ``user_file`` is given.

    A user file that cannot be read or does not follow the format is an input error (``WeighbridgeError``).
    """
    builtin = _builtin_entries()
    if user_file is None:
        return Directory(builtin, [BUILTIN])
    path = os.fspath(user_file)
    try:
        entries = parse_entries(_read(path), path, require_sources=False)
    except ValueError as exc:
        raise WeighbridgeError(f"publishers file {path}: {exc}") from None
    return Directory([*entries, *builtin], [path, BUILTIN])


@functools.lru_cache(maxsize=1)
def _builtin_entries() -> tuple[OrgEntry, ...]:
    resource = importlib.resources.files("weighbridge.provenance") / "data" / "publishers.yaml"
    data = yaml.safe_load(resource.read_text(encoding="utf-8"))
    return tuple(parse_entries(data, BUILTIN, require_sources=True))


def _read(path: str) -> object:
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_DATA_BYTES + 1)
    except OSError as exc:
        raise WeighbridgeError(
            f"cannot read publishers file {path}: {exc.strerror or type(exc).__name__}"
        ) from None
    if len(raw) > MAX_DATA_BYTES:
        raise WeighbridgeError(f"publishers file {path} is larger than {MAX_DATA_BYTES} bytes")
    text = raw.decode("utf-8", "replace")
    is_json = path.lower().endswith(".json")
    try:
        return json.loads(text) if is_json else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError, RecursionError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WeighbridgeError(
            f"publishers file {path} is not valid {'JSON' if is_json else 'YAML'}: {first}"
        ) from None


def parse_entries(data: object, source: str, *, require_sources: bool) -> list[OrgEntry]:
    """Validate the publishers format; ``ValueError`` names the first entry and field that is wrong."""
    if isinstance(data, dict):
        schema = data.get("schema")
        if schema is not None and schema != SCHEMA:
            raise ValueError(f"schema is {schema!r}, expected {SCHEMA!r}")
        items = data.get("organizations")
    else:
        items = data
    if not isinstance(items, list):
        raise ValueError("expected a list of organizations (or a mapping with an 'organizations' list)")
    return [_entry(item, i, source, require_sources) for i, item in enumerate(items)]


def _entry(item: object, index: int, source: str, require_sources: bool) -> OrgEntry:
    where = f"organization {index + 1}"
    if not isinstance(item, dict):
        raise ValueError(f"{where} is a {type(item).__name__}, not a mapping")
    unknown = set(item) - {"name", "country", "hf_orgs", "aliases", "sources", "note"}
    if unknown:
        raise ValueError(f"{where} has unknown field(s): {', '.join(sorted(map(str, unknown)))}")
    name = item.get("name")
    if not isinstance(name, str) or not normalize(name):
        raise ValueError(f"{where} needs a 'name'")
    where = f"organization {index + 1} ({name})"
    country = item.get("country")
    if country is not None:
        if not isinstance(country, str) or not _COUNTRY.fullmatch(country.strip().upper()):
            raise ValueError(
                f"{where}: 'country' must be an ISO 3166-1 alpha-2 code or null, not {country!r}"
            )
        country = _ALIASES_OF_CODES.get(country.strip().upper(), country.strip().upper())
    sources = _strings(item.get("sources"), "sources", where)
    if require_sources and not sources:
        raise ValueError(f"{where}: 'sources' must name where the country comes from")
    note = item.get("note")
    if note is not None and not isinstance(note, str):
        raise ValueError(f"{where}: 'note' must be text")
    return OrgEntry(
        name=name.strip(),
        country=country,
        hf_orgs=_strings(item.get("hf_orgs"), "hf_orgs", where),
        aliases=_strings(item.get("aliases"), "aliases", where),
        sources=sources,
        note=note,
        data_file=source,
    )


def _strings(value: object, key: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{where}: '{key}' must be a list of non-empty strings")
    return tuple(v.strip() for v in value)
