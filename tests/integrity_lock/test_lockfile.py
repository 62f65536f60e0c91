"""Lockfiles: what they pin, round trip through tomllib, deterministic text, refusals."""

from __future__ import annotations

import hashlib
import os
import shutil
import tomllib
from pathlib import Path

import pytest

from weighbridge import __version__
from weighbridge.core.findings import WeighbridgeError
from weighbridge.integrity.lockfile import LOCK_FORMAT, create_lock, dumps, loads, read_lock, write_lock
from weighbridge.integrity.manifest import manifest_digest


def test_lock_pins_every_file_but_git(model: Path) -> None:
    lock = create_lock(str(model))
    assert [f.path for f in lock.files] == ["config.json", "model.safetensors", "sub/tokenizer.json"]
    weights = lock.files[1]
    data = (model / "model.safetensors").read_bytes()
    assert (weights.size, weights.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert weights.mtime_ns == os.stat(model / "model.safetensors").st_mtime_ns
    assert lock.source == "folder" and lock.revision is None and lock.target == str(model)
    assert lock.manifest_digest == manifest_digest((f.path, f.sha256) for f in lock.files)


def test_toml_round_trip_and_fields(model: Path, tmp_path: Path) -> None:
    lock = create_lock(str(model))
    path = tmp_path / "weighbridge.lock"
    write_lock(lock, path)
    doc = tomllib.loads(path.read_text())
    assert (
        doc["lock_format"] == LOCK_FORMAT
        and doc["tool"] == "weighbridge"
        and doc["tool_version"] == __version__
    )
    assert doc["target"] == {
        "input": str(model),
        "source": "folder",
        "manifest_algorithm": "sha256",
        "manifest_digest": lock.manifest_digest,
    }
    assert doc["file"][0] == {
        "path": "config.json",
        "size": lock.files[0].size,
        "sha256": lock.files[0].sha256,
        "mtime_ns": lock.files[0].mtime_ns,
    }
    assert read_lock(path) == lock
    assert "mtime_ns is advisory" in path.read_text()


def test_same_bytes_give_the_same_lock_text(model: Path, tmp_path: Path) -> None:
    first = dumps(create_lock(str(model)))
    assert dumps(create_lock(str(model))) == first
    copy = tmp_path / "copy"
    shutil.copytree(model, copy, copy_function=shutil.copy2)  # copy2 keeps mtimes
    os.utime(copy / "config.json", ns=(0, os.stat(model / "config.json").st_mtime_ns))
    again = dumps(create_lock(str(copy)))
    assert again.replace(str(copy), str(model)) == first


def test_odd_file_names_survive_the_round_trip(tmp_path: Path) -> None:
    root = tmp_path / "odd"
    root.mkdir()
    names = [
        'quo"te.bin',
        "back\\slash.bin",
        "tab\there.bin",
        "ünï cødé.bin",
        "[[file]].bin",
        "new\nline.bin",
    ]
    for name in names:
        (root / name).write_bytes(name.encode())
    lock = create_lock(str(root))
    assert sorted(f.path for f in loads(dumps(lock)).files) == sorted(names)


def test_single_file_and_unpinnable_entries(tmp_path: Path) -> None:
    weights = tmp_path / "model.gguf"
    weights.write_bytes(b"GGUF" + bytes(100))
    lock = create_lock(str(weights))
    assert lock.source == "file" and [f.path for f in lock.files] == ["model.gguf"]

    folder = tmp_path / "linked"
    folder.mkdir()
    (folder / "a.bin").write_bytes(b"a")
    (folder / "elsewhere").symlink_to(tmp_path)
    with pytest.raises(WeighbridgeError, match="cannot pin elsewhere: symbolic link to a folder"):
        create_lock(str(folder))
    (folder / "elsewhere").unlink()
    (folder / "dangling").symlink_to(tmp_path / "nothing")
    with pytest.raises(WeighbridgeError, match="cannot pin dangling"):
        create_lock(str(folder))


def test_lock_never_pins_itself(model: Path) -> None:
    inside = model / "weighbridge.lock"
    inside.write_text("old")
    lock = create_lock(str(model), exclude=[str(inside)])
    assert "weighbridge.lock" not in [f.path for f in lock.files]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lock_format = 1\n[target\n", "not valid TOML"),
        ("lock_format = 99\n", "unsupported lock_format 99"),
        ("lock_format = 1\n", "missing \\[target\\] table"),
        (
            'lock_format = 1\n[target]\ninput = "m"\nsource = "folder"\nmanifest_digest = "xyz"\n',
            "64 hex digits",
        ),
        (
            'lock_format = 1\n[target]\ninput = "m"\nsource = "folder"\nmanifest_digest = "'
            + "a" * 64
            + '"\n'
            '[[file]]\npath = "a"\nsize = -1\nsha256 = "' + "b" * 64 + '"\n',
            "non-negative integer",
        ),
        (
            'lock_format = 1\n[target]\ninput = "m"\nsource = "folder"\nmanifest_digest = "'
            + "a" * 64
            + '"\n'
            + '[[file]]\npath = "a"\nsize = 1\nsha256 = "'
            + "b" * 64
            + '"\n' * 1
            + '[[file]]\npath = "a"\nsize = 1\nsha256 = "'
            + "b" * 64
            + '"\n',
            "listed twice",
        ),
    ],
)
def test_bad_lockfiles_are_one_line_errors(text: str, message: str) -> None:
    with pytest.raises(WeighbridgeError, match=message) as info:
        loads(text)
    assert "\n" not in str(info.value).strip()


def test_missing_lockfile(tmp_path: Path) -> None:
    with pytest.raises(WeighbridgeError, match="no such lockfile"):
        read_lock(tmp_path / "nope.lock")
