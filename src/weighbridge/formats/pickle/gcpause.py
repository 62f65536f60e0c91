"""Pause the cyclic garbage collector while a pickle is parsed.

The analyser builds millions of small, acyclic containers (symbolic dicts, lists, memo entries) that
reference counting frees on its own. Each allocation counts towards the collector's thresholds, so on a
dict-heavy pickle the collector keeps walking every live object for nothing (about a quarter of the CPU).
The pause is process-wide and shared by threads: the first one in turns the collector off if it was on,
the last one out turns it back on. Memory stays bounded by the analyser's own limits.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
