"""The completion cache: an SQLite file (WAL) that makes an interrupted audit resumable.

A completion is stored under a key that pins everything that produced it — the model (its integrity digest,
or the endpoint and served model id), the runtime, the exact messages, the settings (seed included) and the
sample — and is committed the moment it arrives, so a run killed at any point loses at most the requests in
flight, and re-running with the same cache asks the model only for what is missing. Scores are not stored:
completions are re-scored on every run, so a better scorer applies to cached answers too. ERROR completions
are not stored either: a transport failure is retried on the next run rather than remembered.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..core.audit import Completion, GenerationSettings, ModelUnderAudit, Outcome
from ..core.findings import WeighbridgeError
from .runfile import completion_from_dict
from .runtimes.base import Message

_SCHEMA = """
CREATE TABLE IF NOT EXISTS completions (
    key TEXT PRIMARY KEY,
    completion TEXT NOT NULL,
    created REAL NOT NULL
)
"""


def model_identity(model: ModelUnderAudit) -> str:
    """What identifies the weights: the digest when known, else the endpoint and the served model id."""
    if model.digest:
        return f"{model.runtime}|sha256:{model.digest}"
    return f"{model.runtime}|{model.endpoint or ''}|{model.model_name or model.target}"


def cache_key(
    model: ModelUnderAudit,
    messages: Sequence[Message],
    settings: GenerationSettings,
    index: int,
    greedy: bool,
) -> str:
    """SHA-256 over the canonical JSON of model identity, messages, settings and sample."""
    material = {
        "model": model_identity(model),
        "messages": [[m["role"], m["content"]] for m in messages],
        "settings": settings.to_dict(),
        "sample": {"index": index, "greedy": greedy},
    }
    canonical = json.dumps(material, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class CompletionCache:
    """One SQLite file; use from one thread (the runner's collecting thread)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(_SCHEMA)
        except sqlite3.Error as exc:
            raise WeighbridgeError(f"cannot use {self.path} as a completion cache: {exc}") from None

    def get(self, key: str) -> Completion | None:
        row = self._db.execute("SELECT completion FROM completions WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            data: Any = json.loads(row[0])
            return completion_from_dict(data)
        except (ValueError, KeyError, TypeError):
            return None  # an unreadable entry is asked again

    def put(self, key: str, completion: Completion) -> bool:
        """Store and commit at once; returns False (stores nothing) for ERROR completions."""
        if completion.outcome is Outcome.ERROR:
            return False
        text = json.dumps(completion.to_dict(), ensure_ascii=False)
        self._db.execute(
            "INSERT OR REPLACE INTO completions (key, completion, created) VALUES (?, ?, ?)",
            (key, text, time.time()),
        )
        return True

    def __len__(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM completions").fetchone()[0])

    def keys(self) -> set[str]:
        return {row[0] for row in self._db.execute("SELECT key FROM completions")}

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> CompletionCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
