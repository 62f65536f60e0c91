"""``require_admitted(path)``: the bytes under ``path`` must be a version the registry ADMITTED.

Every file under the folder (or the single file) is hashed — once per process while its size, mtime and
ctime stay the same (``weighbridge.integrity.hash_cache``) — and matched exactly against the registry. The
registry itself is asked every time, so a revocation takes effect on the next load.

Inside ``with admitted(folder):`` a load of a file under that folder (a loader opening its shards) is
checked against the admitted version's record of that file instead of needing a registry entry of its own.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from ..core.findings import WeighbridgeError
from ..core.registry import VersionRecord
from ..integrity import hash_cache
from ..integrity.admission import Admission, check_admission


def is_source_target(target: str) -> bool:
    """``hf:org/name[@rev]`` or ``ollama:name[:tag]``: resolved from the local caches, like every command."""
    return target.startswith(("hf:", "ollama:"))


class NotAdmittedError(WeighbridgeError):
    """``path`` may not be loaded: ``file`` is the first unknown or mismatching file when files are the
    reason, ``version`` the registry version it was compared with (its decision may be the reason)."""

    def __init__(
        self, message: str, *, path: str, file: str | None = None, version: VersionRecord | None = None
    ) -> None:
        super().__init__(message)
        self.path = path
        self.file = file
        self.version = version


@dataclass(frozen=True)
class _Active:
    root: str  # real path of an admitted folder
    version: VersionRecord


_active: ContextVar[tuple[_Active, ...]] = ContextVar("weighbridge_guard_active", default=())
_default: list[Any] = []
_default_lock = threading.Lock()


def default_registry() -> Any:
    """The registry ``open_registry()`` opens (``$WEIGHBRIDGE_HOME`` / ``WEIGHBRIDGE_DB``), opened once."""
    with _default_lock:
        if not _default:
            from ..registry import open_registry

            _default.append(open_registry())
        return _default[0]


def reset_default_registry() -> None:
    """Forget the default registry (after the environment that chooses it changed)."""
    with _default_lock:
        _default.clear()


def check(path: str | os.PathLike[str], *, registry: Any = None) -> Admission:
    """The admission verdict for ``path`` without raising."""
    target = os.fspath(path)
    if not is_source_target(target) and not os.path.exists(target):
        raise WeighbridgeError(f"no such file or folder: {target}")
    return check_admission(
        target, registry if registry is not None else default_registry(), hasher=hash_cache.cached_sha256
    )


def require_admitted(path: str | os.PathLike[str], *, registry: Any = None) -> VersionRecord:
    """The ADMITTED registry version whose files are exactly those under ``path``; NotAdmittedError naming
    the first mismatching or unknown file, or the decision, otherwise."""
    target = os.fspath(path)
    inside = _inside_active(target)
    if inside is not None:
        return inside
    verdict = check(target, registry=registry)
    if verdict.refusal is not None or verdict.version is None:
        raise NotAdmittedError(
            verdict.refusal or f"{target} is not admitted",
            path=target,
            file=verdict.first_file,
            version=verdict.version,
        )
    return verdict.version


@contextmanager
def admitted(path: str | os.PathLike[str], *, registry: Any = None) -> Iterator[VersionRecord]:
    """``with admitted(folder) as version:`` — raises NotAdmittedError before the block runs; inside it, loads
    of files under ``folder`` are checked against ``version``'s files."""
    version = require_admitted(path, registry=registry)
    token = _active.set((*_active.get(), _Active(os.path.realpath(path), version)))
    try:
        yield version
    finally:
        _active.reset(token)


def _inside_active(target: str) -> VersionRecord | None:
    """A file under a folder admitted by an enclosing ``admitted()``: its digest must match that version's."""
    real = os.path.realpath(target)
    for active in reversed(_active.get()):
        if real == active.root or not real.startswith(active.root + os.sep) or not os.path.isfile(real):
            continue
        rel = os.path.relpath(real, active.root).replace(os.sep, "/")
        pinned = {f.path: f for f in active.version.files}.get(rel)
        if pinned is None:
            raise NotAdmittedError(
                f"{target} is not admitted: {rel} is not a file of "
                f"{active.version.model}@{active.version.manifest_digest[:12]}",
                path=target,
                file=rel,
                version=active.version,
            )
        try:
            digest = hash_cache.cached_sha256(real)
        except OSError as exc:
            raise WeighbridgeError(f"cannot read {target}: {exc.strerror or exc}") from None
        if digest != pinned.sha256 or os.path.getsize(real) != pinned.size:
            raise NotAdmittedError(
                f"{target} is not admitted: changed: {rel} differs from "
                f"{active.version.model}@{active.version.manifest_digest[:12]}",
                path=target,
                file=rel,
                version=active.version,
            )
        return active.version
    return None
