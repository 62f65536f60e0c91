"""Native programs and llamafiles: reported as programs, embedded GGUF models scanned."""

from __future__ import annotations

import struct

from tests.corpus import shapes as S
from tests.formats.helpers_scan import rules, scan_bytes, worst

from weighbridge.core.findings import Severity


def test_llamafile_is_a_program_and_its_gguf_is_scanned() -> None:
    fmt, findings = scan_bytes(S.llamafile(S.small_gguf()), "model.llamafile")
    assert fmt == "executable"
    program = next(f for f in findings if f.rule == "WB-EXE-001")
    assert program.severity == Severity.HIGH and "llamafile" in program.detail
    assert "WB-EXE-002" in rules(findings)
    assert not any(f.rule.startswith("WB-TPL") for f in findings)


def test_template_injection_inside_a_llamafile_is_critical() -> None:
    for data in (S.llamafile(S.small_gguf(S.SSTI)), S.elf_with_gguf(S.small_gguf(S.SSTI))):
        _, findings = scan_bytes(data, "renamed.bin")
        assert worst(findings) == Severity.CRITICAL
        assert any(
            f.rule.startswith("WB-TPL") and "gguf at offset" in (f.location.member or "")
            for f in findings
            if f.location
        )


def test_plain_programs_are_high() -> None:
    pe = bytearray(b"MZ" + b"\0" * 0x3A + struct.pack("<I", 0x80) + b"\0" * 0x40 + b"PE\0\0" + b"\0" * 200)
    macho = b"\xcf\xfa\xed\xfe" + b"\0" * 300
    elf = b"\x7fELF\x02\x01\x01" + b"\0" * 300
    for data in (bytes(pe), macho, elf):
        fmt, findings = scan_bytes(data, "libcustom_ops.so")
        assert fmt == "executable" and worst(findings) == Severity.HIGH


def test_gguf_magic_in_random_bytes_is_not_taken_for_a_model() -> None:
    data = S.elf_with_gguf(b"GGUF" + struct.pack("<IQQ", 7, 1, 1) + b"GGUF\x03\x00\x00\x00" + b"\xff" * 16)
    _, findings = scan_bytes(data, "tool")
    assert "WB-EXE-002" not in rules(findings)


def test_mz_without_pe_header_is_not_a_program() -> None:
    fmt, _ = scan_bytes(b"MZ" + b"\x01" * 100, "x.bin")
    assert fmt != "executable"
