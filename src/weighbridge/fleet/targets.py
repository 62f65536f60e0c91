"""A discovered target's files as the scanner sees them, and the stat-only fingerprint that says whether it
changed since the last fleet run.

Resolution goes through ``weighbridge.sources`` (the same notes and expected digests as ``weighbridge
inspect``), pointed at the mirror's own HF cache or Ollama store. Hugging Face resolution re-hashes small
non-LFS files (git blob SHA-1), so an HF revision is only resolved when its stat fingerprint changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ..core.report import Snapshot, TargetKind
from ..sources import resolve

_ENV_LOCK = threading.Lock()
_STORE_VARIABLE = {TargetKind.HF: "HF_HUB_CACHE", TargetKind.OLLAMA: "OLLAMA_MODELS"}


@dataclass(frozen=True, slots=True)
class StatEntry:
    """One file as stat sees it: name in the target, the file it leads to, size and mtime (-1 when it cannot
    be stat'ed, so a file that appears or disappears changes the fingerprint)."""

    rel: str
    real: str
    size: int
    mtime_ns: int


def resolve_ref(kind: TargetKind, spec: str, store: str | None) -> Snapshot:
    """``weighbridge.sources.resolve(spec)`` with the HF cache or Ollama store set to ``store``."""
    variable = _STORE_VARIABLE.get(kind)
    if variable is None or store is None:
        return resolve(spec)
    with _environment(variable, store):
        return resolve(spec)


@contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    # The sources read their store from the environment at call time; one resolution at a time sets it.
    with _ENV_LOCK:
        saved = os.environ.get(name)
        os.environ[name] = value
        try:
            yield
        finally:
            if saved is None:
                del os.environ[name]
            else:
                os.environ[name] = saved


def stat_entry(rel: str, path: str) -> StatEntry:
    try:
        st = os.stat(path)
    except OSError:
        return StatEntry(rel, path, -1, -1)
    if not stat.S_ISREG(st.st_mode):
        return StatEntry(rel, os.path.realpath(path), -1, st.st_mode)
    return StatEntry(rel, os.path.realpath(path), st.st_size, st.st_mtime_ns)


def snapshot_entries(snapshot: Snapshot) -> list[StatEntry]:
    """The stat of every file of a resolved snapshot, plus its notes (dangling links, missing blobs)."""
    entries = [stat_entry(f.rel, f.abspath) for f in snapshot.files]
    entries += [StatEntry(f"note:{n.rule}:{n.path}", "", -1, -1) for n in snapshot.notes]
    return sorted(entries, key=lambda e: e.rel)


def walk_entries(folder: str) -> list[StatEntry]:
    """Stat every file below ``folder`` without resolving it (links to files followed, to folders not)."""
    entries: list[StatEntry] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames.sort()
        prefix = os.path.relpath(dirpath, folder)
        prefix = "" if prefix == "." else prefix.replace(os.sep, "/") + "/"
        links = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        for name in sorted(filenames + links):
            entries.append(stat_entry(prefix + name, os.path.join(dirpath, name)))
    return sorted(entries, key=lambda e: e.rel)


def fingerprint(spec: str, entries: list[StatEntry], rules_version: str, policy_digest: str | None) -> str:
    """What a target's evaluation depends on: its files (names, sizes, mtimes, where links lead), the rule
    set and the policy. Equal fingerprints mean the last recorded report still holds."""
    doc = {
        "spec": spec,
        "rules": rules_version,
        "policy": policy_digest,
        "files": [[e.rel, e.real, e.size, e.mtime_ns] for e in entries],
    }
    return hashlib.sha256(json.dumps(doc, separators=(",", ":")).encode()).hexdigest()
