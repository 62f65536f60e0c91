"""OCI image layouts and KitOps ModelKits: every blob scanned by content and verified against its name."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.corpus import shapes as S
from tests.corpus.pickles import CMD, reduce_pickle

import weighbridge
from weighbridge.core.findings import Severity
from weighbridge.core.report import Report


def _scan(tmp_path: Path, files: dict[str, bytes | str]) -> Report:
    for rel, data in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return weighbridge.scan(str(tmp_path))


def _rules(report: Report) -> set[str]:
    return {f.rule for f in report.findings}


def test_benign_modelkit_layout_is_clean(tmp_path: Path) -> None:
    files = S.oci_layout(
        [
            (S.KIT_MODEL, S.model_layer({"model.gguf": S.small_gguf()})),
            ("application/vnd.kitops.modelkit.docs.v1.tar+gzip", S.model_layer({"README.md": b"# x"})),
        ]
    )
    report = _scan(tmp_path, files)
    assert report.max_severity is None or report.max_severity < Severity.HIGH, report.findings
    formats = {fmt for r in report.files for fmt in r.formats}
    assert {"oci-manifest", "tar", "gguf"} <= formats


def test_layers_are_scanned_by_content(tmp_path: Path) -> None:
    files = S.oci_layout([(S.KIT_MODEL, S.model_layer({"weights.bin": reduce_pickle("os", "system", CMD)}))])
    assert _scan(tmp_path, files).max_severity == Severity.CRITICAL


def test_tampered_layer_fails_its_digest(tmp_path: Path) -> None:
    files = S.oci_layout(
        [(S.KIT_MODEL, S.model_layer({"model.gguf": S.small_gguf()}))],
        tamper={0: S.model_layer({"model.gguf": S.small_gguf(), "extra.bin": b"\1" * 4096})},
    )
    report = _scan(tmp_path, files)
    assert {"WB-INT-001", "WB-OCI-003"} <= _rules(report)
    assert report.max_severity == Severity.CRITICAL


@pytest.mark.parametrize(
    ("extra", "rule"),
    [
        ({"urls": ["http://127.0.0.1/layer.tar.gz"]}, "WB-OCI-002"),
        ({"digest": "sha256:../../../../etc/passwd"}, "WB-OCI-001"),
        ({"size": 1}, "WB-OCI-003"),
    ],
)
def test_descriptor_problems_are_high(tmp_path: Path, extra: dict[str, object], rule: str) -> None:
    files = S.oci_layout(
        [(S.KIT_MODEL, S.model_layer({"model.gguf": S.small_gguf()}))], descriptor_extra={0: extra}
    )
    report = _scan(tmp_path, files)
    assert rule in _rules(report) and report.max_severity is not None and report.max_severity >= Severity.HIGH


def test_code_layer_and_missing_blob_are_medium(tmp_path: Path) -> None:
    files = S.oci_layout([(S.KIT_CODE, S.model_layer({"train.py": b"print('hi')\n"}))])
    victim = next(
        k
        for k in files
        if k.startswith("blobs/") and files[k] == S.model_layer({"train.py": b"print('hi')\n"})
    )
    del files[victim]
    report = _scan(tmp_path, files)
    assert {"WB-OCI-004", "WB-OCI-005"} <= _rules(report)


def test_kitfile_paths(tmp_path: Path) -> None:
    report = _scan(
        tmp_path, {"Kitfile": S.KITFILE.replace("./model.gguf", "/etc/shadow"), "model.gguf": S.small_gguf()}
    )
    assert "WB-CFG-004" in _rules(report) and report.max_severity == Severity.HIGH
    other = tmp_path / "clean"
    other.mkdir()
    report = _scan(other, {"Kitfile": S.KITFILE, "model.gguf": S.small_gguf()})
    assert report.max_severity is None or report.max_severity < Severity.HIGH


def test_layout_archived_as_a_tar_is_verified_blob_by_blob() -> None:
    from tests.formats.helpers_scan import scan_bytes

    layout = S.oci_layout([(S.KIT_MODEL, S.model_layer({"model.gguf": S.small_gguf()}))])
    members = {k: v if isinstance(v, bytes) else v.encode() for k, v in layout.items()}
    _, findings = scan_bytes(S.tar_bytes(members), "image.tar")
    assert not any(f.severity >= Severity.HIGH for f in findings), findings
    tampered = S.oci_layout(
        [(S.KIT_MODEL, S.model_layer({"model.gguf": S.small_gguf()}))],
        tamper={0: S.model_layer({"model.gguf": S.small_gguf(), "x": b"1"})},
    )
    members = {k: v if isinstance(v, bytes) else v.encode() for k, v in tampered.items()}
    _, findings = scan_bytes(S.tar_bytes(members, gz=True), "image.tar.gz")
    assert any(f.rule == "WB-OCI-007" and f.severity == Severity.CRITICAL for f in findings)
