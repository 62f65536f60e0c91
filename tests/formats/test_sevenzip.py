"""7z archives (the nullifAI container): declared-size limits, spooled member routing, encryption, damage.

Archives are written with py7zr in memory (some then patched byte by byte, with their CRCs recomputed);
malicious members are raw pickle opcodes with a harmless command. Nothing is extracted to disk or loaded.
"""

from __future__ import annotations

import contextlib
import io
import os
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import py7zr
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weighbridge.core.findings import Finding, Severity
from weighbridge.formats.archives.sevenzip import SEVENZ_HANDLER
from weighbridge.formats.archives.zip import ZIP_HANDLER
from weighbridge.formats.base import FormatHandler, Limits, ScanContext, make_seekable
from weighbridge.formats.pickle.handler import PICKLE_HANDLER

torch = pytest.importorskip("torch", reason="torch is a `test` extra (make test installs it)")

MALICIOUS = b"\x80\x02cos\nsystem\nq\x00X\x0b\x00\x00\x00echo bypassq\x01\x85q\x02Rq\x03."
BROKEN = b"\x80\x02cos\nsystem\nX\x0b\x00\x00\x00echo bypass\x85R\xff\xfe\x00junk"  # nullifAI: no STOP
HANDLERS: tuple[FormatHandler, ...] = (ZIP_HANDLER, SEVENZ_HANDLER, PICKLE_HANDLER)


@dataclass
class Result:
    findings: list[Finding]
    routed: list[tuple[str, str, bytes]] = field(default_factory=list)

    def rules(self) -> set[str]:
        return {f.rule for f in self.findings}

    def of(self, rule: str) -> list[Finding]:
        return [f for f in self.findings if f.rule == rule]

    def at_least(self, severity: Severity) -> bool:
        return any(f.severity >= severity for f in self.findings)

    def handler_of(self, name: str) -> str:
        found = [handler for routed, handler, _ in self.routed if routed == name]
        assert found, f"{name} not routed: {[r[:2] for r in self.routed]}"
        return found[0]


def scan(data: bytes, limits: Limits | None = None) -> Result:
    result = Result(findings=[])

    def route(ctx: ScanContext, stream: BinaryIO, name: str, size: int | None) -> str:
        if ctx.depth > ctx.limits.max_depth:
            return "too-deep"
        seekable = make_seekable(stream, ctx.limits)
        head = seekable.read(4096)
        seekable.seek(0)
        for handler in HANDLERS:
            if handler.sniff(head, name.lower()):
                result.routed.append((name, handler.name, head))
                handler.scan(ctx, seekable)
                return handler.name
        result.routed.append((name, "other", seekable.read()))
        return "other"

    ctx = ScanContext(path="model.7z", limits=limits or Limits(), nested=route)
    SEVENZ_HANDLER.scan(ctx, io.BytesIO(data))
    result.findings = ctx.findings
    return result


def make_7z(files: dict[str, bytes], *, plain: bool = False, **kwargs: object) -> bytes:
    """An in-memory 7z; ``plain`` stores data uncompressed with an unencoded header (patchable)."""
    buf = io.BytesIO()
    filters = [{"id": py7zr.FILTER_COPY}] if plain else None
    with py7zr.SevenZipFile(buf, "w", filters=filters, **kwargs) as archive:  # type: ignore[arg-type]
        if plain:
            archive.encoded_header_mode = False
        for name, data in files.items():
            archive.writestr(data, name)
    return buf.getvalue()


def fix_crcs(data: bytes) -> bytes:
    """Recompute the next-header and start-header CRCs after patching a plain archive's header."""
    out = bytearray(data)
    offset, size = struct.unpack_from("<QQ", out, 12)
    header = out[32 + offset : 32 + offset + size]
    struct.pack_into("<I", out, 28, zlib.crc32(header))
    struct.pack_into("<I", out, 8, zlib.crc32(out[12:32]))
    return bytes(out)


def test_nullifai_style_broken_pickle_in_7z_is_high() -> None:
    result = scan(make_7z({"archive/data.pkl": BROKEN, "archive/version": b"3\n"}))
    assert result.handler_of("archive/data.pkl") == "pickle"
    assert result.at_least(Severity.HIGH)
    assert not any(f.rule.startswith("WB-7Z") for f in result.findings)


def test_torch_checkpoint_inside_7z(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    torch.save({"w": torch.zeros(3)}, path)
    result = scan(make_7z({"model.pt": path.read_bytes(), "notes/": b"", "empty.txt": b""}))
    assert result.handler_of("model.pt") == "zip"
    assert any(handler == "pickle" for _, handler, _ in result.routed)
    assert not result.at_least(Severity.MEDIUM), result.findings


def test_sniff() -> None:
    assert SEVENZ_HANDLER.sniff(make_7z({"a": b"x"}), "a.bin")
    assert not SEVENZ_HANDLER.sniff(b"7z\xbc\xaf\x27", "a.7z")
    assert not SEVENZ_HANDLER.sniff(b"PK\x03\x04", "a.7z")


def test_encrypted_members_are_reported() -> None:
    result = scan(make_7z({"a.pkl": MALICIOUS}, password="secret"))
    encrypted = result.of("WB-7Z-002")
    assert len(encrypted) == 1 and encrypted[0].severity == Severity.MEDIUM
    assert result.routed == []


def test_encrypted_header_is_reported() -> None:
    result = scan(make_7z({"a.pkl": MALICIOUS}, password="secret", header_encryption=True))
    assert "WB-7Z-002" in result.rules()


def test_declared_size_bomb_is_not_decompressed() -> None:
    result = scan(make_7z({"zeros.bin": b"\x00" * (20 * 1024 * 1024)}), Limits(max_ratio=100))
    bomb = result.of("WB-7Z-004")
    assert len(bomb) == 1 and bomb[0].severity == Severity.HIGH
    assert result.routed == []


def test_expansion_budget_stops_decompression() -> None:
    result = scan(make_7z({"r.bin": os.urandom(200_000)}), Limits(max_expanded_bytes=100_000))
    budget = result.of("WB-7Z-005")
    assert len(budget) == 1 and budget[0].location is not None and budget[0].location.member == "r.bin"


def test_member_count_limit() -> None:
    result = scan(make_7z({f"m{i}.txt": b"x" for i in range(5)}), Limits(max_members=2))
    assert "WB-7Z-006" in result.rules()
    assert len(result.routed) == 2


def test_crc_mismatch_still_scans_the_content() -> None:
    data = make_7z({"a.pkl": MALICIOUS, "b.txt": b"more"}, plain=True).replace(b"echo bypass", b"echo BYPASS")
    result = scan(data)
    crc = result.of("WB-7Z-009")
    assert len(crc) == 1 and crc[0].location is not None and crc[0].location.member == "a.pkl"
    assert any(name.startswith("a.pkl") and handler == "pickle" for name, handler, _ in result.routed)
    assert result.at_least(Severity.HIGH)


def test_escaping_member_name_is_high() -> None:
    data = make_7z({"a.txt": b"hello"}, plain=True)
    data = fix_crcs(data.replace("a.txt".encode("utf-16-le"), "../ab".encode("utf-16-le")))
    result = scan(data)
    slip = result.of("WB-7Z-007")
    assert len(slip) == 1 and slip[0].severity == Severity.HIGH and slip[0].evidence == "../ab"


def test_escaping_symlink_is_high(tmp_path: Path) -> None:
    (tmp_path / "outside.txt").write_bytes(b"secret")
    (tmp_path / "a" / "b").mkdir(parents=True)
    link = tmp_path / "a" / "b" / "link"
    link.symlink_to("../../outside.txt")  # py7zr archives links whose targets exist
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w") as archive:
        archive.write(link, "model/link")
        archive.writestr(b"fine", "model/readme.txt")
    result = scan(buf.getvalue())
    links = result.of("WB-7Z-008")
    assert len(links) == 1 and links[0].evidence == "../../outside.txt"


def test_unsupported_method_is_reported() -> None:
    data = make_7z({"a.txt": b"hello"}, plain=True)
    assert b"\x0b\x01\x00\x01\x01\x00" in data  # folder: one coder, 1-byte id 0x00 (copy)
    data = fix_crcs(data.replace(b"\x0b\x01\x00\x01\x01\x00", b"\x0b\x01\x00\x01\x01\x7f"))
    result = scan(data)
    assert result.rules() & {"WB-7Z-003", "WB-7Z-001"}
    assert result.at_least(Severity.MEDIUM)


def test_truncated_archive_is_corrupt() -> None:
    data = make_7z({"a.pkl": MALICIOUS, "b.bin": os.urandom(5000)})
    result = scan(data[: len(data) // 2])
    assert "WB-7Z-001" in result.rules()


_VALID = make_7z({"archive/data.pkl": MALICIOUS, "b.txt": b"hello" * 50}, plain=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)), min_size=1, max_size=6),
    st.integers(6, len(_VALID)),
    st.booleans(),
)
def test_mutated_archives_never_raise(flips: list[tuple[int, int]], cut: int, recrc: bool) -> None:
    data = bytearray(_VALID)
    for pos, value in flips:
        data[pos] = value
    patched = bytes(data[:cut])
    if recrc and cut == len(_VALID):
        with contextlib.suppress(struct.error):
            patched = fix_crcs(patched)
    scan(patched)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=1024))
def test_random_bytes_after_the_signature_never_raise(tail: bytes) -> None:
    scan(b"7z\xbc\xaf\x27\x1c" + tail)


@pytest.mark.parametrize("size", [0, 1, 31])
def test_tiny_archives(size: int) -> None:
    assert "WB-7Z-001" in scan(_VALID[:size] if size >= 6 else b"7z\xbc\xaf\x27\x1c"[:size]).rules()


def test_7z_through_the_dispatcher(tmp_path: Path) -> None:
    dispatch = pytest.importorskip("weighbridge.scanning.dispatch")
    path = tmp_path / "model.7z"
    path.write_bytes(make_7z({"archive/data.pkl": BROKEN}))
    ctx = ScanContext(path=path.name, limits=Limits(), nested=dispatch.scan_stream)
    with open(path, "rb") as f:
        assert dispatch.scan_stream(ctx, f, path.name) == "7z"
    assert "pickle" in ctx.formats
    assert max(f.severity for f in ctx.findings) >= Severity.HIGH
    assert "WB-SCAN-002" not in {f.rule for f in ctx.findings}
