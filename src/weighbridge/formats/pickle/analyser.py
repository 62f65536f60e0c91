"""Opcode-level pickle analyser: models the real unpickler's stack, memo and frames without running anything.

It follows CPython's C unpickler where pure-Python tools diverge: MARK pushes a new stack (metastack), the
memo is one dictionary written by PUT, BINPUT, LONG_BINPUT and MEMOIZE (index = current memo size), dotted
global names resolve attribute paths under protocol >= 4, STACK_GLOBAL takes whatever the stack holds (so
operands built at load time are seen as such), several pickles may follow each other, and a stream that
breaks after a call has been made is reported as such — the real unpickler would have run the call.
Bulk data (tensors inside BINBYTES, joblib arrays after their wrapper) is skipped, never held in memory.
"""

from __future__ import annotations

import codecs
import functools
import io
import re
import struct
from typing import Any, BinaryIO

from ...core.findings import Check, Location, Severity
from ...core.rules import define
from ...core.rules import get as rules_get
from ..base import Limits, ScanContext, skip_bytes
from . import policy
from .gcpause import gc_paused
from .values import (
    BIG_BYTES,
    BIG_STR,
    BUFFER,
    NUMBER,
    PERSISTENT,
    SMALL,
    DictV,
    Global,
    Instance,
    ListV,
    SetV,
    describe,
)

DANGEROUS_GLOBAL = define(
    "WB-PKL-001",
    Check.ARTIFACT,
    Severity.CRITICAL,
    "Dangerous callable imported by pickle",
    "The pickle imports a callable from a family that can execute code, run processes, resolve arbitrary "
    "names, build code objects, deserialise nested payloads, touch files or the network, or tamper with "
    "scanners. Loading the file imports it; a REDUCE/OBJ/INST/NEWOBJ calls it.",
)
UNKNOWN_GLOBAL = define(
    "WB-PKL-002",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Global outside the allowlist",
    "The pickle imports a name that is not on the allowlist of globals real checkpoints use. Loading the "
    "file imports that module and may call the name. Not known to be malicious: review it.",
)
COMPUTED_GLOBAL = define(
    "WB-PKL-003",
    Check.ARTIFACT,
    Severity.CRITICAL,
    "Import target computed at load time",
    "STACK_GLOBAL takes module and name from the stack; here they are not string literals (results of "
    "calls, memo values of other types). The imported object cannot be known without running the pickle.",
)
BROKEN_STREAM = define(
    "WB-PKL-004",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Pickle stream cannot be parsed to the end",
    "The pickle is truncated or malformed. The unpickler executes opcodes as it reads them, so whatever "
    "came before the break runs before the error; the file is not clean.",
)
TRAILING_DATA = define(
    "WB-PKL-005",
    Check.ARTIFACT,
    Severity.LOW,
    "Data after the last pickle",
    "Bytes follow the final STOP opcode. Loaders ignore them, but they can hide a second payload "
    "(polyglot files); they are routed through the scanner as well.",
)
FRAME_DIVERGENCE = define(
    "WB-PKL-006",
    Check.ARTIFACT,
    Severity.HIGH,
    "Opcode crosses a FRAME boundary",
    "An opcode or its argument extends beyond the declared protocol-4 frame, or a frame starts before the "
    "previous one ended. CPython's C unpickler and pure-Python parsers read such streams differently; this "
    "is a known scanner-evasion technique.",
)
ATTRIBUTE_INJECTION = define(
    "WB-PKL-007",
    Check.ARTIFACT,
    Severity.HIGH,
    "BUILD sets attributes on an imported object",
    "BUILD applied directly to an imported module-level object rewrites its attributes at load time, which "
    "can poison allowlisted names before they are used.",
)
EXTENSION_CODE = define(
    "WB-PKL-008",
    Check.ARTIFACT,
    Severity.HIGH,
    "Global resolved through the copyreg extension registry",
    "EXT1/EXT2/EXT4 import whatever the loading process registered under a numeric code; the target cannot "
    "be checked statically.",
)
LIMIT_EXCEEDED = define(
    "WB-PKL-009",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Pickle exceeds the analyser's limits",
    "The stream has more opcodes, stack items or memo entries than the analyser tracks (expansion or "
    "resource-exhaustion attack, or an extremely large object graph). The rest was not analysed.",
)
CALL_OF_COMPUTED = define(
    "WB-PKL-010",
    Check.ARTIFACT,
    Severity.HIGH,
    "Call of a value produced at load time",
    "A REDUCE/NEWOBJ calls something that was itself returned by a call (a resolver's result, an attribute "
    "fetched at runtime): what runs cannot be known statically.",
)
RESOLVED_NAME = define(
    "WB-PKL-011",
    Check.ARTIFACT,
    Severity.CRITICAL,
    "Name resolved from a string at load time",
    "A resolver (importlib.import_module, pkgutil.resolve_name, pydoc.locate, getattr, attrgetter…) is "
    "called with a string naming what to import or fetch.",
)
OUT_OF_BAND = define(
    "WB-PKL-012",
    Check.ARTIFACT,
    Severity.LOW,
    "Out-of-band buffer reference",
    "Protocol-5 NEXT_BUFFER/READONLY_BUFFER refer to buffers passed by the caller; the data is not in "
    "the file.",
)
JOBLIB_ARRAY = define(
    "WB-PKL-013",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "joblib array data cannot be delimited",
    "A joblib NumpyArrayWrapper is followed by raw array bytes whose length comes from its state; the state "
    "could not be read, so the bytes that follow could not be skipped safely.",
)
CALLED_OFF_ALLOWLIST = define(
    "WB-PKL-014",
    Check.ARTIFACT,
    Severity.HIGH,
    "Framework or stdlib function called off-list",
    "The pickle calls (REDUCE, NEWOBJ, OBJ, INST, or through an allowlisted function that calls its argument) a "
    "function of the standard library or of an ML framework (torch, numpy, scipy, pandas, sklearn, joblib, "
    "transformers...) that real checkpoints do not call. Such namespaces hold private process, file and "
    "network helpers that no denylist keeps up with, so a call there is high; classes of the frameworks that "
    "are only instantiated stay medium notices.",
)
PATTERN_GLOBAL = define(
    "WB-PKL-015",
    Check.ARTIFACT,
    Severity.CRITICAL,
    "Private I/O twin, internal or runner imported",
    "The pickle imports a name from a name-prefix family of the rule tables: private C twins of public I/O "
    "modules (_pyio, _sqlite3, _ssl...), process and interpreter internals (_posixsubprocess, uuid._*, "
    "_winapi...), or sub-interpreter and test-harness runners that execute a string (_interpreters, "
    "_xxsubinterpreters, test.support...).",
)
PRIMITIVE_CALL = define(
    "WB-PKL-016",
    Check.ARTIFACT,
    Severity.HIGH,
    "File, library or network primitive called",
    "The pickle calls a function that reads, writes or creates files at a path, loads a native library, "
    "downloads a URL or opens a server; the path or URL it passes is the evidence.",
)
PERSISTENT_OUTSIDE_TORCH = define(
    "WB-PKL-017",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Persistent id outside a PyTorch archive",
    "PERSID/BINPERSID hand an object to the loading code's persistent_load hook. Only PyTorch archives "
    "expect them; elsewhere what the hook does with the id decides what the load does.",
)
NAME_AFTER_BREAK = define(
    "WB-PKL-018",
    Check.ARTIFACT,
    Severity.CRITICAL,
    "Dangerous import after the stream breaks",
    "The analyser could not parse the stream past some point, and the bytes that follow still spell a "
    "GLOBAL, INST or STACK_GLOBAL import of a dangerous name. A loader that reads the break differently "
    "(another unpickler, a patched literal) reaches it.",
)
ARGUMENT_CALLED = define(
    "WB-PKL-019",
    Check.ARTIFACT,
    Severity.HIGH,
    "Allowlisted function given a computed callable",
    "An allowlisted function that calls or instantiates one of its arguments (torch's _rebuild_from_type_v2, "
    "copyreg._reconstructor, numpy's generator constructors...) receives a value produced at load time, "
    "e.g. the result of a resolver: what it runs cannot be known statically.",
)


_OPS = {
    0x28: "MARK",
    0x2E: "STOP",
    0x30: "POP",
    0x31: "POP_MARK",
    0x32: "DUP",
    0x46: "FLOAT",
    0x49: "INT",
    0x4A: "BININT",
    0x4B: "BININT1",
    0x4C: "LONG",
    0x4D: "BININT2",
    0x4E: "NONE",
    0x50: "PERSID",
    0x51: "BINPERSID",
    0x52: "REDUCE",
    0x53: "STRING",
    0x54: "BINSTRING",
    0x55: "SHORT_BINSTRING",
    0x56: "UNICODE",
    0x58: "BINUNICODE",
    0x61: "APPEND",
    0x62: "BUILD",
    0x63: "GLOBAL",
    0x64: "DICT",
    0x7D: "EMPTY_DICT",
    0x65: "APPENDS",
    0x67: "GET",
    0x68: "BINGET",
    0x69: "INST",
    0x6A: "LONG_BINGET",
    0x6C: "LIST",
    0x5D: "EMPTY_LIST",
    0x6F: "OBJ",
    0x70: "PUT",
    0x71: "BINPUT",
    0x72: "LONG_BINPUT",
    0x73: "SETITEM",
    0x74: "TUPLE",
    0x29: "EMPTY_TUPLE",
    0x75: "SETITEMS",
    0x47: "BINFLOAT",
    0x80: "PROTO",
    0x81: "NEWOBJ",
    0x82: "EXT1",
    0x83: "EXT2",
    0x84: "EXT4",
    0x85: "TUPLE1",
    0x86: "TUPLE2",
    0x87: "TUPLE3",
    0x88: "NEWTRUE",
    0x89: "NEWFALSE",
    0x8A: "LONG1",
    0x8B: "LONG4",
    0x42: "BINBYTES",
    0x43: "SHORT_BINBYTES",
    0x8C: "SHORT_BINUNICODE",
    0x8D: "BINUNICODE8",
    0x8E: "BINBYTES8",
    0x8F: "EMPTY_SET",
    0x90: "ADDITEMS",
    0x91: "FROZENSET",
    0x92: "NEWOBJ_EX",
    0x93: "STACK_GLOBAL",
    0x94: "MEMOIZE",
    0x95: "FRAME",
    0x96: "BYTEARRAY8",
    0x97: "NEXT_BUFFER",
    0x98: "READONLY_BUFFER",
}
# Ops that may start a pickle written with protocol 0/1 (used by the content sniffer).
PROTO01_START = frozenset(b"(cI]}NSVF)LliKJMGTUXhjgqprt.")

C_VIEW_BYTES = 64 * 1024  # bytes read in the C unpickler's view after a frame divergence
KEEP_BYTES = 1024 * 1024  # bytes literals kept for nested-pickle analysis
KEEP_STR = 64 * 1024  # str literals kept (module and attribute names are short)
MAX_LINE = 1024 * 1024
CHUNK = 1024 * 1024


@functools.cache
def _bytes_re(pattern: bytes) -> re.Pattern[bytes]:
    """A pattern compiled on first use: start-up does not pay for parsers of rare opcodes."""
    return re.compile(pattern)


@functools.cache
def _numeric_runs() -> tuple[re.Pattern[bytes], ...]:
    """Runs of fixed-size numeric pushes (lists of floats/ints), matched in C by the regex engine: BINFLOAT,
    BININT1, BININT2, BININT. Compiled on first use, not at import (start-up time)."""
    return tuple(
        re.compile(p)
        for p in (
            rb"(?:G[\x00-\xff]{8})+",
            rb"(?:K[\x00-\xff])+",
            rb"(?:M[\x00-\xff]{2})+",
            rb"(?:J[\x00-\xff]{4})+",
        )
    )


class PickleError(Exception):
    """The stream is malformed where the real unpickler would also fail."""


class Truncated(PickleError):
    """The stream ended inside a pickle (nothing malformed before that point)."""


class _Stop(Exception):
    """An analyser limit was hit; the rest of the stream is not analysed."""


class PickleSummary:
    """What an analyser run found, besides its findings. (Plain classes here and in ``_State``: dataclasses
    cost a millisecond of every start-up.)"""

    __slots__ = (
        "pickles",
        "complete",
        "calls",
        "globals",
        "error",
        "values",
        "persistent_ids",
        "end_offset",
        "dangerous",
        "truncated",
        "names_after_break",
    )

    def __init__(self) -> None:
        self.pickles = 0  # complete pickles parsed
        self.complete = False  # every pickle parsed ended at STOP and nothing broke
        self.calls = 0
        self.globals: list[str] = []
        self.error: str | None = None
        self.values: list[Any] = []  # top-level value of each of the first pickles
        self.persistent_ids: list[Any] = []  # first few persistent ids (torch storages)
        self.end_offset = 0  # bytes consumed from the stream
        self.dangerous = False  # a dangerous global, computed import or similar was seen
        self.truncated = False  # the last pickle ran out of input without any other error
        self.names_after_break = 0  # dangerous imports spelled after the break


class _Input:
    """Buffered, bounded reading of a forward-only stream, tracking absolute offsets."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.buf = b""
        self.pos = 0
        self.base = 0  # absolute offset of buf[0]
        self.eof = False

    def fill(self, need: int) -> bool:
        """Make at least ``need`` bytes available at pos; False if the stream ends first."""
        while len(self.buf) - self.pos < need:
            if self.eof:
                return False
            data = self.stream.read(max(CHUNK, need - (len(self.buf) - self.pos)))
            if not data:
                self.eof = True
                return False
            self.base += self.pos
            self.buf = self.buf[self.pos :] + data
            self.pos = 0
        return True

    def take(self, n: int) -> bytes:
        if not self.fill(n):
            raise Truncated(f"stream ends inside an argument ({n} bytes expected)")
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out

    def skip(self, n: int) -> None:
        have = len(self.buf) - self.pos
        if n <= have:
            self.pos += n
            return
        self.base += len(self.buf)
        self.buf = b""
        self.pos = 0
        try:
            skip_bytes(self.stream, n - have)
        except EOFError as exc:
            raise Truncated(f"stream ends inside a {n}-byte argument") from exc
        self.base += n - have

    def line(self) -> bytes | None:
        """The next newline-terminated argument without its newline; None when it is longer than MAX_LINE
        (it is skipped: the C unpickler accepts lines of any length)."""
        while True:
            i = self.buf.find(b"\n", self.pos)
            if i >= 0:
                out = self.buf[self.pos : i]
                self.pos = i + 1
                return out
            if len(self.buf) - self.pos > MAX_LINE:
                self._skip_line()
                return None
            if not self.fill(len(self.buf) - self.pos + 1):
                raise Truncated("stream ends inside a newline-terminated argument")

    def _skip_line(self) -> None:
        while True:
            i = self.buf.find(b"\n", self.pos)
            if i >= 0:
                self.pos = i + 1
                return None
            self.base += len(self.buf)
            self.buf = b""
            self.pos = 0
            if not self.fill(1):
                raise Truncated("stream ends inside a newline-terminated argument")

    def short_line(self, what: str) -> bytes:
        raw = self.line()
        if raw is None:
            raise PickleError(f"{what} argument is too long")
        return raw

    def at_end(self) -> bool:
        return not self.fill(1)

    @property
    def offset(self) -> int:
        return self.base + self.pos


def _decode_string_literal(raw: bytes) -> str:
    """Protocol-0 STRING argument: a quoted Python literal, decoded as the C unpickler does (no CR stripping)."""
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[:1] in (b"'", b'"'):
        raw = raw[1:-1]
    else:
        raise PickleError("STRING argument is not quoted")
    try:
        return codecs.escape_decode(raw)[0].decode("ascii", "replace")
    except ValueError as exc:
        raise PickleError(f"invalid escape in STRING: {exc}") from exc


# The C unpickler parses INT/LONG/FLOAT/GET/PUT arguments as C strings: the line with its newline, cut at
# the first NUL byte. These helpers reproduce _pickle.c (load_int, load_long, load_float, load_get, load_put).
_C_SPACE = b" \t\n\v\f\r"
_HEX = frozenset(b"0123456789abcdefABCDEF")
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
_FLOAT_PREFIX = (  # compiled on first use (_bytes_re), not at import
    rb"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN])"
)
_BIG_DIGITS = 4300  # CPython's default int_max_str_digits; longer literals are kept as an opaque number


def _c_string(raw: bytes) -> bytes:
    """The argument as the C string the unpickler hands to strtol & co: line + newline, cut at NUL."""
    nul = raw.find(b"\0")
    return raw + b"\n" if nul < 0 else raw[:nul]


def _strtol(s: bytes) -> tuple[int | None, int]:
    """glibc ``strtol(s, &end, 0)`` on a 64-bit long: (value, or None on overflow or no digits; end index)."""
    i, n = 0, len(s)
    while i < n and s[i] in _C_SPACE:
        i += 1
    neg = False
    if i < n and s[i] in b"+-":
        neg = s[i] == 0x2D
        i += 1
    if i + 2 < n and s[i] == 0x30 and s[i + 1] in b"xX" and s[i + 2] in _HEX:
        base, i = 16, i + 2
        digits = _HEX
    elif i < n and s[i] == 0x30:
        base, digits = 8, frozenset(b"01234567")
    else:
        base, digits = 10, frozenset(b"0123456789")
    j = i
    while j < n and s[j] in digits:
        j += 1
    if j == i:
        return None, 0  # no conversion: end = start of the string
    value = int(s[i:j], base)
    value = -value if neg else value
    if not _LONG_MIN <= value <= _LONG_MAX:
        return None, j  # ERANGE
    return value, j


def _pylong(s: bytes, base: int, what: str) -> Any:
    """``PyLong_FromString(s, NULL, base)``: whitespace around, underscores, 0x/0o/0b prefixes (base 0)."""
    if len(s) > _BIG_DIGITS:
        if re.fullmatch(rb"\s*[+-]?[0-9a-fA-FxXoObB_]+\s*", s):
            return NUMBER
        raise PickleError(f"invalid {what} literal")
    try:
        return int(s, base)
    except ValueError as exc:
        raise PickleError(f"invalid {what} literal {s[:40]!r}") from exc


def _load_int(raw: bytes | None) -> Any:
    if raw is None:
        return NUMBER
    if not raw:
        raise PickleError("empty INT argument")
    s = _c_string(raw)
    value, end = _strtol(s)
    if value is None and not s:
        value = 0  # strtol converted nothing and stopped on the NUL that ends the C string
    if value is not None and s[end : end + 1] in (b"\n", b""):
        if len(raw) == 2 and value in (0, 1):
            return value == 1  # "I00" / "I01" (any three-byte line worth 0 or 1) are the booleans
        return value
    return _pylong(s, 0, "INT")


def _load_long(raw: bytes | None) -> Any:
    if raw is None:
        return NUMBER
    if not raw:
        raise PickleError("empty LONG argument")
    if raw.endswith(b"L"):
        raw = raw[:-1]
        nul = raw.find(b"\0")
        s = raw if nul < 0 else raw[:nul]
    else:
        s = _c_string(raw)
    return _pylong(s, 0, "LONG")


def _load_float(raw: bytes | None) -> Any:
    if raw is None:
        return NUMBER
    if not raw:
        raise PickleError("empty FLOAT argument")
    s = _c_string(raw)
    m = _bytes_re(_FLOAT_PREFIX).match(s)
    if m is None or s[m.end() : m.end() + 1] not in (b"\n", b""):
        raise PickleError(f"invalid FLOAT literal {raw[:40]!r}")
    text = m.group()
    value = float(text)
    if value in (float("inf"), float("-inf")) and b"n" not in text.lower():
        raise PickleError("FLOAT literal overflows")
    return value


def _memo_index(raw: bytes | None, what: str) -> Any:
    if not raw:
        raise PickleError(f"empty {what} argument")
    return _pylong(_c_string(raw), 10, what)


class Analyser:
    """Parses pickles from one stream and reports into a scan context."""

    def __init__(
        self, ctx: ScanContext, stream: BinaryIO | None = None, *, inp: _Input | None = None
    ) -> None:
        self.ctx = ctx
        if inp is None:
            if stream is None:
                raise ValueError("Analyser needs a stream or an input")
            inp = _Input(stream)
        self.inp = inp
        self.summary = PickleSummary()
        self._reported: set[tuple[str, str]] = set()
        self.ops = 0
        self.max_ops = ctx.limits.max_pickle_ops
        self.suspicious_before = False  # a call or non-safe global was seen (for fail-closed severity)
        self.expect_persistent = False  # PERSID/BINPERSID are expected (PyTorch archives)
        self.scan_after_break = True  # look for imports spelled after a break
        self.fast = True  # the inline fast path of _one (False: the reference loop, for differential tests)
        self._runs: Any = None  # records.RecordRuns, made (and its module imported) at the first record

    # -- reporting ---------------------------------------------------------------------------------------
    def _once(self, key: tuple[str, str]) -> bool:
        if key in self._reported:
            return False
        self._reported.add(key)
        return True

    def _global(self, module: str, name: str, offset: int, opcode: str) -> Global:
        cls = policy.classify(module, name)
        g = Global(module, name, cls, offset)
        if cls.qualname not in self.summary.globals and len(self.summary.globals) < 10_000:
            self.summary.globals.append(cls.qualname)
        if cls.verdict is policy.Verdict.DANGEROUS:
            self.summary.dangerous = True
            self.suspicious_before = True
            if self._once(("dangerous", cls.qualname)):
                self.ctx.report(
                    PATTERN_GLOBAL if cls.pattern else DANGEROUS_GLOBAL,
                    f"{cls.qualname} ({cls.family})",
                    location=Location(offset=offset, opcode=opcode),
                    evidence=f"{module} {name}",
                )
        elif cls.verdict is policy.Verdict.UNKNOWN:
            self.suspicious_before = True
            if self._once(("unknown", cls.qualname)):
                self.ctx.report(
                    UNKNOWN_GLOBAL,
                    f"{cls.qualname} is not on the allowlist",
                    location=Location(offset=offset, opcode=opcode),
                    evidence=f"{module} {name}",
                )
        return g

    def _call(self, func: Any, args: Any, offset: int, opcode: str) -> Any:
        self.summary.calls += 1
        if isinstance(func, Global):
            if (
                func.qualname in _LATIN1_ENCODERS
                and isinstance(args, tuple)
                and len(args) == 2
                and isinstance(args[0], str)
                and args[1] in ("latin1", "latin-1")
            ):
                # Protocol <= 2 spells bytes as _codecs.encode(text, 'latin1'): a pure conversion.
                return args[0].encode("latin-1", "replace")
            qual = func.qualname
            if func.cls.verdict is not policy.Verdict.SAFE:
                self.suspicious_before = True
                self._callee(func, args, offset, opcode, None)
            arg_indexes = policy.HIGHER_ORDER.get(qual)
            if arg_indexes and isinstance(args, tuple):
                for i in arg_indexes:
                    if i < len(args):
                        self._argument_called(qual, i, args[i], offset, opcode)
            if qual in policy.RESOLVERS:
                strings = [a for a in (args if isinstance(args, tuple) else ()) if isinstance(a, str)]
                self.summary.dangerous = True
                if self._once(("resolve", qual + repr(strings))):
                    self.ctx.report(
                        RESOLVED_NAME,
                        f"{qual} called with {describe(args)}",
                        location=Location(offset=offset, opcode=opcode),
                        evidence=f"{qual}{describe(args)}",
                    )
            if qual in policy.NESTED_LOADERS and isinstance(args, tuple):
                for i, a in enumerate(args):
                    if isinstance(a, bytes) and a:
                        self.ctx.scan_nested(
                            io.BytesIO(a), f"<{qual} argument {i} at offset {offset}>", len(a)
                        )
        elif isinstance(func, Instance):
            self.suspicious_before = True
            self.summary.dangerous = True
            if self._once(("computed-call", str(offset))):
                self.ctx.report(
                    CALL_OF_COMPUTED,
                    f"{opcode} calls the result of {func!r}",
                    location=Location(offset=offset, opcode=opcode),
                    evidence=describe(args),
                )
        return Instance(func, args)

    def _callee(self, func: Global, args: Any, offset: int, opcode: str, via: str | None) -> None:
        """What calling ``func`` means beyond its import: off-allowlist calls in trusted namespaces, and
        file/library/network primitives with their arguments as evidence."""
        cls = func.cls
        qual = cls.qualname
        how = f" through {via}" if via else ""
        if cls.verdict is policy.Verdict.UNKNOWN:
            why = policy.call_severity(qual)
            if why is not None:
                self.suspicious_before = True
                if self._once(("called", qual)):
                    self.ctx.report(
                        CALLED_OFF_ALLOWLIST,
                        f"{qual} is called{how} ({why})",
                        location=Location(offset=offset, opcode=opcode),
                        evidence=f"{qual}{describe(args)}",
                    )
        elif cls.verdict is policy.Verdict.DANGEROUS and policy.is_primitive(cls):
            targets = [
                a for a in (args if isinstance(args, tuple) else (args,)) if isinstance(a, str | bytes)
            ]
            if self._once(("primitive", qual + repr(targets[:3]))):
                self.ctx.report(
                    PRIMITIVE_CALL,
                    f"{qual} is called{how} with {describe(args)}",
                    location=Location(offset=offset, opcode=opcode),
                    evidence=", ".join(describe(t, 200) for t in targets[:3]) or describe(args),
                )

    def _argument_called(self, qual: str, index: int, value: Any, offset: int, opcode: str) -> None:
        """``qual`` calls (or instantiates) its argument ``index``: check that value as a direct call."""
        via = f"{qual} (argument {index})"
        if isinstance(value, Global):
            if value.cls.verdict is not policy.Verdict.SAFE:
                self.suspicious_before = True
            self._callee(value, (), offset, opcode, via)
        elif isinstance(value, Instance) and not (
            isinstance(value.callee, Global) and value.callee.cls.verdict is policy.Verdict.SAFE
        ):
            # the result of an allowlisted call is data of a known type; anything else (a resolver's
            # result, a call of a call) is a callable nobody can name statically
            self.suspicious_before = True
            self.summary.dangerous = True
            if self._once(("argument-called", f"{offset}:{index}")):
                self.ctx.report(
                    ARGUMENT_CALLED,
                    f"{via} is {value!r}, a value produced at load time",
                    location=Location(offset=offset, opcode=opcode),
                    evidence=describe(value),
                )

    def _persistent(self, offset: int, opcode: str) -> None:
        if not self.expect_persistent and self._once(("persid", "")):
            self.ctx.report(
                PERSISTENT_OUTSIDE_TORCH,
                f"{opcode} at offset {offset}: the loader's persistent_load hook decides what it is",
                location=Location(offset=offset, opcode=opcode),
            )

    def _limit(self, what: str) -> None:
        self.ctx.report(
            LIMIT_EXCEEDED,
            what,
            location=Location(offset=self.inp.offset),
            severity=Severity.HIGH if self.summary.dangerous else None,
        )
        raise _Stop(what)

    # -- driver ------------------------------------------------------------------------------------------
    def run(self, max_pickles: int | None = None) -> PickleSummary:
        """Parse pickles until EOF (or ``max_pickles``); never raises for bad input."""
        with gc_paused():
            return self._run(max_pickles)

    def _run(self, max_pickles: int | None) -> PickleSummary:
        s = self.summary
        try:
            while max_pickles is None or s.pickles < max_pickles:
                if s.pickles and self.inp.at_end():
                    break
                start = self.inp.offset
                if s.pickles and not self._next_is_pickle():
                    self._trailing(start)
                    break
                value = self._one()
                s.pickles += 1
                if len(s.values) < 8:
                    s.values.append(value)
                if self.inp.at_end():
                    break
            s.complete = True
        except PickleError as exc:
            s.error = str(exc)
            s.truncated = isinstance(exc, Truncated)
            sev = Severity.HIGH if self.suspicious_before else None
            self.ctx.report(
                BROKEN_STREAM,
                f"pickle {s.pickles + 1} breaks at offset {self.inp.offset}: {exc}"
                + (" — after calls or non-allowlisted globals were already processed" if sev else ""),
                location=Location(offset=self.inp.offset),
                severity=sev,
            )
            if self.scan_after_break and not s.truncated:
                self._names_after_break()
        except _Stop as exc:
            s.error = str(exc)
            # the analysis stopped at a resource limit: the rest of the stream is read as after a break, so a
            # payload placed past the limit (the ten-millionth memo entry, the last opcode) is still seen
            if self.scan_after_break:
                self.inp.pos = max(0, self.inp.pos - _NAME_WINDOW)  # and the strings pushed just before it
                self._names_after_break()
        s.end_offset = self.inp.offset
        return s

    def _names_after_break(self) -> None:
        """Scan the rest of the stream (chunk by chunk, bounded memory) for GLOBAL/INST/STACK_GLOBAL imports
        of dangerous names: where the analyser stopped, another reader of the stream may not."""
        inp = self.inp
        start = inp.offset
        carry = b""
        carry_base = start
        while True:
            if not inp.fill(1):
                chunk = b""
            else:
                chunk = inp.buf[inp.pos :]
                inp.pos = len(inp.buf)
            data = carry + chunk
            final = not chunk
            limit = len(data) if final else max(0, len(data) - _NAME_WINDOW)
            for off, module, name in _spelled_imports(data, limit):
                cls = policy.classify(module, name)
                if cls.verdict is policy.Verdict.DANGEROUS or cls.qualname in policy.RESOLVERS:
                    self.summary.dangerous = True
                    self.summary.names_after_break += 1
                    if self._once(("after-break", cls.qualname)):
                        self.ctx.report(
                            NAME_AFTER_BREAK,
                            f"{cls.qualname} ({cls.family}) spelled at offset {carry_base + off}, "
                            f"after the break at offset {start}",
                            location=Location(offset=carry_base + off),
                            evidence=f"{module} {name}",
                        )
            if final:
                return
            carry_base += limit
            carry = data[limit:]

    def _next_is_pickle(self) -> bool:
        """Whether the bytes after a STOP are another pickle of this stream. A head that merely runs out
        without breaking ("prefix") is not taken here: it goes to the dispatcher as trailing data, which
        tries every format (an appended zip starts with the PERSID opcode) and the pickle analysis too."""
        self.inp.fill(PROBE_BYTES)
        head = self.inp.buf[self.inp.pos : self.inp.pos + PROBE_BYTES]
        if len(head) >= 2 and head[0] == 0x80:
            return looks_like_pickle(head)
        return probe_head(head) in ("complete", "globals")

    def _trailing(self, start: int) -> None:
        self.ctx.report(
            TRAILING_DATA,
            f"data follows the last pickle at offset {start}",
            location=Location(offset=start),
            evidence=describe(self.inp.buf[self.inp.pos : self.inp.pos + 32]),
        )
        rest = _RestStream(self.inp)
        self.ctx.scan_nested(rest, f"<data after pickle at offset {start}>", None)  # type: ignore[arg-type]

    # -- one pickle --------------------------------------------------------------------------------------
    def _one(self) -> Any:  # noqa: C901 - one dispatch loop, kept flat for speed
        """Parse one pickle up to its STOP; return the symbolic top-of-stack value.

        The loop keeps the buffer, position and frame end in locals and handles the opcodes that make up
        the bulk of real pickles inline; everything else, and every opcode in the last 16 bytes of the
        buffer, goes through ``_slow``, the complete reference implementation.
        """
        if not self.fast:
            return self._one_reference()
        inp = self.inp
        st = _State()
        memo = st.memo
        metastack = st.metastack
        stack = st.stack
        unpack_d = struct.Struct(">d").unpack_from  # BINFLOAT is big-endian
        unpack_i = struct.Struct("<i").unpack_from
        run_g, run_k, run_m, run_j = _numeric_runs()
        limits = self.ctx.limits
        max_stack = limits.max_pickle_stack
        max_memo = limits.max_pickle_memo
        nothing = 1 << 62
        ops = 0  # opcodes taken by the slow path; the fast path is budgeted by bytes
        start_off = inp.offset
        buf = inp.buf
        blen = len(buf)
        pos = inp.pos
        fend = nothing  # end of the current frame, relative to buf
        last = -1  # start of the previous opcode, relative to buf
        runs = self._runs
        skip = 0  # records the record loop parses before it looks for a run of one shape again

        while True:
            if blen - pos < 16:
                last_abs = inp.base + last if last >= 0 else -1
                inp.pos = pos
                st.stack = stack
                if not inp.eof:
                    # the limits before the refill, which drops the bytes already read: a stop then still
                    # has the opcodes just before it to scan for an import spelled across the stop
                    if len(stack) > max_stack or len(metastack) > max_stack:
                        self._limit(f"more than {max_stack} stack items")
                    if len(memo) > max_memo:
                        self._limit(f"more than {max_memo} memo entries")
                    if self.ops + ops + inp.offset - start_off > self.max_ops:
                        self._limit(f"more than {self.max_ops} opcodes")
                    inp.fill(16)
                if len(inp.buf) - inp.pos < 16:
                    # the stream's last bytes: every opcode through the reference implementation
                    if inp.pos >= len(inp.buf):
                        raise Truncated("stream ends before STOP")
                    self._frame_edge(st, last_abs)
                    op_abs = inp.offset
                    ops += 1
                    if self._slow(inp.buf[inp.pos], op_abs, st):
                        self.ops += ops + inp.offset - start_off
                        return st.stack[-1]
                    if st.frame_end >= 0 and inp.offset > st.frame_end:
                        self._diverge(
                            op_abs, st.frame_end, "an opcode argument ran past the end of the frame"
                        )
                        st.frame_end = -1
                    stack = st.stack
                    buf = inp.buf
                    blen = len(buf)
                    pos = inp.pos
                    fend = st.frame_end - inp.base if st.frame_end >= 0 else nothing
                    last = -1
                    continue
                last = last_abs - inp.base if last_abs >= 0 else -1
                buf = inp.buf
                blen = len(buf)
                pos = inp.pos
                fend = st.frame_end - inp.base if st.frame_end >= 0 else nothing
            if pos >= fend:
                if pos > fend:
                    inp.pos = pos
                    self._diverge(
                        inp.base + last if last >= 0 else -1,
                        st.frame_end,
                        "an opcode argument ran past the end of the frame",
                    )
                st.frame_end = -1
                fend = nothing
            op = buf[pos]
            last = pos
            if op == 0x8C:  # SHORT_BINUNICODE
                n = buf[pos + 1]
                if pos + 2 + n > blen:
                    inp.pos = pos
                    st.stack = stack
                    self._slow_at(st)
                    stack = st.stack
                    buf = inp.buf
                    blen = len(buf)
                    pos = inp.pos
                    fend = st.frame_end - inp.base if st.frame_end >= 0 else nothing
                    continue
                try:
                    text = buf[pos + 2 : pos + 2 + n].decode("utf-8", "surrogatepass")
                except UnicodeDecodeError as exc:
                    inp.pos = pos
                    raise PickleError("invalid UTF-8 in SHORT_BINUNICODE") from exc
                stack.append(text)
                pos += 2 + n
                if (
                    pos < blen and buf[pos] == 0x94 and pos < fend
                ):  # fused MEMOIZE (protocol 4 writes one per str)
                    memo[len(memo)] = text
                    pos += 1
            elif op == 0x94:  # MEMOIZE
                if not stack:
                    inp.pos = pos
                    raise PickleError("MEMOIZE on an empty stack")
                memo[len(memo)] = stack[-1]
                pos += 1
            elif op == 0x68:  # BINGET
                idx = buf[pos + 1]
                if idx not in memo:
                    inp.pos = pos
                    raise PickleError(f"memo key {idx} not found")
                stack.append(memo[idx])
                pos += 2
            elif op == 0x72:  # LONG_BINPUT
                if not stack:
                    inp.pos = pos
                    raise PickleError("LONG_BINPUT on an empty stack")
                memo[buf[pos + 1] | (buf[pos + 2] << 8) | (buf[pos + 3] << 16) | (buf[pos + 4] << 24)] = (
                    stack[-1]
                )
                pos += 5
            elif op == 0x71:  # BINPUT
                if not stack:
                    inp.pos = pos
                    raise PickleError("BINPUT on an empty stack")
                memo[buf[pos + 1]] = stack[-1]
                pos += 2
            elif op == 0x4B:  # BININT1
                if blen - pos > 48 and buf[pos + 30] == 0x4B and buf[pos + 2] == 0x4B:
                    m = run_k.match(buf, pos, min(blen - 16, fend))  # a run never crosses a frame end
                    n = (m.end() - pos) >> 1 if m else 0
                    if n < 16:  # short runs keep their values (shapes, indices)
                        n = 1
                        stack.append(buf[pos + 1])
                    else:
                        stack.extend([NUMBER] * n)
                    pos += n * 2
                else:
                    stack.append(buf[pos + 1])
                    pos += 2
            elif op == 0x47:  # BINFLOAT
                if blen - pos > 160 and buf[pos + 135] == 0x47 and buf[pos + 9] == 0x47:
                    m = run_g.match(buf, pos, min(blen - 16, fend))  # a run never crosses a frame end
                    n = (m.end() - pos) // 9 if m else 0
                    if n < 16:
                        n = 1
                        stack.append(unpack_d(buf, pos + 1)[0])
                    else:
                        stack.extend([NUMBER] * n)
                    pos += n * 9
                else:
                    stack.append(unpack_d(buf, pos + 1)[0])
                    pos += 9
            elif op == 0x28:  # MARK
                metastack.append(stack)
                stack = []
                pos += 1
            elif op == 0x75 or op == 0x65:  # SETITEMS / APPENDS
                if not metastack:
                    inp.pos = pos
                    raise PickleError("could not find MARK")
                items = stack
                stack = metastack.pop()
                if not stack:
                    inp.pos = pos
                    raise PickleError("SETITEMS/APPENDS without a container")
                target = stack[-1]
                if op == 0x75:
                    if len(items) & 1:
                        inp.pos = pos
                        raise PickleError("odd number of items for SETITEMS")
                    if type(target) is DictV:
                        target.update(items)
                elif type(target) is ListV:
                    target.extend(items)
                pos += 1
            elif op == 0x7D:  # EMPTY_DICT, and the small dicts that follow it (records, configs)
                lim = min(blen - 16, fend)  # the item loop never reads past the refill margin or the frame
                lim9 = min(lim, fend - 8)  # an opcode of up to 9 bytes started before this ends in the frame
                while True:
                    start = pos
                    value = DictV()
                    stack.append(value)
                    pos += 1
                    op = buf[pos]
                    if op == 0x94 and pos < fend:  # fused MEMOIZE
                        memo[len(memo)] = value
                        pos += 1
                    elif op == 0x71 and pos + 2 <= lim:  # fused BINPUT (protocols 1-3)
                        memo[buf[pos + 1]] = value
                        pos += 2
                    elif op == 0x72 and pos + 5 <= lim:  # fused LONG_BINPUT
                        memo[
                            buf[pos + 1] | (buf[pos + 2] << 8) | (buf[pos + 3] << 16) | (buf[pos + 4] << 24)
                        ] = value
                        pos += 5
                    if buf[pos] != 0x28 or pos >= lim:
                        break
                    # MARK, then the item opcodes of a small dict, up to its SETITEMS. Anything else, an
                    # argument that reaches the limit, or an error breaks out with the state exactly as the
                    # main loop would have it after MARK (the main loop then handles or reports that opcode).
                    parent = stack  # MARK; the metastack gets it only if the loop stops inside the dict
                    stack = []
                    pos += 1
                    done = False
                    while pos < lim9:  # no opcode here crosses the frame end, so ``last`` is not needed
                        op = buf[pos]
                        if op == 0x68:  # BINGET
                            try:
                                stack.append(memo[buf[pos + 1]])
                            except KeyError:
                                break  # the main loop reports the missing key
                            pos += 2
                        elif op == 0x8C:  # SHORT_BINUNICODE (+ MEMOIZE)
                            end = pos + 2 + buf[pos + 1]
                            if end > lim:
                                break
                            try:
                                text = buf[pos + 2 : end].decode("utf-8", "surrogatepass")
                            except UnicodeDecodeError:
                                break
                            stack.append(text)
                            pos = end
                            if buf[pos] == 0x94 and pos < fend:
                                memo[len(memo)] = text
                                pos += 1
                        elif op == 0x4B:  # BININT1
                            stack.append(buf[pos + 1])
                            pos += 2
                        elif op == 0x47:  # BINFLOAT
                            stack.append(unpack_d(buf, pos + 1)[0])
                            pos += 9
                        elif op == 0x4D:  # BININT2
                            stack.append(buf[pos + 1] | (buf[pos + 2] << 8))
                            pos += 3
                        elif op == 0x4A:  # BININT
                            stack.append(unpack_i(buf, pos + 1)[0])
                            pos += 5
                        elif op == 0x58:  # BINUNICODE (+ BINPUT): protocols 1-3
                            end = (
                                pos
                                + 5
                                + (
                                    buf[pos + 1]
                                    | (buf[pos + 2] << 8)
                                    | (buf[pos + 3] << 16)
                                    | (buf[pos + 4] << 24)
                                )
                            )
                            if end > lim or end - pos - 5 > KEEP_STR:  # longer ones are kept opaque
                                break
                            try:
                                text = buf[pos + 5 : end].decode("utf-8", "surrogatepass")
                            except UnicodeDecodeError:
                                break
                            stack.append(text)
                            pos = end
                            op = buf[pos]
                            if op == 0x71 and pos + 2 <= lim:
                                memo[buf[pos + 1]] = text
                                pos += 2
                            elif op == 0x72 and pos + 5 <= lim:
                                memo[
                                    buf[pos + 1]
                                    | (buf[pos + 2] << 8)
                                    | (buf[pos + 3] << 16)
                                    | (buf[pos + 4] << 24)
                                ] = text
                                pos += 5
                        elif op == 0x75:  # SETITEMS: the dict is complete
                            if len(stack) & 1:
                                break
                            if len(stack) > 2 * SMALL:
                                value.update(stack)
                            else:
                                value._items = stack  # DictV.set_flat inlined: the mapping is built if read
                                value.count = len(stack) >> 1
                            stack = parent
                            pos += 1
                            done = True
                            break
                        elif op == 0x4E:  # NONE
                            stack.append(None)
                            pos += 1
                        elif op == 0x88 or op == 0x89:  # NEWTRUE / NEWFALSE
                            stack.append(op == 0x88)
                            pos += 1
                        elif op == 0x94 and stack:  # MEMOIZE
                            memo[len(memo)] = stack[-1]
                            pos += 1
                        elif op == 0x71 and stack:  # BINPUT
                            memo[buf[pos + 1]] = stack[-1]
                            pos += 2
                        elif op == 0x6A:  # LONG_BINGET
                            idx = (
                                buf[pos + 1]
                                | (buf[pos + 2] << 8)
                                | (buf[pos + 3] << 16)
                                | (buf[pos + 4] << 24)
                            )
                            if idx not in memo:
                                break
                            stack.append(memo[idx])
                            pos += 5
                        else:
                            break
                    if not done:  # stopped inside the dict: the state the main loop has after MARK
                        metastack.append(parent)
                        break
                    if pos >= lim or buf[pos] != 0x7D:
                        break  # no further dict right after this one
                    if skip:
                        skip -= 1
                    else:  # runs of records of one shape, a column at a time (records.py)
                        if runs is None:
                            from .records import RecordRuns  # only dict-heavy pickles need it

                            runs = self._runs = RecordRuns()
                        pos, skip = runs.after(buf, start, pos, lim, stack, memo)
                        if pos >= lim or buf[pos] != 0x7D:
                            break
            elif op == 0x5D:  # EMPTY_LIST
                lvalue = ListV()
                stack.append(lvalue)
                pos += 1
                if buf[pos] == 0x94 and pos < fend:  # fused MEMOIZE
                    memo[len(memo)] = lvalue
                    pos += 1
            elif op == 0x6A:  # LONG_BINGET
                idx = buf[pos + 1] | (buf[pos + 2] << 8) | (buf[pos + 3] << 16) | (buf[pos + 4] << 24)
                if idx not in memo:
                    inp.pos = pos
                    raise PickleError(f"memo key {idx} not found")
                stack.append(memo[idx])
                pos += 5
            elif op == 0x4D:  # BININT2
                if blen - pos > 64 and buf[pos + 45] == 0x4D and buf[pos + 3] == 0x4D:
                    m = run_m.match(buf, pos, min(blen - 16, fend))  # a run never crosses a frame end
                    n = (m.end() - pos) // 3 if m else 0
                    if n < 16:
                        n = 1
                        stack.append(buf[pos + 1] | (buf[pos + 2] << 8))
                    else:
                        stack.extend([NUMBER] * n)
                    pos += n * 3
                else:
                    stack.append(buf[pos + 1] | (buf[pos + 2] << 8))
                    pos += 3
            elif op == 0x4A:  # BININT
                if blen - pos > 96 and buf[pos + 75] == 0x4A and buf[pos + 5] == 0x4A:
                    m = run_j.match(buf, pos, min(blen - 16, fend))  # a run never crosses a frame end
                    n = (m.end() - pos) // 5 if m else 0
                    if n < 16:
                        n = 1
                        stack.append(unpack_i(buf, pos + 1)[0])
                    else:
                        stack.extend([NUMBER] * n)
                    pos += n * 5
                else:
                    stack.append(unpack_i(buf, pos + 1)[0])
                    pos += 5
            elif op == 0x4E:  # NONE
                stack.append(None)
                pos += 1
            elif op == 0x86 and len(stack) >= 2:  # TUPLE2
                stack[-2:] = [(stack[-2], stack[-1])]
                pos += 1
            elif op == 0x85 and stack:  # TUPLE1
                stack[-1] = (stack[-1],)
                pos += 1
            elif op == 0x87 and len(stack) >= 3:  # TUPLE3
                stack[-3:] = [(stack[-3], stack[-2], stack[-1])]
                pos += 1
            elif op == 0x29:  # EMPTY_TUPLE
                stack.append(())
                pos += 1
            elif op == 0x88 or op == 0x89:  # NEWTRUE / NEWFALSE
                stack.append(op == 0x88)
                pos += 1
            elif op == 0x74 and metastack:  # TUPLE
                items = stack
                stack = metastack.pop()
                stack.append(tuple(items))
                pos += 1
            elif (
                op == 0x58
                and (n := int.from_bytes(buf[pos + 1 : pos + 5], "little")) <= KEEP_STR
                and (pos + 5 + n <= blen)
            ):  # BINUNICODE (protocols 1-3: torch state-dict keys)
                try:
                    stack.append(buf[pos + 5 : pos + 5 + n].decode("utf-8", "surrogatepass"))
                except UnicodeDecodeError as exc:
                    inp.pos = pos
                    raise PickleError("invalid UTF-8 in BINUNICODE") from exc
                pos += 5 + n
            elif op == 0x52 and len(stack) >= 2:  # REDUCE
                args = stack.pop()
                func = stack.pop()
                inp.pos = pos + 1  # where the reference loop stands while it calls
                stack.append(self._call(func, args, inp.base + pos, "REDUCE"))
                pos += 1
            elif op == 0x51 and stack:  # BINPERSID
                pid = stack.pop()
                self._persistent(inp.base + pos, "BINPERSID")
                if len(self.summary.persistent_ids) < 100_000:
                    self.summary.persistent_ids.append(pid)
                stack.append(PERSISTENT)
                pos += 1
            elif op == 0x73 and len(stack) >= 3:  # SETITEM (one-item dicts are written with it)
                value = stack.pop()
                key = stack.pop()
                if type(stack[-1]) is DictV:
                    stack[-1].set(key, value)
                pos += 1
            elif op == 0x61 and len(stack) >= 2:  # APPEND (one-item lists)
                value = stack.pop()
                if type(stack[-1]) is ListV:
                    stack[-1].extend([value])
                pos += 1
            else:
                inp.pos = pos
                st.stack = stack
                op_abs = inp.base + pos
                ops += 1
                if self._slow_at(st):
                    self.ops += ops + inp.offset - start_off
                    return st.stack[-1]
                stack = st.stack
                buf = inp.buf
                blen = len(buf)
                pos = inp.pos
                fend = st.frame_end - inp.base if st.frame_end >= 0 else nothing
                if pos > fend:
                    self._diverge(op_abs, st.frame_end, "an opcode argument ran past the end of the frame")
                    st.frame_end = -1
                    fend = nothing
                last = -1

    def _frame_edge(self, st: _State, last_abs: int) -> None:
        """At an opcode boundary: the current frame ends here (fine) or ended inside the previous opcode."""
        offset = self.inp.offset
        if st.frame_end >= 0 and offset >= st.frame_end:
            if offset > st.frame_end:
                self._diverge(last_abs, st.frame_end, "an opcode argument ran past the end of the frame")
            st.frame_end = -1

    def _one_reference(self) -> Any:
        """``_one`` without the inline fast path: every opcode through ``_slow``. The differential tests run
        both on generated streams and require the same findings."""
        inp = self.inp
        st = _State()
        limits = self.ctx.limits
        while True:
            inp.fill(16)
            if len(st.stack) > limits.max_pickle_stack or len(st.metastack) > limits.max_pickle_stack:
                self._limit(f"more than {limits.max_pickle_stack} stack items")
            if len(st.memo) > limits.max_pickle_memo:
                self._limit(f"more than {limits.max_pickle_memo} memo entries")
            if inp.pos >= len(inp.buf):
                raise Truncated("stream ends before STOP")
            self._frame_edge(st, -1)
            op_abs = inp.offset
            self.ops += 1
            if self.ops > self.max_ops:
                self._limit(f"more than {self.max_ops} opcodes")
            if self._slow(inp.buf[inp.pos], op_abs, st):
                return st.stack[-1]
            if st.frame_end >= 0 and inp.offset > st.frame_end:
                self._diverge(op_abs, st.frame_end, "an opcode argument ran past the end of the frame")
                st.frame_end = -1

    def _slow_at(self, st: _State) -> bool:
        inp = self.inp
        return self._slow(inp.buf[inp.pos], inp.offset, st)

    def _diverge(self, op_abs: int, frame_end: int, why: str) -> None:
        """An opcode straddled the end of a frame. Report it, then read the stream as CPython's C unpickler
        does on a file without ``peek()`` (torch reads data.pkl through BytesIO): the straddling read drops
        the bytes buffered from the frame and takes its argument from the frame end onward."""
        self._frame_violation(frame_end, why)
        inp = self.inp
        if op_abs < 0 or self._c_view_done:
            return
        self._c_view_done = True
        inp.fill(C_VIEW_BYTES)  # look ahead without consuming
        start = frame_end - inp.base
        op_rel = op_abs - inp.base
        if op_rel < 0 or start < 0 or start > len(inp.buf):
            return
        view = inp.buf[op_rel : op_rel + 1] + inp.buf[start : start + C_VIEW_BYTES]
        probe = ScanContext(path=self.ctx.path, limits=self.ctx.limits, nested=lambda c, s, n, z: "c-view")
        Analyser(probe, io.BytesIO(view)).run(max_pickles=1)
        for f in probe.findings:
            if f.severity >= Severity.HIGH and f.rule != BROKEN_STREAM.id:
                self.summary.dangerous = True
                off = (
                    None
                    if f.location is None or f.location.offset is None
                    else f.location.offset - 1 + frame_end
                )
                self.ctx.report(
                    rules_get(f.rule),
                    f"in the C unpickler's reading after the frame divergence: {f.detail}",
                    location=Location(offset=off, opcode=f.location.opcode if f.location else None),
                    evidence=f.evidence,
                    severity=f.severity,
                )

    _c_view_done = False

    def _frame_violation(self, off: int, why: str) -> None:
        self.summary.dangerous = True
        self.suspicious_before = True
        if self._once(("frame", "")):
            self.ctx.report(
                FRAME_DIVERGENCE, f"{why} (offset {off})", location=Location(offset=off, opcode="FRAME")
            )

    def _build(self, target: Any, state: Any, off: int, st: _State) -> None:
        if isinstance(target, Global):
            self.summary.dangerous = True
            self.suspicious_before = True
            if self._once(("build", target.qualname)):
                self.ctx.report(
                    ATTRIBUTE_INJECTION,
                    f"BUILD sets attributes of {target.qualname}",
                    location=Location(offset=off, opcode="BUILD"),
                    evidence=describe(state),
                )
            return
        if isinstance(target, Instance):
            target.state = state
            if target.qualname in _JOBLIB_WRAPPERS:
                # joblib commits the pickle frame before writing the array: the bytes are unframed.
                if st.frame_end >= 0 and self.inp.offset >= st.frame_end:
                    if self.inp.offset > st.frame_end:
                        self._frame_violation(off, "BUILD ran past the end of the frame")
                    st.frame_end = -1
                self._joblib_array(target, off)

    def _joblib_array(self, wrapper: Instance, off: int) -> None:
        """joblib writes array bytes right after the wrapper's BUILD: skip them, or analyse the nested
        pickle of an object array."""
        state = wrapper.state
        items = state.items if isinstance(state, DictV) else None
        shape = items.get("shape") if items else None
        descr = _dtype_descr(items.get("dtype")) if items else None
        if (
            items is None
            or descr is None
            or not isinstance(shape, tuple)
            or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
        ):
            self.ctx.report(
                JOBLIB_ARRAY,
                f"NumpyArrayWrapper state not understood: {describe(state)}",
                location=Location(offset=off, opcode="BUILD"),
            )
            raise PickleError("joblib array length unknown")
        if "O" in descr:
            nested = Analyser(self.ctx, inp=self.inp)  # same buffer: nothing read ahead is lost
            nested._reported = self._reported
            nested.ops = self.ops
            result = nested.run(max_pickles=1)
            self.summary.calls += result.calls
            self.summary.dangerous |= result.dangerous
            if not result.complete:
                raise PickleError("the object-array pickle inside the joblib file is broken")
            return
        itemsize = _itemsize(descr)
        if itemsize is None:
            self.ctx.report(JOBLIB_ARRAY, f"dtype {descr!r} not understood", location=Location(offset=off))
            raise PickleError("joblib array length unknown")
        count = 1
        for d in shape:
            count *= d
        if items.get("numpy_array_alignment_bytes") is not None:
            pad = self.inp.take(1)[0]
            self.inp.skip(pad)
        self.inp.skip(count * itemsize)

    def _pop_mark(self, st: _State) -> list[Any]:
        if not st.metastack:
            raise PickleError("could not find MARK")
        items = st.stack
        st.stack = st.metastack.pop()
        return items

    def _pop(self, st: _State) -> Any:
        if not st.stack:
            raise PickleError("stack underflow")
        return st.stack.pop()

    def _slow(self, op: int, off: int, st: _State) -> bool:  # noqa: C901 - the whole opcode table
        """Execute one opcode symbolically at ``inp.pos`` (its first byte); True when it was STOP."""
        inp = self.inp
        name = _OPS.get(op)
        if name is None:
            raise PickleError(f"invalid opcode 0x{op:02x}")
        inp.pos += 1
        stack = st.stack
        memo = st.memo
        if name == "STOP":
            if st.frame_end >= 0 and inp.offset < st.frame_end:
                self._frame_violation(off, "STOP inside an unfinished frame")
            if not stack:
                raise PickleError("STOP on an empty stack")
            return True
        if name == "MARK":
            st.metastack.append(stack)
            st.stack = []
        elif name in ("APPENDS", "SETITEMS"):
            items = self._pop_mark(st)
            if not st.stack:
                raise PickleError(f"{name} without a container")
            target = st.stack[-1]
            if name == "SETITEMS":
                if len(items) % 2:
                    raise PickleError("odd number of items for SETITEMS")
                if type(target) is DictV:
                    target.update(items)
            elif type(target) is ListV:
                target.extend(items)
        elif name in ("EMPTY_LIST", "EMPTY_DICT", "EMPTY_TUPLE", "NONE", "NEWTRUE", "NEWFALSE"):
            stack.append(
                {"EMPTY_LIST": ListV, "EMPTY_DICT": DictV}.get(name, lambda: None)()
                if name in ("EMPTY_LIST", "EMPTY_DICT")
                else {"EMPTY_TUPLE": (), "NONE": None, "NEWTRUE": True, "NEWFALSE": False}[name]
            )
        elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
            k = int(name[-1])
            if len(stack) < k:
                raise PickleError(f"{name} needs {k} items")
            items = stack[len(stack) - k :]
            del stack[len(stack) - k :]
            stack.append(tuple(items))
        elif name == "REDUCE":
            args = self._pop(st)
            func = self._pop(st)
            stack.append(self._call(func, args, off, "REDUCE"))
        elif name == "BUILD":
            state = self._pop(st)
            if not stack:
                raise PickleError("BUILD on an empty stack")
            self._build(stack[-1], state, off, st)
        elif name == "PROTO":
            v = inp.take(1)[0]
            if v > 5:
                raise PickleError(f"unsupported protocol {v}")
            st.proto = v
        elif name == "FRAME":
            n = int.from_bytes(inp.take(8), "little")
            here = inp.offset
            if st.frame_end >= 0 and off < st.frame_end:
                self._frame_violation(off, "a FRAME starts before the previous frame ended")
            st.frame_end = here + n if n else -1
        elif name in ("BINFLOAT", "BININT1", "BININT2", "BININT"):
            size = {"BINFLOAT": 8, "BININT1": 1, "BININT2": 2, "BININT": 4}[name]
            raw = inp.take(size)
            stack.append(
                struct.unpack(">d", raw)[0] if size == 8 else int.from_bytes(raw, "little", signed=size == 4)
            )
        elif name in ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8"):
            n = int.from_bytes(
                inp.take({"SHORT_BINUNICODE": 1, "BINUNICODE": 4, "BINUNICODE8": 8}[name]), "little"
            )
            if n > KEEP_STR:
                inp.skip(n)
                stack.append(BIG_STR)
            else:
                try:
                    stack.append(inp.take(n).decode("utf-8", "surrogatepass"))
                except UnicodeDecodeError as exc:
                    raise PickleError(f"invalid UTF-8 in {name}") from exc
        elif name in ("SHORT_BINBYTES", "BINBYTES", "BINBYTES8", "BYTEARRAY8"):
            n = int.from_bytes(
                inp.take({"SHORT_BINBYTES": 1, "BINBYTES": 4, "BINBYTES8": 8, "BYTEARRAY8": 8}[name]),
                "little",
            )
            if n > KEEP_BYTES:
                inp.skip(n)
                stack.append(BIG_BYTES)
            else:
                stack.append(inp.take(n))
        elif name in ("SHORT_BINSTRING", "BINSTRING"):
            width = 1 if name == "SHORT_BINSTRING" else 4
            n = int.from_bytes(inp.take(width), "little", signed=width == 4)
            if n < 0:
                raise PickleError("negative BINSTRING length")
            if n > KEEP_STR:
                inp.skip(n)
                stack.append(BIG_STR)
            else:
                stack.append(inp.take(n).decode("ascii", "replace"))
        elif name == "STRING":
            sraw = inp.line()
            stack.append(BIG_STR if sraw is None or len(sraw) > KEEP_STR else _decode_string_literal(sraw))
        elif name == "UNICODE":
            uraw = inp.line()
            if uraw is None or len(uraw) > KEEP_STR:
                stack.append(BIG_STR)
            else:
                try:
                    stack.append(uraw.decode("raw-unicode-escape"))
                except UnicodeDecodeError as exc:
                    raise PickleError("invalid escape in UNICODE") from exc
        elif name == "INT":
            stack.append(_load_int(inp.line()))
        elif name == "LONG":
            stack.append(_load_long(inp.line()))
        elif name == "FLOAT":
            stack.append(_load_float(inp.line()))
        elif name in ("LONG1", "LONG4"):
            width = 1 if name == "LONG1" else 4
            n = int.from_bytes(inp.take(width), "little", signed=width == 4)
            if n < 0:
                raise PickleError("negative LONG4 length")
            if n > 4096:
                inp.skip(n)
                stack.append(NUMBER)
            else:
                stack.append(int.from_bytes(inp.take(n), "little", signed=True) if n else 0)
        elif name in ("GET", "LONG_BINGET", "BINGET"):
            idx = (
                _memo_index(inp.line(), "GET")
                if name == "GET"
                else int.from_bytes(inp.take(4 if name == "LONG_BINGET" else 1), "little")
            )
            if not isinstance(idx, int) or isinstance(idx, bool) or idx not in memo:
                raise PickleError(f"memo key {idx!r} not found")
            stack.append(memo[idx])
        elif name in ("PUT", "LONG_BINPUT", "BINPUT"):
            idx = (
                _memo_index(inp.line(), "PUT")
                if name == "PUT"
                else int.from_bytes(inp.take(4 if name == "LONG_BINPUT" else 1), "little")
            )
            if not isinstance(idx, int) or idx < 0:
                raise PickleError("negative PUT argument")
            if not stack:
                raise PickleError(f"{name} on an empty stack")
            memo[idx] = stack[-1]
        elif name == "MEMOIZE":
            if not stack:
                raise PickleError("MEMOIZE on an empty stack")
            memo[len(memo)] = stack[-1]
        elif name == "GLOBAL":
            module = _text_line(inp.short_line("GLOBAL"))
            gname = _text_line(inp.short_line("GLOBAL"))
            stack.append(self._global(module, gname, off, "GLOBAL"))
        elif name == "STACK_GLOBAL":
            gname = self._pop(st)
            module = self._pop(st)
            if type(gname) is str and type(module) is str:
                stack.append(self._global(module, gname, off, "STACK_GLOBAL"))
            else:
                self.summary.dangerous = True
                self.suspicious_before = True
                self.ctx.report(
                    COMPUTED_GLOBAL,
                    f"module {describe(module)} and name {describe(gname)} are not string literals",
                    location=Location(offset=off, opcode="STACK_GLOBAL"),
                    evidence=f"STACK_GLOBAL({describe(module)}, {describe(gname)})",
                )
                stack.append(_computed(off))
        elif name == "INST":
            module = _text_line(inp.short_line("INST"))
            gname = _text_line(inp.short_line("INST"))
            cls = self._global(module, gname, off, "INST")
            items = self._pop_mark(st)
            st.stack.append(self._call(cls, tuple(items), off, "INST"))
        elif name == "OBJ":
            items = self._pop_mark(st)
            if not items:
                raise PickleError("OBJ without a class")
            st.stack.append(self._call(items[0], tuple(items[1:]), off, "OBJ"))
        elif name == "NEWOBJ":
            args = self._pop(st)
            cls = self._pop(st)
            stack.append(self._call(cls, args, off, "NEWOBJ"))
        elif name == "NEWOBJ_EX":
            kwargs = self._pop(st)
            args = self._pop(st)
            cls = self._pop(st)
            stack.append(self._call(cls, (args, kwargs), off, "NEWOBJ_EX"))
        elif name in ("EXT1", "EXT2", "EXT4"):
            code = int.from_bytes(inp.take({"EXT1": 1, "EXT2": 2, "EXT4": 4}[name]), "little")
            self.summary.dangerous = True
            self.suspicious_before = True
            self.ctx.report(EXTENSION_CODE, f"{name} {code}", location=Location(offset=off, opcode=name))
            stack.append(_computed(off))
        elif name in ("PERSID", "BINPERSID"):
            pid = inp.short_line("PERSID").decode("ascii", "replace") if name == "PERSID" else self._pop(st)
            self._persistent(off, name)
            if len(self.summary.persistent_ids) < 100_000:
                self.summary.persistent_ids.append(pid)
            stack.append(PERSISTENT)
        elif name == "POP":
            if stack:
                stack.pop()
            else:
                self._pop_mark(st)
        elif name == "POP_MARK":
            self._pop_mark(st)
        elif name == "DUP":
            if not stack:
                raise PickleError("DUP on an empty stack")
            stack.append(stack[-1])
        elif name == "LIST":
            lv = ListV()
            lv.extend(self._pop_mark(st))
            st.stack.append(lv)
        elif name == "DICT":
            items = self._pop_mark(st)
            if len(items) % 2:
                raise PickleError("odd number of items for DICT")
            dv = DictV()
            for i in range(0, len(items), 2):
                dv.set(items[i], items[i + 1])
            st.stack.append(dv)
        elif name == "TUPLE":
            items = self._pop_mark(st)
            st.stack.append(tuple(items))
        elif name == "FROZENSET":
            self._pop_mark(st)
            st.stack.append(SetV())
        elif name == "EMPTY_SET":
            stack.append(SetV())
        elif name == "ADDITEMS":
            self._pop_mark(st)
            if not st.stack:
                raise PickleError("ADDITEMS without a set")
        elif name == "APPEND":
            value = self._pop(st)
            if not stack:
                raise PickleError("APPEND without a list")
            if type(stack[-1]) is ListV:
                stack[-1].extend([value])
        elif name == "SETITEM":
            value = self._pop(st)
            key = self._pop(st)
            if not stack:
                raise PickleError("SETITEM without a dict")
            if type(stack[-1]) is DictV:
                stack[-1].set(key, value)
        elif name in ("NEXT_BUFFER", "READONLY_BUFFER"):
            if name == "NEXT_BUFFER":
                stack.append(BUFFER)
            elif not stack:
                raise PickleError("READONLY_BUFFER on an empty stack")
            if self._once(("oob", "")):
                self.ctx.report(
                    OUT_OF_BAND, f"{name} at offset {off}", location=Location(offset=off, opcode=name)
                )
        else:  # pragma: no cover - _OPS and this table list the same opcodes
            raise PickleError(f"opcode {name} is not modelled")
        return False


class _State:
    """The unpickler's state while one pickle is parsed."""

    __slots__ = ("stack", "metastack", "memo", "proto", "frame_end")

    def __init__(self) -> None:
        self.stack: list[Any] = []
        self.metastack: list[list[Any]] = []
        self.memo: dict[int, Any] = {}
        self.proto = 0
        self.frame_end = -1


def _computed(off: int) -> Global:
    return Global(
        "<computed>",
        "<computed>",
        policy.Classification(policy.Verdict.DANGEROUS, "computed", "<computed>"),
        off,
    )


class _RestStream(io.RawIOBase):
    """The rest of an analyser's input (its buffer, then the underlying stream) as a forward-only stream."""

    def __init__(self, inp: _Input) -> None:
        super().__init__()
        self._inp = inp

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        mv = memoryview(b).cast("B")
        inp = self._inp
        if not inp.fill(1):
            return 0
        n = min(len(mv), len(inp.buf) - inp.pos)
        mv[:n] = inp.buf[inp.pos : inp.pos + n]
        inp.pos += n
        return n


_LATIN1_ENCODERS = frozenset({"_codecs.encode", "codecs.encode"})
_JOBLIB_WRAPPERS = frozenset(
    {"joblib.numpy_pickle.NumpyArrayWrapper", "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper"}
)


def _text_line(raw: bytes) -> str:
    try:
        return raw.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError as exc:
        raise PickleError("invalid UTF-8 in a GLOBAL/INST line") from exc


def _dtype_descr(dtype: Any) -> str | None:
    """The type string of a pickled numpy.dtype(...) call, e.g. 'f8', '<i4', 'O8', 'V16'."""
    if isinstance(dtype, Instance) and isinstance(dtype.args, tuple) and dtype.args:
        first = dtype.args[0]
        if isinstance(first, str) and len(first) <= 32:
            return first
    return None


_KIND_SIZE = {
    "b": 1,
    "i": None,
    "u": None,
    "f": None,
    "c": None,
    "M": None,
    "m": None,
    "S": 1,
    "U": 4,
    "V": 1,
}


def _itemsize(descr: str) -> int | None:
    m = re.fullmatch(r"[<>|=]?([a-zA-Z])(\d*)", descr)
    if not m:
        return None
    kind, digits = m.group(1), m.group(2)
    if kind == "?":
        return 1
    if kind == "b" and not digits:
        return 1
    if kind in ("S", "U", "V", "a"):
        n = int(digits) if digits else 0
        return n * (4 if kind == "U" else 1)
    if digits:
        return int(digits)
    return None


_NAME_WINDOW = 1024  # bytes kept between chunks so that an import spelled across them is still seen
# the scan after a break: patterns compiled on first use (_bytes_re), not at import
_TEXT_IMPORT = rb"[ci]([A-Za-z_][\w.]{0,300})\r?\n([A-Za-z_][\w.]{0,300})\r?\n"
_UNICODE_OPERAND = rb"[\x8c][\x01-\xff][A-Za-z_]|X[\x01-\xff]\x00\x00\x00[A-Za-z_]"
_IDENT_BYTES = rb"[A-Za-z_][\w.]*\Z"


def _operand(data: bytes, i: int, ident: re.Pattern[bytes]) -> tuple[str, int] | None:
    """A SHORT_BINUNICODE/BINUNICODE identifier at ``i`` (optionally followed by a memo op): (text, end)."""
    if data[i] == 0x8C:
        if i + 1 >= len(data):
            return None  # the stream ends on the opcode
        n, j = data[i + 1], i + 2
    else:
        n, j = int.from_bytes(data[i + 1 : i + 5], "little"), i + 5
    raw = data[j : j + n]
    if len(raw) != n or not ident.match(raw):
        return None
    j += n
    if data[j : j + 1] == b"\x94":
        j += 1
    elif data[j : j + 1] == b"q":
        j += 2
    elif data[j : j + 1] == b"r":
        j += 5
    return raw.decode("ascii"), j


def _spelled_imports(data: bytes, limit: int) -> list[tuple[int, str, str]]:
    """Imports spelled in raw bytes starting before ``limit``: text GLOBAL/INST and STACK_GLOBAL over two
    unicode operands."""
    found = [
        (m.start(), m.group(1).decode(), m.group(2).decode())
        for m in _bytes_re(_TEXT_IMPORT).finditer(data, 0, min(len(data), limit + 610))
        if m.start() < limit
    ]
    ident = _bytes_re(_IDENT_BYTES)
    for m in _bytes_re(_UNICODE_OPERAND).finditer(data, 0, min(len(data), limit + 10)):
        i = m.start()
        if i >= limit:
            break
        first = _operand(data, i, ident)
        if first is None:
            continue
        j = first[1]
        if j >= len(data) or data[j] not in (0x8C, 0x58):
            continue
        second = _operand(data, j, ident)
        if second is not None and data[second[1] : second[1] + 1] == b"\x93":
            found.append((i, first[0], second[0]))
    return found


def analyse_pickles(ctx: ScanContext, stream: BinaryIO, *, max_pickles: int | None = None) -> PickleSummary:
    """Analyse the pickle(s) at the start of ``stream``; findings go to ``ctx``. Never raises for bad input."""
    return Analyser(ctx, stream).run(max_pickles=max_pickles)


PROBE_BYTES = 4096
_IDENT = r"[A-Za-z_][\w.]*\Z"  # an identifier-shaped global name (re.match; compiled on first use)
_VALID_OPS = frozenset(_OPS)


def looks_like_pickle(head: bytes) -> bool:
    """Content test, as the C unpickler would take the stream: a PROTO header, or — without one — opcodes
    that parse without error as far as the head goes.

    Any opcode may start a pickle (protocol 0/1 have no header, and the C unpickler does not require one
    before newer opcodes). The probe accepts the head when it forms a whole pickle, when it runs out before
    anything breaks (a long string or many numbers first: the rest decides, see ``handler.scan``), or when
    it breaks only after importing identifier-shaped globals.
    """
    if len(head) >= 2 and head[0] == 0x80:
        return head[1] <= 5 and (len(head) == 2 or head[2] in _VALID_OPS)
    return probe_head(head) is not None


def probe_head(head: bytes) -> str | None:
    """How a header-less head reads as a pickle: "complete", "globals" (breaks after importing), "prefix"
    (runs out of the head with nothing broken), "after-break" (breaks, then spells a dangerous import), or
    None (not a pickle)."""
    if not head or head[0] not in _VALID_OPS or head[0] in (0x2E, 0x80):
        return None
    probe = ScanContext(path="<probe>", limits=ctx_limits_for_probe(), nested=lambda c, s, n, z: "probe")
    analyser = Analyser(probe, io.BytesIO(head))
    summary = analyser.run(max_pickles=1)
    if summary.complete and summary.pickles == 1:
        return "complete"
    globals_ok = bool(summary.globals) and all(re.match(_IDENT, q) for q in summary.globals)
    if globals_ok and (summary.calls > 0 or len(head) >= PROBE_BYTES):
        return "globals"
    if summary.truncated and len(head) >= PROBE_BYTES:
        return "prefix"
    if summary.names_after_break and summary.end_offset > 1:
        return "after-break"
    return None


def ctx_limits_for_probe() -> Limits:
    return Limits()
