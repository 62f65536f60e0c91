"""The scan plan: parse-bound files first and in a process of their own, with the same findings either way."""

from __future__ import annotations

import json
import pickle
import struct
from pathlib import Path
from typing import Any

import pytest

from weighbridge.core.codec import file_record_from_dict
from weighbridge.core.findings import Check, Finding, Location, Severity
from weighbridge.core.report import FileRecord, Report, Snapshot, SnapshotFile, Target, TargetKind
from weighbridge.formats.base import Limits
from weighbridge.scanning import engine, schedule, worker
from weighbridge.scanning.engine import scan_snapshot

MIB = 1024 * 1024
TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
MALICIOUS = b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00idq\x00\x85R."


def safetensors(n_floats: int) -> bytes:
    header = json.dumps({"w": {"dtype": "F32", "shape": [n_floats], "data_offsets": [0, 4 * n_floats]}})
    return struct.pack("<Q", len(header)) + header.encode() + bytes(4 * n_floats)


def folder_snapshot(folder: Path) -> Snapshot:
    files = tuple(SnapshotFile(rel=p.name, abspath=str(p)) for p in sorted(folder.iterdir()))
    target = Target(input=str(folder), kind=TargetKind.FOLDER, path=str(folder))
    return Snapshot(target=target, root=str(folder), files=files)


def _dict_pickle(n: int) -> bytes:
    return pickle.dumps([{"id": i, "token": f"tok{i}"} for i in range(n)], protocol=4)


def _legacy_torch(payload: int) -> bytes:
    # the head of a legacy torch.save file: magic number, protocol version, system info, then storages
    return (
        pickle.dumps(TORCH_LEGACY_MAGIC, protocol=2)
        + pickle.dumps(1001, protocol=2)
        + pickle.dumps({"little_endian": True}, protocol=2)
        + bytes(payload)
    )


def _mixed_folder(folder: Path) -> None:
    (folder / "model.safetensors").write_bytes(safetensors(MIB))  # 4 MiB of tensor data
    (folder / "tokenizer_state.pkl").write_bytes(_dict_pickle(60_000))  # ~1.5 MB, opcode by opcode
    (folder / "legacy.pt").write_bytes(_legacy_torch(2 * MIB))
    (folder / "evil.bin").write_bytes(MALICIOUS + _dict_pickle(60_000))
    (folder / "config.json").write_text('{"model_type": "llama"}')


def _records(report: Report) -> list[dict[str, Any]]:
    return [r.to_dict() for r in report.files]


def test_pickles_weigh_more_than_their_bytes_and_legacy_torch_does_not(tmp_path: Path) -> None:
    _mixed_folder(tmp_path)
    planned = schedule.plan(folder_snapshot(tmp_path).files)
    order = [p.file.rel for p in planned]
    work = {p.file.rel: p.work for p in planned}
    sizes = {p.file.rel: p.size for p in planned}
    assert order[:2] == ["tokenizer_state.pkl", "evil.bin"] or order[:2] == [
        "evil.bin",
        "tokenizer_state.pkl",
    ]
    assert work["tokenizer_state.pkl"] == sizes["tokenizer_state.pkl"] * schedule.PARSE_BOUND
    assert work["legacy.pt"] == sizes["legacy.pt"]  # a few small pickles, then raw storages: hashed
    assert work["model.safetensors"] == sizes["model.safetensors"]
    assert work["config.json"] == sizes["config.json"]  # too small to be worth a look
    assert order.index("model.safetensors") < order.index("legacy.pt")  # then by size
    assert not any(p.offload for p in planned)  # all below OFFLOAD_MIN


def test_content_not_the_name_makes_a_file_parse_bound(tmp_path: Path) -> None:
    (tmp_path / "weights.safetensors").write_bytes(_dict_pickle(60_000))  # a pickle whatever its name
    (tmp_path / "data.pkl").write_bytes(safetensors(MIB // 2))  # safetensors named like a pickle
    work = {p.file.rel: p.work > p.size for p in schedule.plan(folder_snapshot(tmp_path).files)}
    assert work == {"weights.safetensors": True, "data.pkl": False}


def test_unreadable_file_is_planned_by_size_and_reported_by_the_scan(tmp_path: Path) -> None:
    missing = SnapshotFile(rel="gone.pkl", abspath=str(tmp_path / "gone.pkl"))
    assert schedule.plan([missing])[0].work == 0
    assert schedule.expected_work(missing, 2 * MIB) == 2 * MIB


@pytest.fixture
def offload_everything(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make every pickle parse-bound and large enough for a worker process; list the files a worker scanned."""
    monkeypatch.setattr(schedule, "PROBE_MIN", 1)
    monkeypatch.setattr(schedule, "OFFLOAD_MIN", 1)
    scanned: list[str] = []

    def spy(sfile: SnapshotFile, root: str, limits: Limits) -> tuple[FileRecord, list[str]]:
        result = worker.scan_in_worker(sfile, root, limits)
        scanned.append(sfile.rel)
        return result

    monkeypatch.setattr(engine, "scan_in_worker", spy)
    return scanned


def test_parse_bound_files_scanned_in_a_worker_report_the_same(
    tmp_path: Path, offload_everything: list[str]
) -> None:
    _mixed_folder(tmp_path)
    serial = scan_snapshot(folder_snapshot(tmp_path), workers=1)
    assert offload_everything == []  # one worker: everything in this process
    parallel = scan_snapshot(folder_snapshot(tmp_path), workers=2)
    assert sorted(offload_everything) == ["evil.bin", "tokenizer_state.pkl"]
    assert _records(parallel) == _records(serial)
    assert parallel.manifest_digest == serial.manifest_digest
    assert [f.to_dict() for f in parallel.findings] == [f.to_dict() for f in serial.findings]
    assert parallel.max_severity is Severity.CRITICAL


def test_a_worker_that_cannot_run_sends_the_file_back(
    tmp_path: Path, offload_everything: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _mixed_folder(tmp_path)
    serial = scan_snapshot(folder_snapshot(tmp_path), workers=1)
    monkeypatch.setattr(worker.sys, "executable", "")  # an embedded interpreter
    report = scan_snapshot(folder_snapshot(tmp_path), workers=2)
    assert offload_everything == []
    assert _records(report) == _records(serial)
    assert report.max_severity is Severity.CRITICAL


def test_a_failing_worker_sends_the_file_back(
    tmp_path: Path, offload_everything: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    model, shadow = tmp_path / "model", tmp_path / "shadow"
    model.mkdir()
    shadow.mkdir()
    _mixed_folder(model)
    serial = scan_snapshot(folder_snapshot(model), workers=1)
    # the worker imports a `weighbridge` that exits with an error instead of the package
    (shadow / "weighbridge.py").write_text("raise SystemExit(3)\n")
    monkeypatch.setattr(worker, "_PACKAGE_ROOT", str(shadow))
    monkeypatch.setenv("PYTHONPATH", str(shadow))
    with pytest.raises(RuntimeError, match="worker exited with 3"):
        worker.scan_in_worker(folder_snapshot(model).files[0], str(model), Limits())
    report = scan_snapshot(folder_snapshot(model), workers=2)
    assert offload_everything == []  # no worker finished a scan...
    assert _records(report) == _records(serial)  # ...and every file was scanned all the same
    assert report.max_severity is Severity.CRITICAL


def test_worker_record_round_trip_keeps_every_field() -> None:
    record = FileRecord(
        path="a.pkl",
        size=10,
        sha256="00" * 32,
        format="pickle",
        formats=["pickle", "text"],
        findings=[
            Finding("WB-X", Check.ARTIFACT, Severity.HIGH, "t", "d", "a.pkl", Location(), "ev"),
            Finding("WB-Y", Check.INTEGRITY, Severity.LOW, "t", "d", "a.pkl", None, None),
            Finding(
                "WB-Z",
                Check.ARTIFACT,
                Severity.CRITICAL,
                "t",
                "d",
                "a.pkl",
                Location(3, "GLOBAL", "k", 2, "m"),
            ),
        ],
    )
    assert file_record_from_dict(json.loads(json.dumps(record.to_dict()))) == record


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_a_pickle_with_a_proto_opcode_is_parse_bound(protocol: int) -> None:
    assert schedule.parse_bound(pickle.dumps({"a": [1, 2]}, protocol=protocol)[:32])


@pytest.mark.parametrize(
    "head",
    [
        _legacy_torch(64)[:32],  # stacked pickles, then raw storages
        safetensors(16)[:32],
        b"PK\x03\x04" + bytes(28),  # a torch zip: its data.pkl is small beside the storages
        b"GGUF\x03\x00\x00\x00" + bytes(24),
        b"\x80",
        b"",
    ],
    ids=["legacy-torch", "safetensors", "zip", "gguf", "one-byte", "empty"],
)
def test_hashed_layouts_are_not_parse_bound(head: bytes) -> None:
    assert not schedule.parse_bound(head)
