"""A per-process cache of file digests, for the guard: a model loaded ten times is hashed once.

The key is the file's identity and state — real path, device, inode, size, mtime_ns *and* ctime_ns. The
ctime cannot be set back by a user (``os.utime`` sets it to now), so a same-size edit with the mtime restored
still misses the cache. A digest is stored only if the file's state did not change while it was being read.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from . import files

_Key = tuple[str, int, int, int, int, int]
_cache: dict[_Key, str] = {}
_lock = threading.Lock()
MAX_ENTRIES = 100_000


def _key(path: str) -> _Key:
    real = os.path.realpath(path)
    st = os.stat(real)
    return (real, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def cached_sha256(path: str) -> str:
    """SHA-256 of ``path``, from the cache when the file is unchanged since it was last hashed."""
    before = _key(path)
    with _lock:
        hit = _cache.get(before)
    if hit is not None:
        return hit
    digest = files.hash_file(before[0])
    if _key(path) == before:
        with _lock:
            if len(_cache) >= MAX_ENTRIES:
                _cache.clear()
            _cache[before] = digest
    return digest


def clear() -> None:
    with _lock:
        _cache.clear()


hasher: Callable[[str], str] = cached_sha256
