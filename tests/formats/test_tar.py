"""Tar archives: content routing of members, archive slip, escaping links, special members, limits.

Archives are written with tarfile (or patched byte by byte); malicious members are raw pickle opcodes with a
harmless command. Nothing is extracted, unpickled or loaded.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weighbridge.core.findings import Finding, Severity
from weighbridge.formats.archives.compressed import COMPRESSED_HANDLER
from weighbridge.formats.archives.tar import TAR_HANDLER
from weighbridge.formats.archives.zip import ZIP_HANDLER
from weighbridge.formats.base import FormatHandler, Limits, ScanContext, make_seekable
from weighbridge.formats.pickle.handler import PICKLE_HANDLER

MALICIOUS = b"\x80\x02cos\nsystem\nq\x00X\x0b\x00\x00\x00echo bypassq\x01\x85q\x02Rq\x03."
HANDLERS: tuple[FormatHandler, ...] = (ZIP_HANDLER, TAR_HANDLER, COMPRESSED_HANDLER, PICKLE_HANDLER)


@dataclass
class Result:
    findings: list[Finding]
    routed: list[tuple[str, str, bytes]] = field(
        default_factory=list
    )  # (member chain, handler, content/head)

    def rules(self) -> set[str]:
        return {f.rule for f in self.findings}

    def of(self, rule: str) -> list[Finding]:
        return [f for f in self.findings if f.rule == rule]

    def at_least(self, severity: Severity) -> bool:
        return any(f.severity >= severity for f in self.findings)

    def handler_of(self, chain: str) -> str:
        found = [handler for name, handler, _ in self.routed if name == chain]
        assert found, f"{chain} not routed: {self.routed}"
        return found[0]


def scan(data: bytes, limits: Limits | None = None) -> Result:
    result = Result(findings=[])

    def route(ctx: ScanContext, stream: BinaryIO, name: str, size: int | None) -> str:
        if ctx.depth > ctx.limits.max_depth:
            return "too-deep"
        seekable = make_seekable(stream, ctx.limits)
        start = seekable.tell()
        head = seekable.read(4096)
        seekable.seek(start)
        for handler in HANDLERS:
            if handler.sniff(head, name.lower()):
                result.routed.append((ctx.member or name, handler.name, head))
                handler.scan(ctx, seekable)
                return handler.name
        result.routed.append((ctx.member or name, "other", seekable.read()))
        return "other"

    ctx = ScanContext(path="archive.tar", limits=limits or Limits(), nested=route)
    TAR_HANDLER.scan(ctx, io.BytesIO(data))
    result.findings = ctx.findings
    return result


def member(
    name: str, data: bytes | None = None, *, kind: bytes = tarfile.REGTYPE, link: str = ""
) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.size = len(data) if data is not None else 0
    return info, data


def make_tar(members: list[tuple[tarfile.TarInfo, bytes | None]], fmt: int = tarfile.PAX_FORMAT) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for info, data in members:
            tf.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def _checksum(block: bytearray) -> None:
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\x00 " % sum(block[:512])


def test_legacy_pytorch_tar_layout_routes_the_pickle() -> None:
    data = make_tar(
        [
            member("sys_info", b"\x80\x02}q\x00."),
            member("pickle", MALICIOUS),
            member("storages", b"\x80\x02K\x00."),
            member("tensors", b"\x80\x02K\x00."),
        ]
    )
    result = scan(data)
    assert result.handler_of("pickle") == "pickle"
    assert result.at_least(Severity.HIGH)
    assert not any(f.rule.startswith("WB-TAR") for f in result.findings)


@pytest.mark.parametrize("fmt", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_formats_are_sniffed_and_clean(fmt: int) -> None:
    data = make_tar(
        [
            member("model/" + "d" * 60 + "/" + "x" * 60 + ".bin", b"hello"),
            member("model/dir", kind=tarfile.DIRTYPE),
            member("model/link", kind=tarfile.SYMTYPE, link="x.bin"),
        ],
        fmt,
    )
    assert TAR_HANDLER.sniff(data[:4096], "a.tar")
    result = scan(data)
    assert result.findings == []
    assert [handler for _, handler, _ in result.routed] == ["other"]


def test_v7_header_is_sniffed_by_checksum() -> None:
    data = bytearray(make_tar([member("v7.pkl", MALICIOUS)], tarfile.USTAR_FORMAT))
    data[257:265] = b"\x00" * 8  # no "ustar" magic: an old v7 header
    _checksum(memoryview(data)[:512])  # type: ignore[arg-type]
    assert TAR_HANDLER.sniff(bytes(data[:4096]), "x")
    result = scan(bytes(data))
    assert result.handler_of("v7.pkl") == "pickle"


@pytest.mark.parametrize(
    "head", [b"\x00" * 1024, b"hello world" * 100, MALICIOUS, b"PK\x03\x04" + b"\x00" * 600]
)
def test_sniff_rejects_non_tar(head: bytes) -> None:
    assert not TAR_HANDLER.sniff(head, "x.tar")


def test_archive_slip_names_are_high() -> None:
    result = scan(
        make_tar(
            [
                member("../../home/user/.bashrc", b"echo bypass"),
                member("/etc/cron.d/x", b"x"),
                member("ok/../../up", b"x"),
                member("fine/../still-inside", b"x"),
            ]
        )
    )
    slip = result.of("WB-TAR-001")
    assert {f.evidence for f in slip} == {"../../home/user/.bashrc", "/etc/cron.d/x", "ok/../../up"}
    assert all(f.severity == Severity.HIGH for f in slip)


def test_links_leaving_the_archive_are_high() -> None:
    result = scan(
        make_tar(
            [
                member("a/link", kind=tarfile.SYMTYPE, link="../../etc/passwd"),
                member("abs", kind=tarfile.SYMTYPE, link="/etc/shadow"),
                member("hard", kind=tarfile.LNKTYPE, link="../outside"),
                member("a/b/inside", kind=tarfile.SYMTYPE, link="../sibling"),
                member("hard-inside", kind=tarfile.LNKTYPE, link="a/b/inside"),
            ]
        )
    )
    links = result.of("WB-TAR-002")
    assert {f.evidence for f in links} == {"../../etc/passwd", "/etc/shadow", "../outside"}
    assert all(f.severity == Severity.HIGH for f in links)


def test_devices_and_fifos() -> None:
    result = scan(
        make_tar(
            [
                member("dev/null", kind=tarfile.CHRTYPE),
                member("dev/sda", kind=tarfile.BLKTYPE),
                member("pipe", kind=tarfile.FIFOTYPE),
            ]
        )
    )
    special = result.of("WB-TAR-003")
    assert len(special) == 3 and all(f.severity == Severity.MEDIUM for f in special)


def test_data_after_end_of_archive_is_routed() -> None:
    result = scan(make_tar([member("a.txt", b"abc")]) + MALICIOUS)
    trailing = result.of("WB-TAR-005")
    assert len(trailing) == 1 and trailing[0].location is not None
    assert trailing[0].location.offset is not None and trailing[0].location.offset % 512 == 0
    assert any(
        name.startswith("<data at offset") and handler == "pickle" for name, handler, _ in result.routed
    )
    assert result.at_least(Severity.HIGH)


def test_invalid_header_mid_archive_is_not_a_silent_end() -> None:
    first = make_tar([member("a.txt", b"abc")])[:1024]
    hidden = make_tar([member("hidden.pkl", MALICIOUS)])
    garbage = bytearray(hidden)
    garbage[148:156] = b"0000000\x00"  # wrong checksum: tarfile stops here without an error
    result = scan(first + bytes(garbage))
    assert "WB-TAR-005" in result.rules()


def test_truncated_member_is_reported() -> None:
    data = make_tar([member("big.bin", b"x" * 5000), member("after.pkl", MALICIOUS)])
    result = scan(data[:3000])
    broken = result.of("WB-TAR-004")
    assert broken and all(f.severity >= Severity.MEDIUM for f in broken)


def test_sparse_bomb_is_not_expanded() -> None:
    data = bytearray(make_tar([member("sparse.bin", b"\x00" * 512)], tarfile.GNU_FORMAT))
    header = memoryview(data)[:512]
    header[156:157] = b"S"
    header[386:398] = b"%011o\x00" % 0
    header[398:410] = b"%011o\x00" % 512
    header[482:483] = b"\x00"
    header[483:495] = b"%011o\x00" % (1 << 32)
    _checksum(header)  # type: ignore[arg-type]
    result = scan(bytes(data))
    bomb = result.of("WB-TAR-006")
    assert len(bomb) == 1 and bomb[0].severity == Severity.HIGH
    assert result.routed == []


def test_member_count_limit() -> None:
    result = scan(make_tar([member(f"m{i}", b"x") for i in range(6)]), Limits(max_members=3))
    assert len(result.of("WB-TAR-007")) == 1
    assert len(result.routed) == 3


def test_member_bytes_budget() -> None:
    result = scan(
        make_tar([member("a", b"a" * 5000), member("b", b"b" * 5000)]), Limits(max_expanded_bytes=6000)
    )
    assert "WB-TAR-008" in result.rules()


def test_oversized_pax_header_is_refused() -> None:
    data = make_tar([member("p/" + "x" * 50_000, b"abc")])
    result = scan(data, Limits(max_header_bytes=20_000))
    assert "WB-TAR-004" in result.rules()


def test_zip_inside_tar_is_scanned() -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("archive/data.pkl", MALICIOUS)
    result = scan(make_tar([member("model.pt", inner.getvalue())]))
    assert result.handler_of("model.pt") == "zip"
    assert result.handler_of("model.pt!archive/data.pkl") == "pickle"
    assert result.at_least(Severity.HIGH)


def test_repeated_findings_are_capped() -> None:
    result = scan(make_tar([member(f"/abs/{i}", b"x") for i in range(25)]))
    assert len(result.of("WB-TAR-001")) == 20
    assert len(result.of("WB-TAR-009")) == 1


_VALID = make_tar(
    [
        member("a/data.pkl", MALICIOUS),
        member("a/l", kind=tarfile.SYMTYPE, link="../x"),
        member("b.txt", b"hello" * 100),
    ]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)), min_size=1, max_size=8),
    st.integers(0, len(_VALID)),
)
def test_mutated_archives_never_raise(flips: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(_VALID)
    for pos, value in flips:
        data[pos] = value
    scan(bytes(data[:cut]))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_random_bytes_after_a_header_never_raise(tail: bytes) -> None:
    scan(_VALID[:512] + tail)


def test_tar_through_the_dispatcher(tmp_path: Path) -> None:
    dispatch = pytest.importorskip("weighbridge.scanning.dispatch")
    path = tmp_path / "checkpoint.pth.tar"
    path.write_bytes(make_tar([member("../escape", b"x"), member("checkpoint/data.pkl", MALICIOUS)]))
    ctx = ScanContext(path=path.name, limits=Limits(), nested=dispatch.scan_stream)
    with open(path, "rb") as f:
        assert dispatch.scan_stream(ctx, f, path.name) == "tar"
    rules = {f.rule for f in ctx.findings}
    assert "WB-TAR-001" in rules and "WB-SCAN-002" not in rules
    assert any(
        f.severity >= Severity.HIGH and f.location is not None and f.location.member == "checkpoint/data.pkl"
        for f in ctx.findings
    )
