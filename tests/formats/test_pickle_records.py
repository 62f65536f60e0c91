"""Runs of same-shaped record dicts (formats/pickle/records.py) against the reference loop.

The record runs execute many small dicts a column at a time; the reference loop executes every opcode on its
own. Both must leave the same memo (same values, same sharing), the same stack and the same findings on
generated streams: record lists in protocol-4 (MEMOIZE) and protocol-2 (BINPUT/LONG_BINPUT) style, with
memo reads that are missing, that read what the run itself writes, a sparse memo, bad UTF-8, frames that
end anywhere, truncation and flipped bytes. Streams are bytes only; nothing is unpickled.
"""

from __future__ import annotations

import io
import pickle
import random
import struct
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weighbridge.formats.base import Limits, ScanContext
from weighbridge.formats.pickle import analyser as A
from weighbridge.formats.pickle import records as R
from weighbridge.formats.pickle.analyser import Analyser
from weighbridge.formats.pickle.values import DictV, ListV, Opaque, SetV


class _Recorder(A._State):
    """The analyser's per-pickle state, kept after the pickle for inspection."""

    seen: list[A._State] = []

    def __init__(self) -> None:
        super().__init__()
        _Recorder.seen.append(self)


def _render(value: Any, ids: dict[int, tuple[int, Any]]) -> Any:
    """A value as data; containers by identity (their first appearance), so that sharing is compared."""
    if isinstance(value, DictV | ListV | SetV):
        return ("obj", ids.setdefault(id(value), (len(ids), value))[0])
    if isinstance(value, tuple):
        return tuple(_render(v, ids) for v in value)
    if isinstance(value, float):
        return ("float", struct.pack("<d", value))  # NaN payloads and -0.0 compared too
    if isinstance(value, Opaque):
        return ("opaque", value.kind)
    if value is None or isinstance(value, str | bytes | int | bool):
        return (type(value).__name__, value)
    return ("other", repr(value))


def _contents(value: Any, ids: dict[int, tuple[int, Any]]) -> Any:
    if isinstance(value, DictV):
        items = value.items
        pairs = None if items is None else [(_render(k, ids), _render(v, ids)) for k, v in items.items()]
        return ("dict", value.count, pairs)
    if isinstance(value, ListV):
        return ("list", value.count, None if value.items is None else [_render(v, ids) for v in value.items])
    if isinstance(value, SetV):
        return ("set", value.count)
    return None


def _state(data: bytes, fast: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, ...]:
    _Recorder.seen = []
    monkeypatch.setattr(A, "_State", _Recorder)
    ctx = ScanContext(path="records.pkl", limits=Limits(), nested=lambda c, s, n, z: "nested")
    analyser = Analyser(ctx, io.BytesIO(data))
    analyser.fast = fast
    summary = analyser.run()
    # where a break is reported differs between the loops (opcode start or after its argument), as in the
    # fast/reference test of test_pickle_gate.py; everything else is compared exactly
    findings = sorted(
        (
            f.rule,
            f.severity,
            None if f.rule == "WB-PKL-004" else f.location and f.location.offset,
            None if f.rule == "WB-PKL-004" else f.detail,
            f.evidence or "",
        )
        for f in ctx.findings
    )
    ids: dict[int, tuple[int, Any]] = {}
    states = []
    for state in _Recorder.seen:
        memo = [(k, _render(v, ids)) for k, v in state.memo.items()]
        stack = [_render(v, ids) for v in state.stack] if summary.complete else None
        states.append((memo, stack))
    # the contents of every container reached, in order of first appearance (rendering finds more)
    contents = []
    index = 0
    while index < len(ids):
        value = next(v for i, v in ids.values() if i == index)
        contents.append(_contents(value, ids))
        index += 1
    return (summary.pickles, summary.complete, summary.error, findings, states, contents)


def _agree(data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _state(data, True, monkeypatch) == _state(data, False, monkeypatch)


# --- generated record streams -------------------------------------------------------------------------
_VALUE_KINDS = ["K", "M", "J", "G", "N", "T", "F", "bool", "str", "X", "get", "lget"]


def _text(rnd: random.Random, n: int, noise: float) -> bytes:
    roll = rnd.random()
    if roll < noise and n:
        return bytes(rnd.randrange(0x80, 0x100) for _ in range(n))  # mostly invalid UTF-8
    if roll < 0.1 and n >= 2:
        return "é".encode() * (n // 2) + b"x" * (n % 2)
    return bytes(rnd.choice(b"abcdefgh") for _ in range(n))


def _records_stream(seed: int) -> bytes:
    rnd = random.Random(seed)
    noise = rnd.choice([0.0, 0.0, 0.002, 0.02, 0.1])  # how often a read or a string is wrong
    memoize = rnd.random() < 0.5  # protocol-4 style (MEMOIZE) or protocol-2 style (BINPUT / LONG_BINPUT)
    size = 0  # memo entries written so far (the generator's view: indexes as a pickler assigns them)
    out = bytearray(b"\x80\x04" if memoize else b"\x80\x02")
    frame_at = len(out)
    if memoize and rnd.random() < 0.7:
        out += b"\x95" + bytes(8)  # length patched below

    def memo_op() -> bytes:
        nonlocal size
        if memoize:
            size += 1
            return b"\x94"
        roll = rnd.random()
        idx = size if roll >= noise else rnd.choice([size + 3, max(size - 1, 0), 255, 1 << 20])
        size = max(size, idx + 1)
        return b"q" + bytes([idx]) if idx < 256 and rnd.random() < 0.7 else b"r" + struct.pack("<I", idx)

    # strings in the memo first (the keys records read back), sometimes a sparse entry
    for _ in range(rnd.randrange(0, 6)):
        out += b"\x8c\x02" + _text(rnd, 2, noise) + memo_op() + b"0"
    if rnd.random() < noise:
        out += b"N" + b"q" + bytes([rnd.randrange(size, size + 9) % 256]) + b"0"
    out += b"]" + memo_op() + b"("
    pairs = rnd.randrange(1, 5)
    shape: list[tuple[str, int, bool]] = []
    for _ in range(pairs):
        shape.append(("key-get" if rnd.random() < 0.6 else "str", rnd.randrange(1, 6), rnd.random() < 0.9))
        kind = rnd.choice(_VALUE_KINDS)
        shape.append((kind, rnd.randrange(0, 12), rnd.random() < 0.3))
    dict_memo = rnd.random() < 0.9
    first = size
    for _ in range(rnd.randrange(2, 160)):
        rec = bytearray(b"}")
        if dict_memo:
            rec += memo_op()
        rec += b"("
        for kind, n, memo_after in shape:
            if kind in ("key-get", "get", "lget"):
                roll = rnd.random()
                if roll >= noise:
                    idx = rnd.randrange(0, max(first, 1))  # written before the records
                elif roll < noise / 2:
                    idx = rnd.randrange(0, size + 1)  # possibly written by the run itself
                else:
                    idx = size + rnd.randrange(1, 50)  # missing
                rec += (
                    (b"h" + bytes([idx])) if kind != "lget" and idx < 256 else b"j" + struct.pack("<I", idx)
                )
            elif kind == "str":
                rec += b"\x8c" + bytes([n]) + _text(rnd, n, noise)
            elif kind == "X":
                rec += b"X" + struct.pack("<I", n) + _text(rnd, n, noise)
            elif kind == "K":
                rec += b"K" + bytes([rnd.randrange(256)])
            elif kind == "M":
                rec += b"M" + struct.pack("<H", rnd.randrange(1 << 16))
            elif kind == "J":
                rec += b"J" + struct.pack("<i", rnd.randrange(-(1 << 31), 1 << 31))
            elif kind == "G":
                rec += b"G" + struct.pack("<d", rnd.choice([rnd.random(), float("nan"), -0.0, 1e308]))
            elif kind == "bool":
                rec += rnd.choice([b"\x88", b"\x89"])
            else:
                rec += {"N": b"N", "T": b"\x88", "F": b"\x89"}[kind]
            if memo_after or kind == "str" and memoize:
                rec += memo_op()
        rec += b"u"
        out += rec
    out += b"e."
    if out[frame_at : frame_at + 1] == b"\x95":
        out[frame_at + 1 : frame_at + 9] = struct.pack("<Q", len(out) - frame_at - 9)
    return bytes(out)


@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    seed=st.integers(0, 1 << 32),
    cut=st.integers(0, 1 << 20),
    flip=st.none() | st.tuples(st.integers(0, 1 << 20), st.integers(1, 255)),
    frame=st.none() | st.integers(0, 3000),
)
def test_record_runs_leave_the_reference_state(
    seed: int, cut: int, flip: tuple[int, int] | None, frame: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = bytearray(_records_stream(seed))
    if frame is not None and data[2] == 0x95:  # the frame ends anywhere: inside a record, an argument
        data[3:11] = struct.pack("<Q", frame)
    if flip is not None:
        data[flip[0] % len(data)] ^= flip[1]
    _agree(bytes(data), monkeypatch)
    if cut % 4 == 0:
        _agree(bytes(data[: cut % (len(data) + 1)]), monkeypatch)


# --- the runs are taken where they should be, and give way where they must ---------------------------
def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    executed: list[int] = []
    real = R.execute

    def execute(shape: R.Shape, buf: bytes, pos: int, *args: Any) -> int:
        end = real(shape, buf, pos, *args)
        executed.append((end - pos) // shape.size)
        return end

    monkeypatch.setattr(R, "execute", execute)
    return executed


@pytest.mark.parametrize("protocol", [1, 2, 3, 4, 5])
def test_record_lists_go_through_runs(protocol: int, monkeypatch: pytest.MonkeyPatch) -> None:
    records: list[dict[str, Any]] = [{"id": i, "token": f"tok{i}", "score": i * 0.5} for i in range(4000)]
    if protocol >= 2:  # protocol 1 writes booleans as INT lines, which are not record opcodes
        for i, record in enumerate(records):
            record["ok"] = i % 3 == 0
    data = pickle.dumps(records, protocol=protocol)
    executed = _counting(monkeypatch)
    fast = _state(data, True, monkeypatch)
    assert sum(executed) > 0.9 * len(records)
    assert fast == _state(data, False, monkeypatch)
    assert fast[1] and fast[3] == []


def _p4(records: bytes, prefix: bytes = b"") -> bytes:
    return b"\x80\x04" + prefix + b"]\x94(" + records + b"e."


def test_missing_memo_key_inside_a_run_is_reported_where_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = b"\x8c\x01a\x94\x8c\x01b\x94" + b"00"  # memo 0, 1
    good = b"}\x94(h\x00K\x07h\x01K\x08u"
    bad = b"}\x94(h\x00K\x07h\x63K\x08u"
    data = _p4(good * 40 + bad + good * 10, keys)
    executed = _counting(monkeypatch)
    state = _state(data, True, monkeypatch)
    assert sum(executed) >= 30 and state[2] is not None and "memo key 99" in state[2]
    assert state == _state(data, False, monkeypatch)


def test_bad_utf8_inside_a_run_is_reported_where_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    good = b"}\x94(\x8c\x01k\x94\x8c\x02ok\x94u"
    data = _p4(good * 30 + b"}\x94(\x8c\x01k\x94\x8c\x02\xff\xfe\x94u" + good * 5)
    state = _state(data, True, monkeypatch)
    assert state[2] is not None and "UTF-8" in state[2]
    assert state == _state(data, False, monkeypatch)


def test_memoize_over_a_sparse_memo_overwrites_as_the_reference_does(monkeypatch: pytest.MonkeyPatch) -> None:
    # BINPUT 12 leaves the memo sparse: the 12th MEMOIZE replaces that entry instead of adding one
    prefix = b"\x8c\x01a\x94N\x71\x0c00"
    data = _p4(b"}\x94(h\x00\x8c\x01v\x94u" * 30, prefix)
    assert _state(data, True, monkeypatch) == _state(data, False, monkeypatch)


def test_records_reading_what_the_run_writes_keep_their_order(monkeypatch: pytest.MonkeyPatch) -> None:
    # protocol-2 style: each record reads back the string the record before it stored (BINPUT n, BINGET n-1)
    out = bytearray(b"\x80\x02]q\x00(")
    for i in range(1, 60):
        out += b"}(X\x01\x00\x00\x00k" + b"q" + bytes([i]) + b"h" + bytes([max(i - 1, 1)]) + b"u"
    data = bytes(out + b"e.")
    assert _state(data, True, monkeypatch) == _state(data, False, monkeypatch)


def test_stream_ending_on_a_string_opcode_after_a_break_is_no_parser_crash() -> None:
    # found by the generator above: the scan for imports spelled after a break read past the last byte
    ctx = ScanContext(path="x.pkl", limits=Limits(), nested=lambda c, s, n, z: "nested")
    summary = Analyser(ctx, io.BytesIO(b"\x80\x04Nh\x09\x8c\x01a\x94\x8c")).run()
    assert summary.error is not None and "memo key 9" in summary.error
    assert [f.rule for f in ctx.findings] == ["WB-PKL-004"]


def test_items_added_later_to_a_record_of_a_run_are_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    # found by the generator: a run's dict keeps its flat form; SETITEM / SETITEMS on it later (through the
    # memo) must count the new items on top of the record's own
    records = b"".join(b"}\x94(\x8c\x01a\x94K" + bytes([i]) + b"\x8c\x01b\x94\x88u" for i in range(20))
    later = b"h\x04\x8c\x01c\x94K\x07s0" + b"h\x0a(\x8c\x01d\x94N\x8c\x01e\x94\x89u0"
    data = b"\x80\x04]\x94(" + records + b"e" + later + b"."
    executed = _counting(monkeypatch)
    state = _state(data, True, monkeypatch)
    assert sum(executed) > 10 and state[1]
    assert (
        "dict",
        3,
        [(("str", "a"), ("int", 1)), (("str", "b"), ("bool", True)), (("str", "c"), ("int", 7))],
    ) in state[5]
    assert (
        "dict",
        4,
        [
            (("str", "a"), ("int", 3)),
            (("str", "b"), ("bool", True)),
            (("str", "d"), ("NoneType", None)),
            (("str", "e"), ("bool", False)),
        ],
    ) in state[5]
    assert state == _state(data, False, monkeypatch)


@pytest.mark.parametrize("protocol", [2, 4])
def test_nested_one_item_dicts_and_lists_leave_the_reference_state(
    protocol: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # one-item dicts and lists are written with SETITEM / APPEND, which the fast path executes inline
    obj = [{"a": {"b": i, "c": {"d": f"s{i}"}}, "e": [i, i + 1], "f": [i]} for i in range(300)]
    _agree(pickle.dumps(obj, protocol=protocol), monkeypatch)


def test_records_overwriting_a_memo_entry_they_read_keep_their_order(monkeypatch: pytest.MonkeyPatch) -> None:
    # protocol-2 style: every record stores its own string under key 1 (which exists before the run) and reads
    # key 1 back; one at a time each record reads its own string, so no read may see the memo as it was
    out = bytearray(b"\x80\x02]q\x00(X\x01\x00\x00\x00zq\x01")
    for i in range(60):
        out += b"}q" + bytes([2 + i]) + b"(X\x01\x00\x00\x00" + bytes([0x61 + i % 26]) + b"q\x01h\x01u"
    data = bytes(out + b"e.")
    state = _state(data, True, monkeypatch)
    assert ("dict", 1, [(("str", "c"), ("str", "c"))]) in state[5]
    assert state == _state(data, False, monkeypatch)


def test_long_str_inside_a_record_is_opaque_as_in_the_reference_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    # the record loop decoded a BINUNICODE of any length; the reference keeps one over KEEP_STR opaque, so
    # a STACK_GLOBAL fed with it is a computed import (critical), not an unknown global (medium)
    big = b"a" * (A.KEEP_STR + 1)
    data = (
        b"\x80\x02]q\x00(}q\x01(X" + struct.pack("<I", len(big)) + big + b"q\x02K\x01u"
        b"h\x02X\x01\x00\x00\x00x\x93e."
    )
    state = _state(data, True, monkeypatch)
    assert [f[0] for f in state[3]] == ["WB-PKL-003"]
    assert state == _state(data, False, monkeypatch)


@pytest.mark.parametrize("fast", [True, False])
def test_binfloat_is_read_big_endian_in_runs_and_in_the_reference_loop(
    fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BINFLOAT's argument is a big-endian double (the other numeric opcodes are little-endian): values that
    reach evidence must be the numbers the pickle holds, on both the record-run and the per-opcode paths."""
    floats = [i * 0.5 + 0.25 for i in range(40)]
    data = pickle.dumps([{"id": i, "score": x} for i, x in enumerate(floats)] + [1.5e300, -2.0], protocol=2)
    assert struct.pack(">d", 0.25) in data
    state = repr(_state(data, fast, monkeypatch))
    for x in (*floats, 1.5e300, -2.0):  # the state renders a float as its native bytes (NaNs compare)
        assert repr(("float", struct.pack("<d", x))) in state, x
