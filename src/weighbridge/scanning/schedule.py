"""Which file goes where, in what order: the scan workers' plan.

Most bytes of a model folder are tensor data the hashing reader runs through at SHA-256 speed (~1.4 GB/s a
core, the GIL released): safetensors, GGUF, zip storages, the raw storages of a legacy torch file. A pickle
stream is analysed opcode by opcode in Python instead (20-200 MB/s) and holds the GIL all the while: a hashing
thread beside it waits out the switch interval twice per chunk and slows several-fold. Ordered by size, a
50 MB pickle also starts last and runs alone for seconds after the shards are done, one core idle.

So a large pickle is *parse-bound*: it is scanned in a separate process (its own GIL) from the start, and its
bytes weigh ``PARSE_BOUND`` times in the order of the rest. The estimate comes from the first bytes (never
the name) and only decides where and when a file is scanned: every file is scanned by the same code and
routed by the dispatcher whatever its estimate. So the test here is cheap and imports no parser: a pickle
opening with a PROTO opcode (protocols 2-5, what pickle.dumps, joblib and torch write), not a legacy torch
file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from ..core.report import SnapshotFile

# Work per byte of an analysed pickle relative to a hashed byte (dict-heavy pickles ~60x, opcode-dense
# lists of numbers ~7x): an over-estimate only starts a short file early, an under-estimate idles a core.
PARSE_BOUND = 20
# Smaller files cannot unbalance the workers: not worth opening twice.
PROBE_MIN = 1024 * 1024
# A parse-bound file this large is worth a process of its own (~0.2 s to start one, ~0.1 s of work above).
OFFLOAD_MIN = 16 * 1024 * 1024
# A legacy torch.save file opens with a pickle of this number (LONG1, 10 bytes); what follows is a few small
# pickles and then raw storages: hashed, not parsed.
_LEGACY_TORCH = b"\x8a\x0a" + (0x1950A86A20F9469CFC6C).to_bytes(10, "little")


@dataclass(frozen=True, slots=True)
class Planned:
    file: SnapshotFile
    size: int
    work: int  # expected scan cost in hashed-byte equivalents

    @property
    def offload(self) -> bool:
        """Scan in a process of its own: parse-bound and large."""
        return self.work > self.size and self.size >= OFFLOAD_MIN


def plan(files: Sequence[SnapshotFile]) -> list[Planned]:
    """``files`` in the order to scan them: the largest expected work first."""
    planned = []
    for sfile in files:
        size = file_size(sfile.abspath)
        planned.append(Planned(sfile, size, expected_work(sfile, size)))
    return sorted(planned, key=lambda p: p.work, reverse=True)


def expected_work(sfile: SnapshotFile, size: int) -> int:
    """The file's scan cost in hashed-byte equivalents."""
    if size < PROBE_MIN:
        return size
    try:
        with open(sfile.abspath, "rb") as fh:
            head = fh.read(32)
    except OSError:
        return size  # the scan reports why it cannot be read
    return size * PARSE_BOUND if parse_bound(head) else size


def parse_bound(head: bytes) -> bool:
    """Whether a file opening with ``head`` is a pickle stream analysed opcode by opcode."""
    return len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5 and _LEGACY_TORCH not in head


def file_size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
