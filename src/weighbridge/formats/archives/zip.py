"""Zip archives read the way PyTorch's miniz reader reads them, not the way ``zipfile`` does.

``torch.load`` trusts the central directory, ignores encryption flags, does not check CRC-32 and does not
compare the local header's name with the central directory's (CVE-2025-1944/-1945/-10156). A scanner that
uses ``zipfile`` raises on those files and scans nothing. This reader tolerates every one of these, reports
it, and still routes each member's bytes (stored or decompressed on read) to the dispatcher by content,
whatever the member is called (CVE-2025-1889). It also looks at what is *not* in the directory: data before,
between and after the entries (polyglots), local entries the directory does not list, overlapping entries.

PyTorch layout: ``<prefix>/data.pkl`` and its storages ``<prefix>/data/<n>`` (raw tensor bytes, counted but
not routed); TorchScript adds ``<prefix>/code/**.py`` (checked for custom operators) and ``constants.pkl``.
A ``.keras`` zip (root ``config.json`` + ``metadata.json``) has its config handed to the Keras checker.
"""

from __future__ import annotations

import bz2
import io
import lzma
import re
import struct
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from ...core.findings import Check, Location, Rule, Severity
from ...core.rules import define
from ..base import FormatHandler, ScanContext, StreamWindow, read_exact
from ..torchscript import report_torchscript, scan_torchscript_code
from .compressed import (
    BOMB_BUDGET,
    LZMA_MAX_DICT,
    MAX_OUT,
    Decoder,
    DecompressReader,
    ZlibDecoder,
    fail_severity,
    report_limit,
)

MALFORMED = define(
    "WB-ZIP-001",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Malformed zip structure",
    "The end-of-central-directory record or the central directory is missing, truncated or inconsistent. "
    "Lenient loaders may still read entries; they were recovered from local headers where possible.",
)
NAME_MISMATCH = define(
    "WB-ZIP-002",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Local header name differs from the central directory",
    "PyTorch reads the member the central directory names and ignores the local header's name, while "
    "zipfile refuses the archive (CVE-2025-1944): a scanner built on zipfile sees nothing.",
)
FLAG_BITS = define(
    "WB-ZIP-003",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Encryption or patched-data flag set",
    "A member has general-purpose flag bits 0x1 (encrypted), 0x20 (patched data) or 0x40 (strong "
    "encryption). PyTorch ignores them and reads the bytes as stored/deflated (CVE-2025-1945); zipfile asks "
    "for a password. The member was read as PyTorch reads it.",
)
CRC_MISMATCH = define(
    "WB-ZIP-004",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "CRC-32 mismatch",
    "The member's bytes do not match its recorded CRC-32. PyTorch does not check it (CVE-2025-10156); "
    "zipfile raises at the end of the member. The content was altered after the archive was written.",
)
OUTSIDE_DATA = define(
    "WB-ZIP-005",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Data outside the zip entries",
    "Bytes before the first entry, between entries or after the end record belong to no member. They can "
    "carry a second format (polyglot) that another loader reads; they were routed to the scanner.",
)
OVERLAP = define(
    "WB-ZIP-006",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Overlapping zip entries",
    "Two entries share bytes. This is how non-recursive zip bombs and reader differentials are built.",
)
HIDDEN_ENTRY = define(
    "WB-ZIP-007",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Entry missing from the central directory",
    "A local file entry exists that the central directory does not list. Readers that walk local headers "
    "see it, readers that trust the directory do not; it was scanned.",
)
NOT_INSPECTED = define(
    "WB-ZIP-008",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Zip member not inspected",
    "The member uses a compression method the scanner does not decode, or real (AES) encryption, so its "
    "content was not inspected and cannot be called clean.",
)
UNREADABLE = define(
    "WB-ZIP-009",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Zip member unreadable",
    "The member's local header is missing or its data is corrupt or truncated; what could be read was "
    "scanned, the rest was not.",
)
TOO_MANY = define(
    "WB-ZIP-010",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Too many zip members",
    "The archive has more members than the scanner's limit; the rest were not inspected.",
)
SIZE_MISMATCH = define(
    "WB-ZIP-011",
    Check.ARTIFACT,
    Severity.LOW,
    "Member size differs from the declared size",
    "The member decompressed to a different length than the central directory declares.",
)
DUPLICATE = define(
    "WB-ZIP-012",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Duplicate member names",
    "Several entries have the same name; readers disagree about which one they return.",
)
UNSAFE_PATH = define(
    "WB-ZIP-013",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Member path escapes the extraction folder",
    "A member name is absolute or climbs out with '..'; extracting the archive writes outside the target.",
)
KERAS_CONFIG = define(
    "WB-ZIP-014",
    Check.ARTIFACT,
    Severity.HIGH,
    "Keras config not inspected",
    "The .keras archive's config.json is larger than the header limit or unreadable, so the model "
    "configuration (Lambda layers, custom objects) was not checked. A Keras configuration can carry code, "
    "so one that could not be inspected is high.",
)
SUPPRESSED = define(
    "WB-ZIP-015",
    Check.ARTIFACT,
    Severity.LOW,
    "Further zip findings suppressed",
    "The same issue occurs in many members; only the first ones are reported individually.",
)

_LOCAL = b"PK\x03\x04"
_CENTRAL = b"PK\x01\x02"
_EOCD = b"PK\x05\x06"
_EOCD64 = b"PK\x06\x06"
_LOCATOR64 = b"PK\x06\x07"
_DESCRIPTOR = b"PK\x07\x08"
_EOCD_STRUCT = struct.Struct("<4sHHHHIIH")
_EOCD64_STRUCT = struct.Struct("<4sQHHIIQQQQ")
_LOCATOR_STRUCT = struct.Struct("<4sIQI")
_CENTRAL_STRUCT = struct.Struct("<4sHHHHHHIIIHHHHHII")
_LOCAL_STRUCT = struct.Struct("<4sHHHHHIIIHH")

_SUSPICIOUS_FLAGS = 0x1 | 0x20 | 0x40
_MAX_NAME_BYTES = 64 * 1024 * 1024  # total central-directory name bytes held in memory
_REPORTS_PER_RULE = 20
_MIN_ROUTED_GAP = 8
_CRC_DRAIN_MAX = 64 * 1024 * 1024  # stored members not read to the end are CRC-checked up to this size
_CODE_MAX = 4 * 1024 * 1024  # TorchScript source read for operator checks
_STORAGE = re.compile(r"^(?P<pkl>(?:.*/)?[^/]+)/\d+$")
_RECOVERED_STORAGE = re.compile(r"^(?:[^/]*/)?(?:data|constants|traced_inputs)/\d+$")
_CODE = re.compile(r"^(?P<prefix>(?:[^/]*/)?)code/.+\.py$")


def _sniff(head: bytes, name: str) -> bool:
    return head[:4] in (_LOCAL, _EOCD, _DESCRIPTOR)


@dataclass(slots=True)
class _Entry:
    name: str
    raw_name: bytes
    flags: int
    method: int
    crc: int
    csize: int
    usize: int
    offset: int  # of the local header
    zip64: bool = False
    in_directory: bool = True
    data_start: int = -1  # filled from the local header
    end: int = -1  # end of data and data descriptor


@dataclass(slots=True)
class _Directory:
    entries: list[_Entry]
    regions: list[tuple[int, int]]  # bytes that belong to the directory records


class CappedReporter:
    """Reports findings for one archive, at most ``per_rule`` per rule; the rest are counted and summarised."""

    def __init__(self, ctx: ScanContext, suppressed: Rule, per_rule: int = _REPORTS_PER_RULE) -> None:
        self.ctx = ctx
        self._suppressed = suppressed
        self._per_rule = per_rule
        self._counts: Counter[str] = Counter()
        self._rules: dict[str, Rule] = {}

    def where(self, name: str) -> str:
        """The member chain of ``name`` inside this archive, for locations."""
        return name if self.ctx.member is None else f"{self.ctx.member}!{name}"

    def report(
        self,
        rule: Rule,
        detail: str,
        *,
        member: str | None = None,
        offset: int | None = None,
        evidence: str | None = None,
        severity: Severity | None = None,
    ) -> None:
        self._counts[rule.id] += 1
        self._rules[rule.id] = rule
        if self._counts[rule.id] > self._per_rule:
            return
        location = Location(offset=offset, member=self.where(member) if member is not None else None)
        self.ctx.report(rule, detail, location=location, evidence=evidence, severity=severity)

    def finish(self) -> None:
        for rule_id, count in sorted(self._counts.items()):
            if count > self._per_rule:
                self.ctx.report(
                    self._suppressed,
                    f"{count - self._per_rule} more {rule_id} findings "
                    f"({self._rules[rule_id].title}) in this archive were not listed",
                )


class _Archive(CappedReporter):
    """State of one zip being scanned: limits reached, layout facts."""

    def __init__(self, ctx: ScanContext, stream: BinaryIO, size: int) -> None:
        super().__init__(ctx, SUPPRESSED)
        self.stream = stream
        self.size = size
        self.stopped = False
        self.storages = 0
        self.code_files: list[str] = []
        self.custom_ops: set[str] = set()


# -- directory ---------------------------------------------------------------------------------------------


def _decode_name(raw: bytes, flags: int) -> str:
    if flags & 0x800:
        return raw.decode("utf-8", errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp437")


def _zip64_extra(extra: bytes, need: list[str]) -> dict[str, int]:
    """Values of the ZIP64 extended-information field for the 0xFFFFFFFF fields in ``need`` (in order)."""
    pos = 0
    for _ in range(len(extra) // 4 + 1):
        if pos + 4 > len(extra):
            break
        tag, length = struct.unpack_from("<HH", extra, pos)
        body = extra[pos + 4 : pos + 4 + length]
        if tag == 0x0001:
            out: dict[str, int] = {}
            for i, key in enumerate(need):
                if 8 * i + 8 <= len(body):
                    out[key] = struct.unpack_from("<Q", body, 8 * i)[0]
            return out
        pos += 4 + length
    return {}


def _find_eocd(stream: BinaryIO, size: int) -> tuple[int, tuple[int, ...]] | None:
    tail_len = min(size, _EOCD_STRUCT.size + 0xFFFF)
    stream.seek(size - tail_len)
    tail = read_exact(stream, tail_len)
    pos = tail.rfind(_EOCD, 0, max(len(tail) - _EOCD_STRUCT.size + 4, 0))
    if pos < 0:
        return None
    return size - tail_len + pos, _EOCD_STRUCT.unpack_from(tail, pos)


def _peek(stream: BinaryIO, offset: int, n: int) -> bytes:
    if offset < 0:
        return b""
    stream.seek(offset)
    return stream.read(n)


def _read_directory(arch: _Archive) -> _Directory | None:
    """Locate and read the central directory; None (after a finding) when it cannot be found."""
    stream, size = arch.stream, arch.size
    found = _find_eocd(stream, size)
    if found is None:
        arch.report(
            MALFORMED,
            "no end-of-central-directory record: the archive is truncated or not a zip; "
            "entries are recovered from local headers",
            offset=size,
            severity=fail_severity(arch.ctx),
        )
        return None
    eocd_pos, (_, _disk, _cd_disk, _n_disk, n_total, cd_size, cd_offset, comment_len) = found
    regions = [(eocd_pos, eocd_pos + _EOCD_STRUCT.size + comment_len)]
    cd_end = eocd_pos
    locator = _peek(stream, eocd_pos - _LOCATOR_STRUCT.size, _LOCATOR_STRUCT.size)
    if len(locator) == _LOCATOR_STRUCT.size and locator[:4] == _LOCATOR64:
        loc_pos = eocd_pos - _LOCATOR_STRUCT.size
        regions.append((loc_pos, eocd_pos))
        z64_at = _LOCATOR_STRUCT.unpack(locator)[2]
        for candidate in (z64_at, loc_pos - _EOCD64_STRUCT.size):
            record = _peek(stream, candidate, _EOCD64_STRUCT.size)
            if len(record) == _EOCD64_STRUCT.size and record[:4] == _EOCD64:
                fields = _EOCD64_STRUCT.unpack(record)
                n_total, cd_size, cd_offset = fields[7], fields[8], fields[9]
                regions.append((candidate, min(candidate + 12 + fields[1], loc_pos)))
                cd_end = candidate
                break
        else:
            arch.report(MALFORMED, "ZIP64 locator points at no ZIP64 end record", offset=loc_pos)
    delta = 0
    if cd_offset + cd_size != cd_end and cd_size and _peek(stream, cd_offset, 4) != _CENTRAL:
        delta = cd_end - cd_size - cd_offset
        if delta <= 0 or _peek(stream, cd_offset + delta, 4) != _CENTRAL:
            arch.report(
                MALFORMED,
                f"central directory not found at offset {cd_offset} (end record at "
                f"{eocd_pos}); entries are recovered from local headers",
                offset=eocd_pos,
                severity=fail_severity(arch.ctx),
            )
            return None
    cd_start = cd_offset + delta
    entries = _read_central_records(arch, cd_start, min(cd_size, max(size - cd_start, 0)), delta)
    regions.append((cd_start, cd_start + cd_size))
    if len(entries) != n_total and not arch.stopped:
        arch.report(
            MALFORMED,
            f"end record declares {n_total} entries, the central directory holds {len(entries)}",
            offset=eocd_pos,
        )
    return _Directory(entries, regions)


def _read_central_records(arch: _Archive, cd_start: int, cd_size: int, delta: int) -> list[_Entry]:
    reader = io.BufferedReader(StreamWindow(arch.stream, cd_start, cd_size), buffer_size=1024 * 1024)
    entries: list[_Entry] = []
    name_bytes = 0
    pos = 0
    while pos + _CENTRAL_STRUCT.size <= cd_size:
        try:
            fixed = read_exact(reader, _CENTRAL_STRUCT.size)
            if fixed[:4] != _CENTRAL:
                arch.report(
                    MALFORMED,
                    "central directory record has a bad signature",
                    offset=cd_start + pos,
                    evidence=fixed[:4].hex(),
                )
                break
            (
                _,
                _vm,
                _vn,
                flags,
                method,
                _t,
                _d,
                crc,
                csize,
                usize,
                nlen,
                xlen,
                clen,
                _disk,
                _ia,
                _ea,
                offset,
            ) = _CENTRAL_STRUCT.unpack(fixed)
            raw_name = read_exact(reader, nlen)
            extra = read_exact(reader, xlen)
            reader.seek(clen, io.SEEK_CUR)
        except EOFError:
            arch.report(
                MALFORMED,
                "central directory is truncated",
                offset=cd_start + pos,
                severity=fail_severity(arch.ctx),
            )
            break
        pos += _CENTRAL_STRUCT.size + nlen + xlen + clen
        if len(entries) >= arch.ctx.limits.max_members:
            arch.report(
                TOO_MANY,
                f"more than {arch.ctx.limits.max_members} members; the rest were not inspected",
                offset=cd_start + pos,
                severity=fail_severity(arch.ctx),
            )
            arch.stopped = True
            break
        name_bytes += nlen
        if name_bytes > _MAX_NAME_BYTES:
            arch.report(
                MALFORMED,
                "central directory names exceed the scanner's memory bound; the rest was not inspected",
                offset=cd_start + pos,
                severity=fail_severity(arch.ctx),
            )
            break
        need = [k for k, v in (("usize", usize), ("csize", csize), ("offset", offset)) if v == 0xFFFFFFFF]
        big = _zip64_extra(extra, need) if need else {}
        entries.append(
            _Entry(
                name=_decode_name(raw_name, flags),
                raw_name=raw_name,
                flags=flags,
                method=method,
                crc=crc,
                csize=big.get("csize", csize),
                usize=big.get("usize", usize),
                offset=big.get("offset", offset) + delta,
                zip64=bool(need),
            )
        )
    return entries


# -- members -----------------------------------------------------------------------------------------------


def _read_local(arch: _Archive, entry: _Entry) -> bytes | None:
    """Fill ``entry.data_start``/``end`` from its local header; return the local name (None if absent)."""
    header = _peek(arch.stream, entry.offset, _LOCAL_STRUCT.size) if entry.offset < arch.size else b""
    if len(header) < _LOCAL_STRUCT.size or header[:4] != _LOCAL:
        arch.report(
            UNREADABLE,
            f"no local header at offset {entry.offset}; member not inspected",
            member=entry.name,
            offset=entry.offset,
            evidence=header[:4].hex() or None,
            severity=fail_severity(arch.ctx),
        )
        return None
    fields = _LOCAL_STRUCT.unpack(header)
    flags, nlen, xlen = fields[2], fields[9], fields[10]
    local_name = arch.stream.read(nlen)
    local_extra = arch.stream.read(xlen)
    if flags & _SUSPICIOUS_FLAGS and not entry.flags & _SUSPICIOUS_FLAGS:
        entry.flags |= flags & _SUSPICIOUS_FLAGS
    if _zip64_extra(local_extra, ["usize", "csize"]):
        entry.zip64 = True
    entry.data_start = entry.offset + _LOCAL_STRUCT.size + nlen + xlen
    data_end = entry.data_start + entry.csize
    entry.end = data_end + (_descriptor_length(arch, data_end, entry.zip64) if entry.flags & 0x8 else 0)
    return local_name


def _descriptor_length(arch: _Archive, at: int, zip64: bool) -> int:
    signed = _peek(arch.stream, at, 4) == _DESCRIPTOR
    return (4 if signed else 0) + (20 if zip64 else 12)


def _decoder_for(entry: _Entry, source: StreamWindow) -> Decoder | str:
    """The decoder for the entry's method, or why there is none."""
    if entry.method == 8:
        return ZlibDecoder(-15)
    if entry.method == 12:
        return bz2.BZ2Decompressor()
    if entry.method == 14:
        header = source.read(4)
        if len(header) < 4:
            return "LZMA header truncated"
        props = source.read(struct.unpack_from("<H", header, 2)[0])
        if len(props) < 5 or props[0] >= 9 * 5 * 5:
            return "LZMA properties invalid"
        pb, rest = divmod(props[0], 45)
        lp, lc = divmod(rest, 9)
        # liblzma allocates the whole dictionary up front: never more than the member needs or the cap.
        dict_size = min(int.from_bytes(props[1:5], "little"), max(entry.usize, 4096), LZMA_MAX_DICT)
        return lzma.LZMADecompressor(
            lzma.FORMAT_RAW,
            filters=[{"id": lzma.FILTER_LZMA1, "dict_size": dict_size, "lc": lc, "lp": lp, "pb": pb}],
        )
    if entry.method == 99:
        return "AES-encrypted (method 99)"
    return f"unsupported compression method {entry.method}"


def _open_member(
    arch: _Archive, entry: _Entry, length: int
) -> tuple[StreamWindow, DecompressReader | None] | str:
    window = StreamWindow(arch.stream, entry.data_start, length)
    if entry.method == 0:
        return window, None
    decoder = _decoder_for(entry, window)
    if isinstance(decoder, str):
        return decoder
    reader = DecompressReader(window, decoder, budget=arch.ctx.budget, limits=arch.ctx.limits)  # type: ignore[arg-type]
    return window, reader


def _read_bounded(arch: _Archive, entry: _Entry, cap: int) -> tuple[bytes, bool] | None:
    """Up to ``cap`` bytes of a member's content and whether that is all of it (None: unreadable)."""
    opened = _open_member(arch, entry, _window_length(arch, entry))
    if isinstance(opened, str):
        return None
    window, reader = opened
    source: io.RawIOBase = reader if reader is not None else window
    parts: list[bytes] = []
    have = 0
    while have <= cap:
        chunk = source.read(min(MAX_OUT, cap + 1 - have))
        if not chunk:
            break
        parts.append(chunk)
        have += len(chunk)
    data = b"".join(parts)
    return data[:cap], len(data) <= cap


def _window_length(arch: _Archive, entry: _Entry) -> int:
    return max(0, min(entry.csize, arch.size - entry.data_start))


def _check_stored(arch: _Archive, entry: _Entry, window: StreamWindow) -> None:
    if window.length < entry.csize or window.short:
        arch.report(
            UNREADABLE,
            f"member data is truncated: {window.length} of {entry.csize} bytes present",
            member=entry.name,
            offset=entry.data_start,
            severity=fail_severity(arch.ctx),
        )
        return
    if window.crc_upto < window.length and window.length - window.crc_upto <= _CRC_DRAIN_MAX:
        window.seek(window.crc_upto)
        while window.read(MAX_OUT):
            pass
    if window.crc_upto == window.length and window.crc != entry.crc and entry.in_directory:
        _report_crc(arch, entry, window.crc)
    if entry.usize != entry.csize and entry.in_directory:
        arch.report(
            SIZE_MISMATCH,
            f"stored member is {entry.csize} bytes but declares {entry.usize} uncompressed",
            member=entry.name,
            offset=entry.offset,
        )


def _report_crc(arch: _Archive, entry: _Entry, actual: int) -> None:
    arch.report(
        CRC_MISMATCH,
        f"CRC-32 of the content is {actual:08x}, the archive records {entry.crc:08x}",
        member=entry.name,
        offset=entry.offset,
        evidence=f"{actual:08x} != {entry.crc:08x}",
    )


def _check_decoded(arch: _Archive, entry: _Entry, window: StreamWindow, reader: DecompressReader) -> None:
    reader.drain()
    if reader.limit is not None:
        report_limit(
            arch.ctx,
            reader,
            f"zip member {entry.name}",
            Location(member=arch.where(entry.name), offset=entry.data_start),
        )
        arch.stopped = True
        return
    lzma_without_end = entry.method == 14 and reader.truncated and reader.produced >= entry.usize
    if reader.error is not None or (reader.truncated and not lzma_without_end):
        why = reader.error or f"compressed data ends early ({window.length} of {entry.csize} bytes present)"
        hint = " (the member is flagged encrypted)" if entry.flags & 0x41 else ""
        arch.report(
            UNREADABLE,
            f"member data could not be decompressed after {reader.produced} bytes{hint}: {why}",
            member=entry.name,
            offset=entry.data_start,
            severity=fail_severity(arch.ctx),
        )
        return
    if not entry.in_directory:
        return
    if reader.produced != entry.usize:
        arch.report(
            SIZE_MISMATCH,
            f"member decompresses to {reader.produced} bytes but declares {entry.usize}",
            member=entry.name,
            offset=entry.offset,
        )
    if reader.crc != entry.crc:
        _report_crc(arch, entry, reader.crc)


def _scan_member(arch: _Archive, entry: _Entry) -> int | None:
    """Route one member's content; returns the compressed length actually used (None if not read)."""
    length = _window_length(arch, entry)
    opened = _open_member(arch, entry, length)
    if isinstance(opened, str):
        arch.report(
            NOT_INSPECTED,
            f"member not inspected: {opened}",
            member=entry.name,
            offset=entry.offset,
            severity=fail_severity(arch.ctx),
        )
        return None
    window, reader = opened
    if reader is None:
        _charge(arch, length)
        arch.ctx.scan_nested(window, entry.name, entry.usize)  # type: ignore[arg-type]
        _check_stored(arch, entry, window)
        return length
    arch.ctx.scan_nested(reader, entry.name, entry.usize)  # type: ignore[arg-type]
    _check_decoded(arch, entry, window, reader)
    return reader.end_offset if reader.finished else length


def _charge(arch: _Archive, length: int) -> None:
    """Stored bytes count against the expansion budget too (overlapping entries can repeat them)."""
    budget, limits = arch.ctx.budget, arch.ctx.limits
    budget.expanded_bytes += length
    if budget.expanded_bytes > limits.max_expanded_bytes:
        arch.report(
            BOMB_BUDGET,
            f"member bytes for this file exceed {limits.max_expanded_bytes}; no further "
            "members are inspected",
            severity=fail_severity(arch.ctx),
        )
        arch.stopped = True


# -- layout --------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Layout:
    pickles: set[str] = field(default_factory=set)  # "<dir>/<name>" of every X.pkl member, without .pkl
    torch_prefixes: set[str] = field(default_factory=set)
    keras: bool = False
    recovery: bool = False  # no directory: names are judged one by one, as the walk meets them


def _layout(entries: list[_Entry]) -> _Layout:
    layout = _Layout()
    names = {e.name for e in entries}
    for name in names:
        if name.endswith(".pkl"):
            layout.pickles.add(name[:-4])
        if name == "data.pkl" or name.endswith("/data.pkl"):
            layout.torch_prefixes.add(name[: -len("data.pkl")])
    layout.keras = "config.json" in names and "metadata.json" in names
    return layout


def _is_storage(layout: _Layout, name: str) -> bool:
    if layout.recovery:
        return _RECOVERED_STORAGE.match(name) is not None
    match = _STORAGE.match(name)
    return match is not None and match.group("pkl") in layout.pickles and bool(layout.torch_prefixes)


def _is_code(layout: _Layout, name: str) -> bool:
    match = _CODE.match(name)
    return match is not None and (layout.recovery or match.group("prefix") in layout.torch_prefixes)


def _check_names(arch: _Archive, entries: list[_Entry]) -> None:
    counts = Counter(e.name for e in entries)
    for name, count in counts.items():
        if count > 1:
            arch.report(DUPLICATE, f"{count} entries are named {name!r}", member=name)
    for entry in entries:
        parts = entry.name.replace("\\", "/").split("/")
        if entry.name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", entry.name) or ".." in parts:
            arch.report(
                UNSAFE_PATH,
                f"member name {entry.name!r} escapes the extraction folder",
                member=entry.name,
                offset=entry.offset,
                evidence=entry.name[:200],
            )


def _keras_config(arch: _Archive, entry: _Entry) -> None:
    cap = arch.ctx.limits.max_header_bytes
    got = _read_bounded(arch, entry, cap)
    if got is None or not got[1]:
        why = "unreadable" if got is None else f"larger than {cap} bytes"
        arch.report(
            KERAS_CONFIG,
            f"config.json is {why}; Keras configuration not checked",
            member=entry.name,
            offset=entry.offset,
        )  # high: an uninspected Keras config may carry code
        return
    from ..keras import scan_keras_config  # the Keras checker imports nothing from the archive readers

    scan_keras_config(arch.ctx.child(entry.name), got[0])


def _torchscript_code(arch: _Archive, entry: _Entry) -> None:
    arch.code_files.append(entry.name)
    got = _read_bounded(arch, entry, _CODE_MAX)
    if got is None:
        return  # the member scan reports why it cannot be read
    scan_torchscript_code(arch.ctx, arch.where(entry.name), got[0], complete=got[1], seen=arch.custom_ops)


def _process_entry(arch: _Archive, entry: _Entry, layout: _Layout) -> None:
    ctx = arch.ctx
    ctx.budget.members += 1
    if ctx.budget.members > ctx.limits.max_members:
        arch.report(
            TOO_MANY,
            f"more than {ctx.limits.max_members} archive members in this file; "
            f"{entry.name!r} and the rest were not inspected",
            member=entry.name,
            severity=fail_severity(ctx),
        )
        arch.stopped = True
        return
    local_name = _read_local(arch, entry)
    if local_name is None:
        return
    if local_name != entry.raw_name:
        arch.report(
            NAME_MISMATCH,
            f"central directory names the member {entry.name!r}, its local header "
            f"{_decode_name(local_name, entry.flags)!r}",
            member=entry.name,
            offset=entry.offset,
            evidence=f"{entry.raw_name[:100]!r} != {local_name[:100]!r}",
        )
    if entry.flags & _SUSPICIOUS_FLAGS:
        arch.report(
            FLAG_BITS,
            f"general-purpose flags 0x{entry.flags:04x} mark the member encrypted/patched; "
            "read as PyTorch reads it (flags ignored)",
            member=entry.name,
            offset=entry.offset,
            evidence=f"flags=0x{entry.flags:04x}",
        )
    if entry.name.endswith("/") and entry.csize == 0:
        return  # a directory entry
    if _is_storage(layout, entry.name):
        arch.storages += 1
        return
    if _is_code(layout, entry.name):
        _torchscript_code(arch, entry)
    if layout.keras and entry.name == "config.json":
        _keras_config(arch, entry)
    _scan_member(arch, entry)


def _local_entries(arch: _Archive, start: int, end: int) -> Iterator[_Entry]:
    """Entries found by walking local headers in ``[start, end)``; the consumer sets each ``entry.end``."""
    pos = start
    while pos + _LOCAL_STRUCT.size <= end and not arch.stopped:
        header = _peek(arch.stream, pos, _LOCAL_STRUCT.size)
        if len(header) < _LOCAL_STRUCT.size or header[:4] != _LOCAL:
            return
        (_, _v, flags, method, _t, _d, crc, csize, usize, nlen, xlen) = _LOCAL_STRUCT.unpack(header)
        raw_name = arch.stream.read(nlen)
        extra = arch.stream.read(xlen)
        big = _zip64_extra(extra, ["usize", "csize"]) if 0xFFFFFFFF in (csize, usize) else {}
        entry = _Entry(
            name=_decode_name(raw_name, flags),
            raw_name=raw_name,
            flags=flags,
            method=method,
            crc=crc,
            csize=big.get("csize", csize),
            usize=big.get("usize", usize),
            offset=pos,
            zip64=bool(big),
            in_directory=False,
        )
        entry.data_start = pos + _LOCAL_STRUCT.size + nlen + xlen
        if entry.data_start > end:
            arch.report(
                UNREADABLE,
                f"local header of {entry.name!r} runs past the end of the data",
                member=entry.name,
                offset=pos,
                severity=fail_severity(arch.ctx),
            )
            return
        if flags & 0x8 and entry.csize == 0:  # sizes follow the data (PyTorch writes zips this way)
            found = end - entry.data_start if method == 8 else _find_descriptor(arch, entry, end)
            if found is None:
                arch.report(
                    UNREADABLE,
                    f"local entry {entry.name!r} keeps its size in a data descriptor that "
                    "cannot be found; its end is unknown",
                    member=entry.name,
                    offset=pos,
                    severity=fail_severity(arch.ctx),
                )
                return
            entry.csize = found
        yield entry
        pos = max(entry.end, entry.data_start)


def _find_descriptor(arch: _Archive, entry: _Entry, end: int) -> int | None:
    """Length of a stored member whose size is only in its data descriptor: the first descriptor that
    records the distance from the data start as its compressed size."""
    pos = entry.data_start
    overlap = len(_DESCRIPTOR) + 20
    while pos < end:
        chunk = _peek(arch.stream, pos, min(1024 * 1024 + overlap, end - pos))
        if not chunk:
            return None
        hit = chunk.find(_DESCRIPTOR)
        while hit >= 0:
            length = pos + hit - entry.data_start
            sizes32 = chunk[hit + 8 : hit + 16]
            sizes64 = chunk[hit + 8 : hit + 24]
            if len(sizes32) == 8 and struct.unpack("<II", sizes32) == (length, length):
                return length
            if len(sizes64) == 16 and struct.unpack("<QQ", sizes64) == (length, length):
                return length
            hit = chunk.find(_DESCRIPTOR, hit + 1)
        if len(chunk) <= overlap:
            return None
        pos += len(chunk) - overlap
    return None


def _scan_local_walk(arch: _Archive, start: int, end: int, layout: _Layout, why: str = "") -> int:
    """Scan entries that only local headers describe; return where the walk stopped."""
    reached = start
    for entry in _local_entries(arch, start, end):
        if not layout.recovery:
            arch.report(
                HIDDEN_ENTRY,
                f"local entry {entry.name!r} at offset {entry.offset} {why}",
                member=entry.name,
                offset=entry.offset,
                evidence=entry.name[:200],
            )
        if entry.flags & _SUSPICIOUS_FLAGS:
            arch.report(
                FLAG_BITS,
                f"general-purpose flags 0x{entry.flags:04x} mark the member encrypted/"
                "patched; read as PyTorch reads it",
                member=entry.name,
                offset=entry.offset,
                evidence=f"flags=0x{entry.flags:04x}",
            )
        arch.ctx.budget.members += 1
        if arch.ctx.budget.members > arch.ctx.limits.max_members:
            arch.report(
                TOO_MANY,
                f"more than {arch.ctx.limits.max_members} archive members in this file",
                member=entry.name,
                severity=fail_severity(arch.ctx),
            )
            arch.stopped = True
            break
        used: int | None = entry.csize
        if _is_storage(layout, entry.name):
            arch.storages += 1
        else:
            if _is_code(layout, entry.name):
                _torchscript_code(arch, entry)
            used = _scan_member(arch, entry)
        data_end = entry.data_start + (used if used is not None else entry.csize)
        entry.end = data_end + (_descriptor_length(arch, data_end, entry.zip64) if entry.flags & 0x8 else 0)
        reached = entry.end
    return max(reached, start)


def _coverage_gaps(regions: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    gaps: list[tuple[int, int]] = []
    covered = 0
    for start, end in sorted(regions):
        if start > covered:
            gaps.append((covered, min(start, size)))
        covered = max(covered, end)
    if covered < size:
        gaps.append((covered, size))
    return [(a, b) for a, b in gaps if b > a]


def _check_overlaps(arch: _Archive, entries: list[_Entry]) -> None:
    placed = sorted((e for e in entries if e.end >= 0), key=lambda e: (e.offset, e.end))
    furthest: _Entry | None = None
    for entry in placed:
        if furthest is not None and entry.offset < furthest.end:
            arch.report(
                OVERLAP,
                f"entry {entry.name!r} at {entry.offset} overlaps {furthest.name!r} "
                f"({furthest.offset}-{furthest.end})",
                member=entry.name,
                offset=entry.offset,
            )
        if furthest is None or entry.end > furthest.end:
            furthest = entry


def _scan_gaps(arch: _Archive, regions: list[tuple[int, int]], layout: _Layout) -> None:
    for start, end in _coverage_gaps(regions, arch.size):
        if arch.stopped:
            return
        if start == 0 and _peek(arch.stream, 0, 8)[:4] == _DESCRIPTOR and end == 4:
            continue  # single-segment "spanned" marker
        if _peek(arch.stream, start, 4) == _LOCAL:
            start = _scan_local_walk(arch, start, end, layout, "is not listed in the central directory")
            if start >= end:
                continue
        head = _peek(arch.stream, start, 32)
        place = (
            "before the first entry"
            if start == 0
            else "after the end record"
            if end == arch.size
            else "between entries"
        )
        arch.report(
            OUTSIDE_DATA, f"{end - start} bytes {place} belong to no entry", offset=start, evidence=head.hex()
        )
        if end - start >= _MIN_ROUTED_GAP:
            arch.ctx.scan_nested(
                StreamWindow(arch.stream, start, end - start),  # type: ignore[arg-type]
                f"<data at offset {start}>",
                end - start,
            )


def _recover(arch: _Archive) -> None:
    """No usable central directory: walk the local headers from the start, route what is left."""
    size = arch.size
    reached = _scan_local_walk(arch, 0, size, _Layout(recovery=True))
    if reached < size and not arch.stopped:
        arch.report(
            UNREADABLE,
            f"local entries end at offset {reached}; the remaining {size - reached} "
            "bytes were routed as unknown data",
            offset=reached,
            severity=fail_severity(arch.ctx),
        )
        arch.ctx.scan_nested(
            StreamWindow(arch.stream, reached, size - reached),  # type: ignore[arg-type]
            f"<data at offset {reached}>",
            size - reached,
        )


def _scan(ctx: ScanContext, stream: BinaryIO) -> None:
    size = stream.seek(0, io.SEEK_END)
    arch = _Archive(ctx, stream, size)
    directory = _read_directory(arch)
    layout = _Layout(recovery=True)
    if directory is None:
        _recover(arch)
    else:
        entries = directory.entries
        layout = _layout(entries)
        _check_names(arch, entries)
        for entry in entries:
            if arch.stopped:
                break
            _process_entry(arch, entry, layout)
        if not arch.stopped:
            _check_overlaps(arch, entries)
            regions = directory.regions + [(e.offset, e.end) for e in entries if e.end >= 0]
            _scan_gaps(arch, regions, layout)
    if layout.torch_prefixes or arch.code_files or arch.storages:
        ctx.formats.append("torchscript" if arch.code_files else "pytorch-zip")
    if layout.keras:
        ctx.formats.append("keras-v3")
    if arch.code_files:
        report_torchscript(ctx, arch.code_files, Location(member=arch.where(arch.code_files[0])))
    arch.finish()


ZIP_HANDLER = FormatHandler(name="zip", sniff=_sniff, scan=_scan, needs_seek=True)
