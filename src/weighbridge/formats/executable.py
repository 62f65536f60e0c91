"""Native programs given as model files: ELF, PE, Mach-O and Actually Portable Executables (llamafile).

A llamafile is an APE program (``MZqFpD``: a Windows PE header that is also a shell script) with the model
appended as GGUF, usually stored inside a zip that the program reads itself. The GGUF model(s) inside are
found by their magic and header shape and handed to the GGUF parser like any other GGUF file (chat templates,
bounds).

What the program itself is worth depends on what it claims to be. A file named as a llamafile
(``*.llamafile``) that is an APE program carrying a GGUF model is what it says: a model that ships with its
runtime. That is reported as such (medium) and counts as code shipped with the model for policies
(``rules.remote_code``), like a repository that needs ``trust_remote_code``. Any other program — ELF, PE,
Mach-O, an APE with no model inside, or a llamafile under a model's or weight file's name — is a program
where a model was expected (high).
"""

from __future__ import annotations

import struct
from typing import BinaryIO

from ..core.findings import Check, Location, Severity
from ..core.rules import define
from .base import FormatHandler, ScanContext, StreamWindow, stream_size

PROGRAM = define(
    "WB-EXE-001",
    Check.ARTIFACT,
    Severity.HIGH,
    "Native program",
    "The file is an executable program or shared library (ELF, PE, Mach-O or an Actually Portable "
    "Executable such as a llamafile). Using it means running native code that no scanner can vouch for; "
    "a model in a data format (GGUF, safetensors) does not need it.",
)
LLAMAFILE = define(
    "WB-EXE-003",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "llamafile: the model ships with its runtime",
    "The file is a llamafile: an Actually Portable Executable (the llamafile runtime) with its GGUF model "
    "inside, under a llamafile's name. The model was scanned like a stand-alone GGUF file. Running the file "
    "runs the runtime's native code, which no scanner can vouch for; policies treat it as code shipped with "
    "the model (rules.remote_code). To run the model without it, extract the GGUF (a llamafile is also a zip "
    "archive) and serve it with a runtime admitted on its own.",
)
EMBEDDED_MODEL = define(
    "WB-EXE-002",
    Check.ARTIFACT,
    Severity.INFO,
    "Model embedded in a program",
    "A GGUF model was found inside the program (llamafile layout) and scanned like a stand-alone GGUF file.",
)

APE_MAGICS = (b"MZqFpD", b"jartsr", b"APEDBG")
LLAMAFILE_SUFFIX = ".llamafile"
MACHO = (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")
GGUF = b"GGUF"
MAX_EMBEDDED = 4
CHUNK = 1024 * 1024
MAX_TENSORS = 1 << 24
MAX_KV = 1 << 20
LOCAL_HEADER = b"PK\x03\x04"
LOCAL_HEADER_SIZE = 30
MAX_HEADER_NAMES = 0xFFFF * 2  # a local header's name and extra field, at most 64 KiB each
ZIP64_EXTRA = 0x0001


def kind_of(head: bytes) -> str | None:
    """What kind of program ``head`` starts, or None."""
    if head.startswith(APE_MAGICS):
        return "Actually Portable Executable (llamafile/cosmopolitan)"
    if head.startswith(b"\x7fELF") and len(head) >= 16 and head[4] in (1, 2) and head[5] in (1, 2):
        return "ELF executable or shared library"
    if head[:4] in MACHO:
        return "Mach-O executable or library"
    if head.startswith(b"MZ") and len(head) >= 0x40:
        lfanew = int.from_bytes(head[0x3C:0x40], "little")
        if 0x40 <= lfanew <= len(head) - 4 and head[lfanew : lfanew + 4] == b"PE\0\0":
            return "Windows PE executable or DLL"
    return None


def _sniff(head: bytes, name: str) -> bool:
    return kind_of(head) is not None


def _gguf_header_ok(header: bytes) -> bool:
    if len(header) < 24 or header[:4] != GGUF:
        return False
    version, tensors, kvs = struct.unpack_from("<IQQ", header, 4)
    return version in (2, 3) and tensors < MAX_TENSORS and 0 < kvs < MAX_KV


def find_gguf(stream: BinaryIO, size: int, limit: int = MAX_EMBEDDED) -> list[int]:
    """Offsets of embedded GGUF headers (magic, version 2/3 and sane counts), in file order."""
    found: list[int] = []
    pos = 0
    carry = b""
    while pos < size and len(found) < limit:
        stream.seek(pos)
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        data = carry + chunk
        base = pos - len(carry)
        at = data.find(GGUF)
        while at >= 0 and len(found) < limit:
            offset = base + at
            header = data[at : at + 24]
            if len(header) < 24:
                stream.seek(offset)
                header = stream.read(24)
            if offset > 0 and _gguf_header_ok(header) and offset not in found:
                found.append(offset)
            at = data.find(GGUF, at + 1)
        carry = data[-23:]
        pos += len(chunk)
    return found


def _scan(ctx: ScanContext, stream: BinaryIO) -> None:
    head = stream.read(4096)
    kind = kind_of(head) or "program"
    size = stream_size(stream)
    offsets = find_gguf(stream, size)
    detail = f"{kind} of {size} bytes"
    if offsets:
        detail += f" wrapping {len(offsets)} GGUF model(s) (llamafile layout)"
    named_llamafile = ctx.path.lower().endswith(LLAMAFILE_SUFFIX)
    rule = LLAMAFILE if head.startswith(APE_MAGICS) and offsets and named_llamafile else PROGRAM
    if rule is PROGRAM and named_llamafile:
        detail += "; named as a llamafile, but " + ("not an APE program" if offsets else "no model inside")
    ctx.report(rule, detail, location=Location(offset=0), evidence=head[:16].hex(" "))
    for offset in offsets:
        member = stored_member_length(stream, offset)
        length = member if member is not None and offset + member <= size else size - offset
        where = f"GGUF model at offset {offset}"
        ctx.report(
            EMBEDDED_MODEL,
            where + (f", a stored zip member of {length} bytes" if member is not None else ""),
            location=Location(offset=offset),
            evidence=f"GGUF v{struct.unpack_from('<I', _peek(stream, offset + 4, 4))[0]}",
        )
        ctx.scan_nested(
            StreamWindow(stream, offset, length),  # type: ignore[arg-type]
            f"<gguf at offset {offset}>",
            length,
        )


def stored_member_length(stream: BinaryIO, offset: int) -> int | None:
    """The length of the stored zip member whose data starts at ``offset`` (a llamafile keeps its GGUF so,
    with the zip's directory after it), from the local header just before it; None when there is none.

    Bounding the GGUF to its member keeps the directory from being read as bytes after the model's data."""
    start = max(0, offset - LOCAL_HEADER_SIZE - MAX_HEADER_NAMES)
    stream.seek(start)
    before = stream.read(offset - start)
    at = before.rfind(LOCAL_HEADER)
    while at >= 0:
        header = before[at : at + LOCAL_HEADER_SIZE]
        if len(header) == LOCAL_HEADER_SIZE:
            flags, method = struct.unpack_from("<HH", header, 6)
            compressed, _ = struct.unpack_from("<II", header, 18)
            name_len, extra_len = struct.unpack_from("<HH", header, 26)
            data_at = start + at + LOCAL_HEADER_SIZE + name_len + extra_len
            if data_at == offset:
                if method != 0 or flags & 0x08:  # compressed, or sizes only in a trailing descriptor
                    return None
                if compressed == 0xFFFFFFFF:
                    extra = before[
                        at + LOCAL_HEADER_SIZE + name_len : at + LOCAL_HEADER_SIZE + name_len + extra_len
                    ]
                    return _zip64_compressed(extra)
                return int(compressed)
        at = before.rfind(LOCAL_HEADER, 0, at)
    return None


def _zip64_compressed(extra: bytes) -> int | None:
    """The compressed size in a local header's zip64 extra field (uncompressed size first, then it)."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, pos)
        if tag == ZIP64_EXTRA and length >= 16:
            return int(struct.unpack_from("<Q", extra, pos + 12)[0])
        pos += 4 + length
    return None


def _peek(stream: BinaryIO, offset: int, n: int) -> bytes:
    stream.seek(offset)
    return stream.read(n).ljust(n, b"\0")


EXECUTABLE_HANDLER = FormatHandler(name="executable", sniff=_sniff, scan=_scan, needs_seek=True)
