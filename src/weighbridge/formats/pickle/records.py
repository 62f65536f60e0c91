"""Runs of same-shaped small dicts (record pickles), executed a column at a time instead of an opcode at a time.

A list of records pickles as the same opcode sequence over and over: ``}`` (+ memo op) ``(`` key/value pushes
(memo gets, short strings, numbers) ``u``, with only the arguments changing. Once two consecutive records
have the same *shape* (opcodes, string lengths, memo ops), one regular expression finds how many of the
following records have it too, ``struct`` unpacks their arguments, and every column (memo lookups, UTF-8
decoding, the new dicts, the memo writes) is one C-level pass. The Python per-opcode loop costs ~0.15 µs per
opcode; a run costs a fraction of that per record.

Results are exactly those of executing the opcodes one by one, because a run is taken only when order cannot
matter: every memo read succeeds against the memo as it was before the run and reads no key the run writes,
MEMOIZE writes only keys that did not exist (so each one adds an entry, as it does one at a time), strings
decode, and the run lies inside the buffer and the current frame (the caller's limit). Otherwise nothing is
changed and the caller's record loop parses the records itself (and reports what is wrong). The shape
compiler accepts only the opcodes whose effect it models; anything else is not a shape.
"""

from __future__ import annotations

import functools
import struct
from array import array
from collections import deque
from itertools import chain, repeat
from typing import Any

from .values import SMALL, DictV

KEEP_STR = 64 * 1024  # the analyser's limit for str literals it keeps (longer ones are opaque)

_GET, _STR, _NUM, _CONST, _BOOL, _FLOAT = 0, 1, 2, 3, 4, 5
# push opcode -> (argument bytes, struct code of the argument, kind); "" = nothing to unpack
_PUSH: dict[int, tuple[int, str, int]] = {
    0x68: (1, "B", _GET),  # BINGET
    0x6A: (4, "I", _GET),  # LONG_BINGET
    0x4B: (1, "B", _NUM),  # BININT1
    0x4D: (2, "H", _NUM),  # BININT2
    0x4A: (4, "i", _NUM),  # BININT
    0x47: (8, "d", _FLOAT),  # BINFLOAT: big-endian, unlike the others (read "<d", then byte-swapped)
    0x4E: (0, "", _CONST),  # NONE
    0x88: (0, "", _BOOL),  # NEWTRUE
    0x89: (0, "", _BOOL),  # NEWFALSE: one shape token with NEWTRUE, the opcode byte is the value
}
_CONSTS = {0x4E: None}
# memo opcode -> (argument bytes, struct code); MEMOIZE has no argument
_MEMO: dict[int, tuple[int, str]] = {0x94: (0, ""), 0x71: (1, "B"), 0x72: (4, "I")}
# A run costs ~15 us to set up and saves ~1 us per record over the record loop: shorter ones are left to the
# loop, and a look that finds fewer than _MIN_RUN records counts as a miss for the back-off.
_SHORTEST = 8
_MIN_RUN = 32
_LONGEST = 4096  # records per run at most: bounds what a run that fails at its end has done for nothing


Token = int | tuple[int, int]


def shape_key(buf: bytes, start: int, end: int) -> tuple[Token, ...] | None:
    """The shape of the record ``buf[start:end]`` (``}`` ... ``u``, parsed already): its opcodes, with string
    lengths, or None when it holds an opcode the run executor does not model."""
    tokens: list[Token] = []
    i = start + 1
    op = buf[i]
    if op in _MEMO:
        tokens.append(op)
        i += 1 + _MEMO[op][0]
    if buf[i] != 0x28:
        return None
    tokens.append(0x28)
    i += 1
    last = end - 1
    while i < last:
        op = buf[i]
        if op == 0x8C:
            n = buf[i + 1]
            tokens.append((op, n))
            i += 2 + n
        elif op == 0x58:
            n = int.from_bytes(buf[i + 1 : i + 5], "little")
            tokens.append((op, n))
            i += 5 + n
        elif op in _PUSH:
            tokens.append(0x88 if op == 0x89 else op)
            i += 1 + _PUSH[op][0]
        elif op in _MEMO:
            tokens.append(op)
            i += 1 + _MEMO[op][0]
        else:
            return None
    if i != last or buf[last] != 0x75:
        return None
    return tuple(tokens)


class Shape:
    """A compiled record shape: the bytes every record of it has at fixed offsets, where its arguments are,
    what each pushed value is and which values the memo ops write."""

    __slots__ = ("size", "fixed", "bytes1", "multi", "fields", "items", "writes", "memoize", "pairs")

    def __init__(self, size: int, fixed: list[tuple[int, bytes]], args: list[tuple[int, str]]) -> None:
        self.size = size
        self.fixed = fixed  # (offset, the byte or bytes allowed there) of every opcode and length byte
        # one-byte arguments are read as strided slices; the others through one struct per record
        self.bytes1 = [(i, off) for i, (off, code) in enumerate(args) if code == "B"]
        multi = [(i, off, code) for i, (off, code) in enumerate(args) if code != "B"]
        fmt, at = "<", 0
        for _, off, code in multi:
            fmt += f"{off - at}x{code}"
            at = off + struct.calcsize("<" + code)
        self.multi = struct.Struct(fmt + f"{size - at}x") if multi else None
        self.fields = [i for i, _, _ in multi]
        self.items: list[tuple[int, Any]] = []  # (kind, argument index or constant) per pushed value
        self.writes: list[tuple[int, int]] = []  # (argument index of the memo key or -1, item index or -1)
        self.memoize = False
        self.pairs = 0


@functools.lru_cache(maxsize=512)
def compile_shape(key: tuple[Token, ...]) -> Shape | None:
    """The executor of a shape, or None when a run of it cannot be executed column-wise."""
    fixed: list[tuple[int, bytes]] = [(0, b"}")]
    args: list[tuple[int, str]] = []  # (offset, struct code)
    items: list[tuple[int, Any]] = []
    writes: list[tuple[int, int]] = []
    kinds: set[bool] = set()
    marked = False
    off = 1
    for tok in key:
        if isinstance(tok, tuple):  # a string: opcode and length are part of the shape
            op, n = tok
            if not marked or (op == 0x58 and n > KEEP_STR):
                return None
            head = bytes([op]) + (bytes([n]) if op == 0x8C else n.to_bytes(4, "little"))
            fixed.extend((off + i, head[i : i + 1]) for i in range(len(head)))
            off += len(head)
            items.append((_STR, len(args)))
            args.append((off, f"{n}s"))
            off += n
            continue
        if tok == 0x88:  # NEWTRUE or NEWFALSE, read as a one-byte column
            if not marked:
                return None
            fixed.append((off, b"\x88\x89"))
            items.append((_BOOL, len(args)))
            args.append((off, "B"))
            off += 1
            continue
        fixed.append((off, bytes([tok])))
        off += 1
        if tok == 0x28:  # MARK
            if marked:
                return None
            marked = True
        elif tok in _MEMO:  # writes the dict (before MARK) or the value pushed last
            width, code = _MEMO[tok]
            if marked and not items:
                return None  # on the empty stack after MARK: an error, left to the record loop
            kinds.add(tok == 0x94)
            writes.append((len(args) if code else -1, len(items) - 1 if marked else -1))
            if code:
                args.append((off, code))
            off += width
        else:
            width, code, kind = _PUSH[tok]
            if not marked:
                return None
            if kind == _CONST:
                items.append((_CONST, _CONSTS[tok]))
            else:
                items.append((kind, len(args)))
                args.append((off, code))
            off += width
    fixed.append((off, b"u"))
    off += 1
    if not marked or not items or len(items) & 1 or len(items) > 2 * SMALL or len(kinds) > 1:
        return None
    shape = Shape(off, fixed, args)
    shape.items = items
    shape.writes = writes
    shape.memoize = kinds == {True}
    shape.pairs = len(items) >> 1
    return shape


def _count(shape: Shape, buf: bytes, pos: int, lim: int) -> int:
    """How many records of ``shape`` follow each other from ``pos`` (and end by ``lim``): every fixed byte
    checked a column at a time (``lstrip`` of the allowed bytes), over chunks that grow while they match."""
    size = shape.size
    most = min((lim - pos) // size, _LONGEST)
    total = 0
    chunk = min(most, 16)
    while chunk:
        base = pos + total * size
        end = base + chunk * size
        good = chunk
        for off, byte in shape.fixed:
            good = min(good, chunk - len(buf[base + off : end : size].lstrip(byte)))
            if not good:
                break
        total += good
        if good < chunk:
            break
        chunk = min(most - total, chunk * 4)
    return total


_new = DictV.__new__
_NEWTRUE = 0x88


def execute(shape: Shape, buf: bytes, pos: int, lim: int, stack: list[Any], memo: dict[int, Any]) -> int:
    """Execute the run of records of ``shape`` at ``buf[pos:lim]``; the position after what was executed.
    When a condition for column-wise execution fails at some record (a missing memo key, bad UTF-8, an
    order-dependent memo access), the records before it are executed; that record and the ones after it are
    left to the record loop, which executes (and reports) them one at a time."""
    count = _count(shape, buf, pos, lim)
    while count >= _SHORTEST:
        failed = _apply(shape, buf, pos, count, stack, memo)
        if failed is None:
            return pos + count * shape.size
        count = min(failed, count - 1)  # the records before the first that failed (always fewer)
    return pos


def _apply(
    shape: Shape, buf: bytes, pos: int, count: int, stack: list[Any], memo: dict[int, Any]
) -> int | None:
    """Execute ``count`` records of ``shape`` at ``pos`` column-wise and return None; or change nothing and
    return the index of the first record that cannot be executed so (the records before it can)."""
    size = shape.size
    end = pos + count * size
    cols: dict[int, Any] = {i: buf[pos + off : end : size] for i, off in shape.bytes1}
    if shape.multi is not None:
        fields = shape.fields
        flat = list(chain.from_iterable(shape.multi.iter_unpack(buf[pos:end])))
        width = len(fields)
        for j, i in enumerate(fields):
            cols[i] = flat[j::width] if width > 1 else flat
    values: list[Any] = []
    for kind, arg in shape.items:
        if kind == _GET:
            try:
                values.append(list(map(memo.__getitem__, cols[arg])))
            except KeyError:
                return next(i for i, key in enumerate(cols[arg]) if key not in memo)
        elif kind == _STR:
            try:
                values.append(list(map(bytes.decode, cols[arg], repeat("utf-8"), repeat("surrogatepass"))))
            except UnicodeDecodeError:
                return next(i for i, raw in enumerate(cols[arg]) if not _decodes(raw))
        elif kind == _NUM:
            values.append(cols[arg])
        elif (
            kind == _FLOAT
        ):  # the column was read little-endian with the integers; swap it in C, not per value
            floats = array("d", cols[arg])
            floats.byteswap()
            values.append(floats.tolist())
        elif kind == _BOOL:
            values.append(list(map(_NEWTRUE.__eq__, cols[arg])))
        else:
            values.append((arg,) * count)
    writes = shape.writes
    if writes:
        size = len(memo)
        if shape.memoize:
            keys: Any = range(size, size + count * len(writes))
            if not memo.keys().isdisjoint(keys):  # a MEMOIZE would overwrite an entry (a sparse memo)
                first: int = next(k for k in keys if k in memo)
                return (first - size) // len(writes)
        else:
            keys = list(chain.from_iterable(zip(*(cols[w[0]] for w in writes), strict=True)))
            written = set(keys)
            reads = [cols[arg] for kind, arg in shape.items if kind == _GET]
            if any(not written.isdisjoint(col) for col in reads):  # a read of a key the run writes
                return next(
                    i for i, row in enumerate(zip(*reads, strict=True)) if not written.isdisjoint(row)
                )
    dicts = list(map(_new, repeat(DictV, count)))
    # the flat key/value tuple of each dict; its count is derived from it (values.DictV)
    deque(map(setattr, dicts, repeat("_items"), zip(*values, strict=True)), 0)
    stack.extend(dicts)
    if writes:
        written_values = [dicts if item < 0 else values[item] for _, item in writes]
        memo.update(zip(keys, chain.from_iterable(zip(*written_values, strict=True)), strict=True))
    return None


def _decodes(raw: bytes) -> bool:
    try:
        raw.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return False
    return True


class RecordRuns:
    """When to look for runs: after two consecutive records of one shape; after misses, less and less often
    (records of varying shapes pay a shape check every few hundred records at most)."""

    __slots__ = ("prev", "backoff")

    def __init__(self) -> None:
        self.prev: tuple[Token, ...] | None = None
        self.backoff = 0

    def after(
        self, buf: bytes, start: int, pos: int, lim: int, stack: list[Any], memo: dict[int, Any]
    ) -> tuple[int, int]:
        """The record ``buf[start:pos]`` was just parsed and another dict starts at ``pos``: execute a run
        from there if the shape repeats. Returns the new position and how many records to skip before the
        next look."""
        key = shape_key(buf, start, pos)
        if key is not None and key == self.prev:
            shape = compile_shape(key)
            if shape is not None:
                end = execute(shape, buf, pos, lim, stack, memo)
                if end - pos >= _MIN_RUN * shape.size:
                    self.backoff = 0
                    return end, 0
                self.prev = None
                self.backoff = min(2 * self.backoff + 1, 255)
                return end, self.backoff
        if self.prev is None and key is not None:
            self.prev = key  # look at the next record too
            return pos, 0
        self.prev = None
        self.backoff = min(2 * self.backoff + 1, 255)
        return pos, self.backoff
