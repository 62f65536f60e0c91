"""verify against a lockfile: every file hashed by default, the opt-in size+mtime quick path (and its documented
limit), named changes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from weighbridge.integrity import files
from weighbridge.integrity.lockfile import create_lock, write_lock
from weighbridge.integrity.verify import describe_change, summary, verify_lock


@pytest.fixture
def locked(model: Path, tmp_path: Path) -> Path:
    path = tmp_path / "weighbridge.lock"
    write_lock(create_lock(str(model)), path)
    return path


def _no_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make every file read fail the test; opens of the model's files are recorded too."""
    read: list[str] = []

    def refuse(path: str) -> str:
        read.append(path)
        raise AssertionError(f"fast path read {path}")

    monkeypatch.setattr(files, "hash_file", refuse)
    return read


def test_identical_quick_path_reads_no_file(
    model: Path, locked: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No byte of the model is read: the hashing function fails the test, and os.read/os.preadv (what the
    hashing reader uses) are counted. (The resolver opens each file once to check it is readable.)"""
    calls: list[str] = []
    real_read, real_preadv = os.read, os.preadv

    def counting_read(fd: int, n: int) -> bytes:
        calls.append("read")
        return real_read(fd, n)

    def counting_preadv(fd: int, buffers: list[memoryview], offset: int) -> int:
        calls.append("preadv")
        return real_preadv(fd, buffers, offset)

    _no_reads(monkeypatch)
    monkeypatch.setattr(os, "read", counting_read)
    monkeypatch.setattr(os, "preadv", counting_preadv)
    result = verify_lock(locked, quick=True)
    monkeypatch.undo()
    assert result.ok and result.checked_files == 3 and result.hashed_files == 0
    assert calls == []
    assert result.manifest_digest == create_lock(str(model)).manifest_digest
    assert summary(result) == f"OK: {model}: 3 file(s) identical (0 hashed, 3 matched on size and mtime)"


def test_default_hashes_everything(model: Path, locked: Path) -> None:
    for result in (
        verify_lock(locked),
        verify_lock(locked, full=True),
        verify_lock(locked, quick=True, full=True),
    ):
        assert result.ok and result.hashed_files == 3
        assert result.manifest_digest == create_lock(str(model)).manifest_digest
        assert summary(result) == f"OK: {model}: 3 file(s) identical (3 hashed)"


def test_same_size_edit_with_mtime_restored(model: Path, locked: Path) -> None:
    weights = model / "model.safetensors"
    st = os.stat(weights)
    data = bytearray(weights.read_bytes())
    data[1000] ^= 0xFF
    weights.write_bytes(bytes(data))
    os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns))
    # The documented limit of the opt-in quick path: size and mtime match, so the edit is not seen...
    assert verify_lock(locked, quick=True).ok
    # ...and the default catches it.
    result = verify_lock(locked)
    assert not result.ok
    assert [(c.path, c.change) for c in result.changes] == [("model.safetensors", "changed")]
    assert describe_change(result.changes[0]).startswith("changed: model.safetensors (sha256 ")


def test_ordinary_edit_is_named(model: Path, locked: Path) -> None:
    weights = model / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[0] ^= 1
    weights.write_bytes(bytes(data))
    os.utime(weights, ns=(1, 1_000_000_000))  # a different mtime: the quick path re-hashes this one only
    result = verify_lock(locked, quick=True)
    assert [(c.path, c.change) for c in result.changes] == [("model.safetensors", "changed")]
    assert result.hashed_files == 1


def test_size_change_added_and_removed_files(model: Path, locked: Path) -> None:
    (model / "config.json").write_text('{"model_type": "llama", "x": 1}\n')
    (model / "sub" / "tokenizer.json").unlink()
    (model / "extra.py").write_text("import os\n")
    result = verify_lock(locked)
    lines = [describe_change(c) for c in result.changes]
    assert lines == ["changed: config.json (size 24 → 32)", "added: extra.py", "removed: sub/tokenizer.json"]
    assert not result.ok
    assert summary(result).startswith(f"FAILED: {model}: 3 difference(s) in 3 file(s)")


def test_target_can_differ_from_the_lock(model: Path, locked: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(model, copy)
    assert verify_lock(locked, str(copy)).ok


def test_lockfile_inside_the_folder_is_not_a_file_of_the_model(model: Path) -> None:
    inside = model / "weighbridge.lock"
    write_lock(create_lock(str(model), exclude=[str(inside)]), inside)
    assert verify_lock(inside).ok
