"""Native programs given as model files: ELF, PE, Mach-O and Actually Portable Executables (llamafile).

A llamafile is an APE program (``MZqFpD``: a Windows PE header that is also a shell script) with the model
appended as GGUF, usually stored inside a zip that the program reads itself. Running it runs that program,
so the file is reported as the program it is (high). The GGUF model(s) inside are then found by their magic
and header shape and handed to the GGUF parser like any other GGUF file (chat templates, bounds).
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
EMBEDDED_MODEL = define(
    "WB-EXE-002",
    Check.ARTIFACT,
    Severity.INFO,
    "Model embedded in a program",
    "A GGUF model was found inside the program (llamafile layout) and scanned like a stand-alone GGUF file.",
)

APE_MAGICS = (b"MZqFpD", b"jartsr", b"APEDBG")
MACHO = (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")
GGUF = b"GGUF"
MAX_EMBEDDED = 4
CHUNK = 1024 * 1024
MAX_TENSORS = 1 << 24
MAX_KV = 1 << 20


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
    ctx.report(PROGRAM, detail, location=Location(offset=0), evidence=head[:16].hex(" "))
    for offset in offsets:
        ctx.report(
            EMBEDDED_MODEL,
            f"GGUF model at offset {offset}",
            location=Location(offset=offset),
            evidence=f"GGUF v{struct.unpack_from('<I', _peek(stream, offset + 4, 4))[0]}",
        )
        ctx.scan_nested(
            StreamWindow(stream, offset, size - offset),  # type: ignore[arg-type]
            f"<gguf at offset {offset}>",
            size - offset,
        )


def _peek(stream: BinaryIO, offset: int, n: int) -> bytes:
    stream.seek(offset)
    return stream.read(n).ljust(n, b"\0")


EXECUTABLE_HANDLER = FormatHandler(name="executable", sniff=_sniff, scan=_scan, needs_seek=True)
