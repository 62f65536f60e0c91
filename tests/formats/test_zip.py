"""The relaxed zip reader against real PyTorch/TorchScript/NumPy archives and the zip CVE tricks.

Malicious members are raw pickle opcodes with a harmless command; nothing is ever unpickled or loaded.
Members are routed through a small local router (zip, npy, compressed, pickle handlers) so that the tests
do not depend on every format module being present; the last tests use the real dispatcher when it imports.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weighbridge.core.findings import Finding, Severity
from weighbridge.formats.archives.compressed import COMPRESSED_HANDLER
from weighbridge.formats.archives.zip import ZIP_HANDLER
from weighbridge.formats.base import FormatHandler, Limits, ScanContext, make_seekable
from weighbridge.formats.numpy import NPY_HANDLER
from weighbridge.formats.pickle.handler import PICKLE_HANDLER

torch = pytest.importorskip("torch", reason="torch is a `test` extra (make test installs it)")

MALICIOUS = b"\x80\x02cos\nsystem\nq\x00X\x0b\x00\x00\x00echo bypassq\x01\x85q\x02Rq\x03."
ROUTED_HANDLERS: tuple[FormatHandler, ...] = (NPY_HANDLER, ZIP_HANDLER, COMPRESSED_HANDLER, PICKLE_HANDLER)


@dataclass
class Routed:
    chain: str | None
    name: str
    size: int | None
    data: bytes
    handler: str


@dataclass
class Result:
    findings: list[Finding]
    routed: list[Routed] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)

    def rules(self) -> set[str]:
        return {f.rule for f in self.findings}

    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)

    def at_least(self, severity: Severity) -> bool:
        return any(f.severity >= severity for f in self.findings)

    def routed_named(self, name: str) -> Routed:
        matches = [r for r in self.routed if r.name == name]
        assert matches, f"{name} was not routed; routed: {[r.name for r in self.routed]}"
        return matches[0]

    def of(self, rule: str) -> list[Finding]:
        return [f for f in self.findings if f.rule == rule]


def scan(data: bytes | Path, limits: Limits | None = None) -> Result:
    result = Result(findings=[])

    def route(ctx: ScanContext, stream: BinaryIO, name: str, size: int | None) -> str:
        if ctx.depth > ctx.limits.max_depth:
            result.routed.append(Routed(ctx.member, name, size, b"", "too-deep"))
            return "too-deep"
        seekable = make_seekable(stream, ctx.limits)
        start = seekable.tell()
        head = seekable.read(4096)
        seekable.seek(start)
        for handler in ROUTED_HANDLERS:
            if handler.sniff(head, name.lower()):
                result.routed.append(Routed(ctx.member, name, size, head, handler.name))
                ctx.formats.append(handler.name)
                handler.scan(ctx, seekable)
                return handler.name
        result.routed.append(Routed(ctx.member, name, size, seekable.read(), "other"))
        return "other"

    ctx = ScanContext(path="sample.zip", limits=limits or Limits(), nested=route)
    stream: BinaryIO = open(data, "rb") if isinstance(data, Path) else io.BytesIO(data)  # noqa: SIM115
    with stream:
        ZIP_HANDLER.scan(ctx, stream)
    result.findings = ctx.findings
    result.formats = ctx.formats
    return result


# -- building archives byte by byte ------------------------------------------------------------------------


@dataclass
class Member:
    name: str
    data: bytes
    method: int = 0
    flags: int = 0
    crc: int | None = None
    local_name: str | None = None
    in_cd: bool = True
    payload: bytes | None = None  # raw stored bytes, overriding compression of ``data``


def _deflate(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def build_zip(
    members: list[Member],
    *,
    after: dict[int, bytes] | None = None,
    trailer: bytes = b"",
    aliases: list[tuple[int, str]] | None = None,
) -> bytes:
    out = bytearray()
    records: list[tuple[str, Member, int, int, int]] = []
    for i, m in enumerate(members):
        payload = m.payload if m.payload is not None else (_deflate(m.data) if m.method == 8 else m.data)
        crc = zlib.crc32(m.data) if m.crc is None else m.crc
        offset = len(out)
        local = (m.local_name or m.name).encode()
        out += (
            struct.pack(
                "<4sHHHHHIIIHH",
                b"PK\x03\x04",
                20,
                m.flags,
                m.method,
                0,
                0,
                crc,
                len(payload),
                len(m.data),
                len(local),
                0,
            )
            + local
            + payload
        )
        if m.in_cd:
            records.append((m.name, m, crc, len(payload), offset))
        out += (after or {}).get(i, b"")
    for index, alias in aliases or []:
        _, m, crc, csize, offset = records[index]
        records.append((alias, m, crc, csize, offset))
    cd_start = len(out)
    for name, m, crc, csize, offset in records:
        raw = name.encode()
        out += (
            struct.pack(
                "<4sHHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                20,
                20,
                m.flags,
                m.method,
                0,
                0,
                crc,
                csize,
                len(m.data),
                len(raw),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + raw
        )
    cd_size = len(out) - cd_start
    out += struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(records), len(records), cd_size, cd_start, 0)
    return bytes(out + trailer)


def zipfile_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def torch_zip_with(pickle_bytes: bytes) -> bytes:
    """A PyTorch-layout archive whose data.pkl is ``pickle_bytes`` (written by zipfile, never loaded)."""
    return zipfile_bytes(
        {
            "archive/data.pkl": pickle_bytes,
            "archive/version": b"3\n",
            "archive/data/0": b"\x00" * 16,
            "archive/byteorder": b"little",
        }
    )


# -- real archives -------------------------------------------------------------------------------------------


@torch.jit.script
def scripted(x: torch.Tensor) -> torch.Tensor:
    return torch.relu(x) + 1


_LIBRARY = torch.library.Library("wbtestzip", "DEF")  # type: ignore[no-untyped-call]
_LIBRARY.define("myop(Tensor x) -> Tensor")  # type: ignore[no-untyped-call]
_LIBRARY.impl("myop", lambda x: x + 1, "CompositeExplicitAutograd")  # type: ignore[no-untyped-call]


@torch.jit.script
def uses_custom_op(x: torch.Tensor) -> torch.Tensor:
    out: torch.Tensor = torch.ops.wbtestzip.myop(x)
    return out


def test_torch_save_archive_is_clean_and_storages_are_not_routed(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    torch.save({"weight": torch.ones(4, 4), "step": 3}, path)
    result = scan(path)
    assert not result.at_least(Severity.MEDIUM), result.findings
    assert "pytorch-zip" in result.formats
    names = [r.name for r in result.routed]
    assert any(n.endswith("/data.pkl") for n in names)
    assert not any("/data/" in n for n in names), names
    assert result.routed_named(next(n for n in names if n.endswith("/data.pkl"))).handler == "pickle"


def test_torchscript_archive_reports_code_and_routes_pickles(tmp_path: Path) -> None:
    path = tmp_path / "scripted.pt"
    torch.jit.save(scripted, str(path))
    result = scan(path)
    info = result.of("WB-TORCH-101")
    assert len(info) == 1 and info[0].severity == Severity.INFO
    assert info[0].evidence is not None and "/code/" in info[0].evidence
    names = [r.name for r in result.routed]
    assert any(n.endswith("constants.pkl") for n in names)
    assert any(n.endswith(".debug_pkl") for n in names)
    assert "WB-TORCH-102" not in result.rules()
    assert "torchscript" in result.formats


def test_torchscript_custom_operator_is_medium_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "custom.pt"
    torch.jit.save(uses_custom_op, str(path))
    result = scan(path)
    custom = result.of("WB-TORCH-102")
    assert len(custom) == 1 and custom[0].severity == Severity.MEDIUM
    assert custom[0].evidence is not None and "ops.wbtestzip.myop" in custom[0].evidence
    assert custom[0].location is not None and custom[0].location.line is not None
    assert custom[0].location.member is not None and "/code/" in custom[0].location.member


@pytest.mark.parametrize("compressed", [False, True])
def test_npz_members_are_routed_as_npy(tmp_path: Path, compressed: bool) -> None:
    path = tmp_path / "arrays.npz"
    save = np.savez_compressed if compressed else np.savez
    save(path, weights=np.arange(12.0).reshape(3, 4), objects=np.array([1, "x", None], dtype=object))
    result = scan(path)
    assert {r.handler for r in result.routed} == {"npy"}
    assert {r.name for r in result.routed} == {"weights.npy", "objects.npy"}
    assert "WB-NPY-002" in result.rules()
    assert result.worst() == Severity.LOW


@pytest.mark.parametrize("member", ["config", "data.txt", "archive/weights.bin"])
def test_pickle_hidden_under_any_member_name_is_analysed(member: str) -> None:  # CVE-2025-1889
    result = scan(zipfile_bytes({"readme.md": b"# model\n", member: MALICIOUS}))
    assert result.routed_named(member).handler == "pickle"
    assert result.at_least(Severity.HIGH)


def test_protocol0_pickle_in_member_without_extension_is_analysed() -> None:
    proto0 = b"cos\nsystem\n(S'echo bypass'\ntR."
    result = scan(zipfile_bytes({"payload": proto0}))
    assert result.routed_named("payload").handler == "pickle"
    assert result.at_least(Severity.HIGH)


# -- the zip CVEs ----------------------------------------------------------------------------------------------


def test_local_name_differs_from_central_directory() -> None:  # CVE-2025-1944
    data = bytearray(torch_zip_with(MALICIOUS))
    first = data.find(b"archive/data.pkl")
    data[first : first + len(b"archive/data.pkl")] = b"archive/datap.kl"
    result = scan(bytes(data))
    mismatch = result.of("WB-ZIP-002")
    assert len(mismatch) == 1 and mismatch[0].severity == Severity.MEDIUM
    assert mismatch[0].evidence is not None and "datap.kl" in mismatch[0].evidence
    assert result.routed_named("archive/data.pkl").handler == "pickle"
    assert result.at_least(Severity.HIGH)


@pytest.mark.parametrize("flag", [0x01, 0x20, 0x40])
@pytest.mark.parametrize("where", ["local", "central"])
def test_encryption_flags_are_ignored_like_pytorch(flag: int, where: str) -> None:  # CVE-2025-1945
    data = bytearray(torch_zip_with(MALICIOUS))
    offset = 6 if where == "local" else data.find(b"PK\x01\x02") + 8
    data[offset] |= flag
    result = scan(bytes(data))
    flagged = result.of("WB-ZIP-003")
    assert flagged and flagged[0].evidence is not None and f"0x{flag:04x}" in flagged[0].evidence
    assert result.routed_named("archive/data.pkl").handler == "pickle"
    assert result.at_least(Severity.HIGH)


def test_crc_mismatch_is_reported_and_content_still_scanned() -> None:  # CVE-2025-10156
    data = torch_zip_with(MALICIOUS).replace(b"echo bypass", b"echo BYPASS")
    result = scan(data)
    crc = result.of("WB-ZIP-004")
    assert len(crc) == 1 and crc[0].location is not None and crc[0].location.member == "archive/data.pkl"
    assert result.at_least(Severity.HIGH)


def test_crc_mismatch_on_deflated_member() -> None:
    data = build_zip([Member("a.pkl", MALICIOUS, method=8, crc=0x12345678)])
    result = scan(data)
    assert "WB-ZIP-004" in result.rules()
    assert result.routed_named("a.pkl").handler == "pickle"


def test_pickle_between_entries_is_routed() -> None:
    data = build_zip([Member("a.txt", b"hello"), Member("b.txt", b"world")], after={0: MALICIOUS})
    result = scan(data)
    outside = result.of("WB-ZIP-005")
    assert len(outside) == 1 and outside[0].location is not None and outside[0].location.offset is not None
    assert outside[0].evidence == MALICIOUS[:32].hex()
    gap = [r for r in result.routed if r.name.startswith("<data at offset")]
    assert gap and gap[0].handler == "pickle"
    assert result.at_least(Severity.HIGH)


def test_data_after_end_record_is_routed() -> None:
    data = build_zip([Member("a.txt", b"hello")], trailer=b"junk" + MALICIOUS)
    result = scan(data)
    assert any("after the end record" in f.detail for f in result.of("WB-ZIP-005"))


def test_local_entry_missing_from_central_directory_is_scanned() -> None:
    data = build_zip(
        [Member("a.txt", b"hello"), Member("hidden.pkl", MALICIOUS, in_cd=False), Member("b.txt", b"world")]
    )
    result = scan(data)
    hidden = result.of("WB-ZIP-007")
    assert len(hidden) == 1 and hidden[0].evidence == "hidden.pkl"
    assert result.routed_named("hidden.pkl").handler == "pickle"


def test_overlapping_entries() -> None:
    data = build_zip([Member("a.pkl", MALICIOUS), Member("b.txt", b"x")], aliases=[(0, "alias.pkl")])
    result = scan(data)
    assert "WB-ZIP-006" in result.rules()
    assert "WB-ZIP-002" in result.rules()  # the alias's local header carries the other name


def test_duplicate_and_escaping_names() -> None:
    data = build_zip(
        [Member("../../evil.pkl", b"x"), Member("/abs.txt", b"y"), Member("dup", b"1"), Member("dup", b"2")]
    )
    result = scan(data)
    escaping = {f.evidence for f in result.of("WB-ZIP-013")}
    assert escaping == {"../../evil.pkl", "/abs.txt"}
    assert len(result.of("WB-ZIP-012")) == 1


def test_unsupported_method_is_not_inspected() -> None:
    result = scan(build_zip([Member("a.pkl", MALICIOUS, method=9)]))
    not_inspected = result.of("WB-ZIP-008")
    assert len(not_inspected) == 1 and "method 9" in not_inspected[0].detail
    assert not_inspected[0].severity >= Severity.MEDIUM


def test_aes_member_is_not_inspected() -> None:
    result = scan(build_zip([Member("a.pkl", MALICIOUS, method=99, flags=0x1)]))
    assert any("AES" in f.detail for f in result.of("WB-ZIP-008"))


def test_really_encrypted_member_is_unreadable_not_silently_skipped() -> None:
    result = scan(
        build_zip([Member("a.pkl", MALICIOUS, method=8, flags=0x1, payload=bytes(range(7, 250)) * 3)])
    )
    assert "WB-ZIP-003" in result.rules()
    unreadable = result.of("WB-ZIP-009")
    assert unreadable and "flagged encrypted" in unreadable[0].detail


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA, zipfile.ZIP_DEFLATED])
def test_compression_methods_are_decoded(method: int) -> None:
    result = scan(zipfile_bytes({"model.pkl": MALICIOUS, "notes.txt": b"n" * 5000}, method))
    assert result.routed_named("model.pkl").handler == "pickle"
    assert result.routed_named("notes.txt").data == b"n" * 5000
    assert not result.rules() & {"WB-ZIP-004", "WB-ZIP-009", "WB-ZIP-011"}


def test_data_descriptors_and_zip64_extra_are_clean() -> None:
    class Unseekable(io.RawIOBase):
        def __init__(self) -> None:
            self.buf = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b: Any) -> int:
            self.buf += b
            return len(b)

    sink = Unseekable()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.txt", b"hello" * 100)
        with zf.open("big.txt", "w", force_zip64=True) as f:
            f.write(b"data" * 100)
    result = scan(bytes(sink.buf))
    assert result.findings == []
    assert result.routed_named("big.txt").data == b"data" * 100


def test_empty_archive() -> None:
    data = zipfile_bytes({})
    assert ZIP_HANDLER.sniff(data, "empty.zip")
    assert scan(data).findings == []


def test_nested_zip_is_scanned_with_a_member_chain() -> None:
    inner = zipfile_bytes({"deep/data.pkl": MALICIOUS})
    result = scan(zipfile_bytes({"inner.zip": inner}, zipfile.ZIP_DEFLATED))
    deep = result.routed_named("deep/data.pkl")
    assert deep.chain == "inner.zip!deep/data.pkl"
    assert any(
        f.location is not None and f.location.member == "inner.zip!deep/data.pkl"
        for f in result.findings
        if f.severity >= Severity.HIGH
    )


# -- limits -----------------------------------------------------------------------------------------------------


def test_zip_bomb_ratio_stops_expansion() -> None:
    data = zipfile_bytes(
        {"zeros.bin": b"\x00" * (10 * 1024 * 1024), "after.pkl": MALICIOUS}, zipfile.ZIP_DEFLATED
    )
    result = scan(data, Limits(max_ratio=100))
    bomb = result.of("WB-CMP-002")
    assert len(bomb) == 1 and bomb[0].severity == Severity.HIGH
    assert bomb[0].location is not None and bomb[0].location.member == "zeros.bin"
    assert all(r.name != "after.pkl" for r in result.routed)


def test_expansion_budget_per_file() -> None:
    data = zipfile_bytes({"a.bin": b"a" * 600_000, "b.bin": b"b" * 600_000}, zipfile.ZIP_DEFLATED)
    result = scan(data, Limits(max_expanded_bytes=1_000_000))
    assert "WB-CMP-003" in result.rules()


def test_member_count_limit() -> None:
    data = zipfile_bytes({f"m{i}.txt": b"x" for i in range(6)})
    result = scan(data, Limits(max_members=3))
    too_many = result.of("WB-ZIP-010")
    assert len(too_many) == 1 and too_many[0].severity >= Severity.MEDIUM
    assert len(result.routed) <= 3


def test_repeated_issue_is_capped_and_summarised() -> None:
    data = build_zip([Member(f"m{i}", b"x", crc=1) for i in range(30)])
    result = scan(data)
    assert len(result.of("WB-ZIP-004")) == 20
    assert any("10 more WB-ZIP-004" in f.detail for f in result.of("WB-ZIP-015"))


# -- broken archives ---------------------------------------------------------------------------------------------


def test_truncated_torch_file_recovers_data_pkl(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, path)
    cut = path.read_bytes()[:-200]
    result = scan(cut)
    assert "WB-ZIP-001" in result.rules()
    assert any(r.name.endswith("/data.pkl") and r.handler == "pickle" for r in result.routed)


def test_truncated_malicious_member_is_high() -> None:
    data = torch_zip_with(MALICIOUS)
    cut = data[: data.find(b"echo bypass") + 20]
    result = scan(cut)
    assert "WB-ZIP-001" in result.rules()
    assert result.at_least(Severity.HIGH)


def test_keras_config_too_large_is_reported() -> None:
    data = zipfile_bytes(
        {
            "metadata.json": b"{}",
            "config.json": b'{"class_name": "Functional"}' * 10,
            "model.weights.h5": b"\x89HDF\r\n\x1a\n",
        }
    )
    result = scan(data, Limits(max_header_bytes=100))
    assert "WB-ZIP-014" in result.rules()
    assert "keras-v3" in result.formats


def test_keras_config_is_handed_to_the_keras_checker(monkeypatch: pytest.MonkeyPatch) -> None:
    keras = pytest.importorskip("weighbridge.formats.keras")
    seen: list[tuple[str | None, bytes]] = []
    monkeypatch.setattr(keras, "scan_keras_config", lambda ctx, data: seen.append((ctx.member, data)))
    config = b'{"class_name": "Sequential", "config": {"layers": []}}'
    scan(zipfile_bytes({"metadata.json": b'{"keras_version": "3.0"}', "config.json": config}))
    assert seen == [("config.json", config)]


# -- fuzzing ------------------------------------------------------------------------------------------------------

_VALID = build_zip(
    [
        Member("archive/data.pkl", MALICIOUS),
        Member("archive/code/x.py", b"ops.a.b(x)\n", method=8),
        Member("n.npy", b"\x93NUMPY"),
    ]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_random_bytes_after_a_zip_magic_never_raise(tail: bytes) -> None:
    scan(b"PK\x03\x04" + tail)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)), min_size=1, max_size=8),
    st.integers(0, len(_VALID)),
)
def test_mutated_archives_never_raise(flips: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(_VALID)
    for pos, value in flips:
        data[pos] = value
    result = scan(bytes(data[: max(cut, 4)]))
    if bytes(data[: max(cut, 4)]) != _VALID:
        assert all(f.rule.startswith("WB-") for f in result.findings)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(_VALID)), st.binary(min_size=1, max_size=64))
def test_insertions_never_raise_and_are_never_silent(at: int, junk: bytes) -> None:
    data = _VALID[:at] + junk + _VALID[at:]
    result = scan(data)
    assert result.findings, "a modified archive must not come out clean"


# -- through the real dispatcher ------------------------------------------------------------------------------------


def test_through_the_dispatcher(tmp_path: Path) -> None:
    dispatch = pytest.importorskip("weighbridge.scanning.dispatch")
    data = bytearray(torch_zip_with(MALICIOUS))
    data[6] |= 0x01
    first = data.find(b"archive/data.pkl")
    data[first : first + len(b"archive/data.pkl")] = b"archive/datap.kl"
    path = tmp_path / "model.pt"
    path.write_bytes(bytes(data))
    ctx = ScanContext(path="model.pt", limits=Limits(), nested=dispatch.scan_stream)
    with open(path, "rb") as f:
        assert dispatch.scan_stream(ctx, f, "model.pt") == "zip"
    rules = {f.rule for f in ctx.findings}
    assert {"WB-ZIP-002", "WB-ZIP-003"} <= rules
    assert "pickle" in ctx.formats
    assert max(f.severity for f in ctx.findings) >= Severity.HIGH
    assert "WB-SCAN-002" not in rules
