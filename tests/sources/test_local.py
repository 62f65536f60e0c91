"""Local files and folders, and the dispatch of TARGET strings."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

from weighbridge.core.findings import Check, Severity, WeighbridgeError
from weighbridge.core.report import Snapshot, TargetKind
from weighbridge.sources import resolve

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ holds the shared artifacts helper
from artifacts import minilm_folder  # noqa: E402


def rels(snapshot: Snapshot) -> list[str]:
    return [f.rel for f in snapshot.files]


def test_single_file(tmp_path: Path) -> None:
    model = tmp_path / "model.bin"
    model.write_bytes(b"\x80\x04N.")
    snap = resolve(str(model))
    assert snap.target.kind is TargetKind.FILE
    assert snap.target.path == str(model)
    assert snap.root == str(tmp_path)
    assert len(snap.files) == 1
    assert snap.files[0].rel == "model.bin"
    assert snap.files[0].abspath == str(model)
    assert snap.files[0].expected_sha256 is None
    assert snap.notes == ()


def test_relative_path_becomes_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "w.safetensors").write_bytes(b"x")
    monkeypatch.chdir(tmp_path)
    snap = resolve("w.safetensors")
    assert snap.files[0].abspath == str(tmp_path / "w.safetensors")
    assert snap.target.input == "w.safetensors"


def test_tilde_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "a.gguf").write_bytes(b"GGUF")
    snap = resolve("~/models")
    assert snap.target.kind is TargetKind.FOLDER
    assert snap.root == str(tmp_path / "models")
    assert rels(snap) == ["a.gguf"]


def test_missing_path_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(WeighbridgeError, match="no such file or folder: .*nope"):
        resolve(str(tmp_path / "nope"))


def test_empty_target_is_a_user_error() -> None:
    with pytest.raises(WeighbridgeError, match="empty target"):
        resolve("  ")


def test_unknown_prefix_is_a_user_error() -> None:
    with pytest.raises(WeighbridgeError, match="unknown target type 'xyz'"):
        resolve("xyz:org/model")


def test_prefix_like_path_that_exists_is_local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "xyz:model.bin").write_bytes(b"data")
    monkeypatch.chdir(tmp_path)
    snap = resolve("xyz:model.bin")
    assert snap.target.kind is TargetKind.FILE
    assert rels(snap) == ["xyz:model.bin"]


def test_folder_is_walked_sorted_with_slashes(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "deep").mkdir()
    (tmp_path / "b" / "deep" / "z.txt").write_text("z")
    (tmp_path / "b" / "a.json").write_text("{}")
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "A.bin").write_bytes(b"A")
    (tmp_path / "empty").mkdir()
    snap = resolve(str(tmp_path))
    assert snap.target.kind is TargetKind.FOLDER
    assert snap.root == str(tmp_path)
    assert rels(snap) == ["A.bin", "b/a.json", "b/deep/z.txt", "config.json"]
    assert [f.abspath for f in snap.files][1] == str(tmp_path / "b" / "a.json")
    assert snap.notes == ()


def test_only_git_folders_are_skipped(tmp_path: Path) -> None:
    (tmp_path / ".git" / "objects").mkdir(parents=True)
    (tmp_path / ".git" / "objects" / "evil.pkl").write_bytes(b"x")
    (tmp_path / "sub" / ".git").mkdir(parents=True)
    (tmp_path / "sub" / ".git" / "HEAD").write_text("ref")
    (tmp_path / ".gitattributes").write_text("*.bin filter=lfs")
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "x.yml").write_text("x")
    (tmp_path / ".hidden.pkl").write_bytes(b"x")
    assert rels(resolve(str(tmp_path))) == [".gitattributes", ".github/x.yml", ".hidden.pkl"]


def test_symlinks_are_listed_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.pkl").write_bytes(b"x")
    model = tmp_path / "model"
    model.mkdir()
    (model / "real.bin").write_bytes(b"r")
    (model / "alias.bin").symlink_to("real.bin")
    (model / "escape").symlink_to(outside, target_is_directory=True)
    (model / "passwd").symlink_to("/etc/hostname")
    snap = resolve(str(model))
    assert rels(snap) == ["alias.bin", "escape", "passwd", "real.bin"]
    escape = next(f for f in snap.files if f.rel == "escape")
    assert escape.abspath == str(model / "escape")
    assert os.path.islink(escape.abspath)
    assert snap.notes == ()


def test_dangling_and_looping_links_become_notes(tmp_path: Path) -> None:
    (tmp_path / "ok.bin").write_bytes(b"1")
    (tmp_path / "gone.bin").symlink_to("missing.bin")
    (tmp_path / "loop").symlink_to("loop")
    snap = resolve(str(tmp_path))
    assert rels(snap) == ["ok.bin"]
    assert [(n.rule, n.path) for n in snap.notes] == [("WB-SRC-001", "gone.bin"), ("WB-SRC-001", "loop")]
    gone = snap.notes[0]
    assert gone.check is Check.INTEGRITY
    assert gone.severity is Severity.MEDIUM
    assert gone.evidence == "missing.bin"


def test_fifo_is_noted_and_never_listed(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "model.bin")
    (tmp_path / "via_link.bin").symlink_to("model.bin")
    (tmp_path / "config.json").write_text("{}")
    snap = resolve(str(tmp_path))
    assert rels(snap) == ["config.json"]
    assert [(n.rule, n.path, n.severity) for n in snap.notes] == [
        ("WB-SRC-003", "model.bin", Severity.HIGH),
        ("WB-SRC-003", "via_link.bin", Severity.HIGH),
    ]
    assert "fifo" in snap.notes[0].detail


def test_socket_is_noted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # AF_UNIX paths are short; bind relative to the folder
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind("s.sock")
        snap = resolve(str(tmp_path))
    finally:
        sock.close()
    assert rels(snap) == []
    assert [(n.rule, n.path) for n in snap.notes] == [("WB-SRC-003", "s.sock")]
    assert "socket" in snap.notes[0].detail


def test_fifo_given_directly_is_a_user_error(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(WeighbridgeError, match="not a regular file or folder: .* is a fifo"):
        resolve(str(tmp_path / "pipe"))


def test_unreadable_file_becomes_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.bin").write_bytes(b"a")
    (tmp_path / "locked.bin").write_bytes(b"b")
    real_open = os.open

    def guarded_open(path: str, flags: int, *args: int) -> int:
        if str(path).endswith("locked.bin"):
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", guarded_open)
    snap = resolve(str(tmp_path))
    assert rels(snap) == ["a.bin"]
    assert [(n.rule, n.path, n.severity) for n in snap.notes] == [("WB-SRC-002", "locked.bin", Severity.HIGH)]
    assert "Permission denied" in snap.notes[0].detail


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_unreadable_folder_becomes_a_note(tmp_path: Path) -> None:
    (tmp_path / "closed").mkdir()
    (tmp_path / "closed" / "x.bin").write_bytes(b"x")
    (tmp_path / "closed").chmod(0)
    try:
        snap = resolve(str(tmp_path))
    finally:
        (tmp_path / "closed").chmod(0o755)
    assert [(n.rule, n.path) for n in snap.notes] == [("WB-SRC-002", "closed")]


def test_unlistable_folder_becomes_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "closed").mkdir()
    (tmp_path / "closed" / "x.bin").write_bytes(b"x")
    (tmp_path / "open.bin").write_bytes(b"o")
    real_scandir = os.scandir

    def guarded_scandir(path: str) -> object:
        if str(path).endswith("closed"):
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", guarded_scandir)
    snap = resolve(str(tmp_path))
    assert rels(snap) == ["open.bin"]
    assert [(n.rule, n.path) for n in snap.notes] == [("WB-SRC-002", "closed")]


def test_dangling_link_given_directly_is_a_user_error(tmp_path: Path) -> None:
    (tmp_path / "link").symlink_to("nowhere")
    with pytest.raises(WeighbridgeError, match="cannot read .*link"):
        resolve(str(tmp_path / "link"))


def test_link_to_file_given_directly_keeps_the_link_path(tmp_path: Path) -> None:
    (tmp_path / "real.gguf").write_bytes(b"GGUF")
    (tmp_path / "alias.gguf").symlink_to("real.gguf")
    snap = resolve(str(tmp_path / "alias.gguf"))
    assert snap.target.kind is TargetKind.FILE
    assert snap.files[0].rel == "alias.gguf"
    assert snap.files[0].abspath == str(tmp_path / "alias.gguf")


def test_real_minilm_folder() -> None:
    folder = minilm_folder()
    snap = resolve(str(folder))
    assert snap.target.kind is TargetKind.FOLDER
    assert rels(snap) == [
        ".gitattributes",
        "1_Pooling/config.json",
        "README.md",
        "config.json",
        "config_sentence_transformers.json",
        "data_config.json",
        "model.safetensors",
        "modules.json",
        "sentence_bert_config.json",
        "special_tokens_map.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "vocab.txt",
    ]
    assert snap.notes == ()
