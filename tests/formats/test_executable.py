"""Native programs and llamafiles: reported as programs, embedded GGUF models scanned."""

from __future__ import annotations

import struct

from tests.corpus import shapes as S
from tests.formats.helpers_scan import rules, scan_bytes, worst

from weighbridge.core.findings import Severity


def test_llamafile_is_reported_as_a_model_with_its_runtime_and_its_gguf_is_scanned() -> None:
    for name in ("model.llamafile", "SmolLM2.Q4_1.llamafile", "Mixed.LlamaFile"):
        fmt, findings = scan_bytes(S.llamafile(S.small_gguf()), name)
        assert fmt == "executable"
        runtime = next(f for f in findings if f.rule == "WB-EXE-003")
        assert runtime.severity == Severity.MEDIUM and "llamafile" in runtime.detail
        assert "WB-EXE-001" not in rules(findings)
        assert "WB-EXE-002" in rules(findings)
        assert worst(findings) == Severity.MEDIUM  # the GGUF is bounded to its zip member: no trailing bytes
        assert not any(f.rule.startswith("WB-TPL") for f in findings)


def test_a_program_under_any_other_name_or_shape_is_high() -> None:
    cases = {
        "llamafile named as a GGUF": (S.llamafile(S.small_gguf()), "model.gguf"),
        "llamafile named as weights": (S.llamafile(S.small_gguf()), "pytorch_model.bin"),
        "llamafile with no name suffix": (S.llamafile(S.small_gguf()), "model"),
        "llamafile renamed .exe": (S.llamafile(S.small_gguf()), "model.llamafile.exe"),
        "APE without a model": (S.APE_HEAD + b"\x90" * 4096, "runtime.llamafile"),
        "ELF named as a llamafile": (S.elf_with_gguf(S.small_gguf()), "model.llamafile"),
    }
    for label, (data, name) in cases.items():
        _, findings = scan_bytes(data, name)
        assert "WB-EXE-003" not in rules(findings), label
        program = next(f for f in findings if f.rule == "WB-EXE-001")
        assert program.severity == Severity.HIGH, label
        if name.endswith(".llamafile"):
            assert "named as a llamafile, but" in program.detail, label


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


def test_embedded_gguf_is_bounded_by_its_stored_zip_member_only_when_the_header_says_so() -> None:
    import io

    from weighbridge.formats.executable import stored_member_length

    data = S.llamafile(S.small_gguf(), program_bytes=1000)
    offset = data.index(b"GGUF")
    assert stored_member_length(io.BytesIO(data), offset) == len(S.small_gguf())
    assert stored_member_length(io.BytesIO(data), offset + 1) is None  # no header ends there
    appended = S.elf_with_gguf(S.small_gguf())
    assert stored_member_length(io.BytesIO(appended), appended.index(b"GGUF")) is None
    # a GGUF with more after it than its member declares: the rest is not read as part of the model, and
    # the GGUF parser still sees a whole model (no truncation finding)
    _, findings = scan_bytes(data, "tiny.llamafile")
    assert not any(f.rule.startswith("WB-GGUF") for f in findings)
