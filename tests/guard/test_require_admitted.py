"""require_admitted / admitted(): exact matches pass; a changed byte, an extra file, a revocation do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from guard.conftest import Admitted, flip_byte
from weighbridge.core.findings import WeighbridgeError
from weighbridge.core.registry import Decision, DecisionAction
from weighbridge.guard import NotAdmittedError, admitted, require_admitted
from weighbridge.integrity import files


def test_admitted_folder_passes(admitted: Admitted) -> None:
    version = require_admitted(admitted.folder, registry=admitted.registry)
    assert version.decision is Decision.ADMITTED and version.id == admitted.version.id


def test_default_registry_comes_from_weighbridge_home(
    admitted: Admitted, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEIGHBRIDGE_DATABASE_URL", admitted.url)
    assert require_admitted(admitted.folder).id == admitted.version.id


def test_tampered_byte_is_refused_naming_the_file(admitted: Admitted) -> None:
    flip_byte(admitted.folder / "model.safetensors", 100)
    with pytest.raises(NotAdmittedError) as info:
        require_admitted(admitted.folder, registry=admitted.registry)
    assert info.value.file == "model.safetensors"
    assert str(info.value).startswith(f"{admitted.folder} is tampered: changed: model.safetensors (sha256 ")
    assert isinstance(info.value, WeighbridgeError)


def test_a_renamed_tampered_copy_is_refused_naming_the_file(admitted: Admitted, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "renamed-copy"
    shutil.copytree(admitted.folder, copy)
    flip_byte(copy / "model.safetensors", 7)
    with pytest.raises(NotAdmittedError) as info:
        require_admitted(copy, registry=admitted.registry)
    assert info.value.file == "model.safetensors"
    assert f"compared with {admitted.version.model}@" in str(info.value)


def test_added_and_removed_files_are_named(admitted: Admitted) -> None:
    (admitted.folder / "extra.py").write_text("import os\n")
    with pytest.raises(NotAdmittedError, match=r"added: extra.py compared with tiny-model@"):
        require_admitted(admitted.folder, registry=admitted.registry)
    (admitted.folder / "extra.py").unlink()
    (admitted.folder / "config.json").unlink()
    with pytest.raises(NotAdmittedError, match=r"removed: config.json compared with tiny-model@") as info:
        require_admitted(admitted.folder, registry=admitted.registry)
    assert info.value.file == "config.json"


def test_revoked_is_refused_with_the_reason(admitted: Admitted) -> None:
    admitted.registry.decide("tiny-model", DecisionAction.REVOKE, actor="bob", reason="licence changed")
    with pytest.raises(
        NotAdmittedError, match=r"tiny-model@\w{12} is revoked: licence changed \(revoke by bob"
    ):
        require_admitted(admitted.folder, registry=admitted.registry)
    # one file of the revoked folder is refused for the same reason
    with pytest.raises(NotAdmittedError, match="is revoked: licence changed"):
        require_admitted(admitted.folder / "model.safetensors", registry=admitted.registry)


def test_unknown_model_and_bad_paths(admitted: Admitted, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "weights.gguf").write_bytes(b"GGUF-unknown")
    with pytest.raises(NotAdmittedError, match="no admitted registry version has exactly these 1 file"):
        require_admitted(other, registry=admitted.registry)
    with pytest.raises(NotAdmittedError, match="no admitted registry version holds weights.gguf"):
        require_admitted(other / "weights.gguf", registry=admitted.registry)
    with pytest.raises(WeighbridgeError, match="no such file or folder"):
        require_admitted(tmp_path / "missing", registry=admitted.registry)


def test_a_single_file_of_an_admitted_folder_passes(admitted: Admitted) -> None:
    assert (
        require_admitted(admitted.folder / "model.safetensors", registry=admitted.registry).model
        == "tiny-model"
    )


def test_hashes_are_cached_per_file_state(admitted: Admitted, monkeypatch: pytest.MonkeyPatch) -> None:
    real = files.hash_file
    hashed: list[str] = []

    def counting(path: str) -> str:
        hashed.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(files, "hash_file", counting)
    for _ in range(3):
        require_admitted(admitted.folder, registry=admitted.registry)
    assert sorted(hashed) == ["config.json", "model.safetensors"]
    # A same-size edit with the mtime put back still changes the ctime: the cache misses, the edit is caught.
    flip_byte(admitted.folder / "model.safetensors", 7, keep_mtime=True)
    with pytest.raises(NotAdmittedError, match="changed: model.safetensors"):
        require_admitted(admitted.folder, registry=admitted.registry)


def test_context_manager_covers_files_inside(admitted: Admitted) -> None:
    with admitted_ctx(admitted) as version:
        assert require_admitted(admitted.folder / "config.json").id == version.id  # no registry lookup needed
        (admitted.folder / "sneaky.bin").write_bytes(b"x")
        with pytest.raises(NotAdmittedError, match="sneaky.bin is not a file of tiny-model@"):
            require_admitted(admitted.folder / "sneaky.bin")
    flip_byte(admitted.folder / "config.json")
    with pytest.raises(NotAdmittedError, match="changed: config.json"), admitted_ctx(admitted):
        raise AssertionError("the block must not run")


def admitted_ctx(a: Admitted):  # type: ignore[no-untyped-def]
    return admitted(a.folder, registry=a.registry)


def test_first_check_of_a_path_hashes_every_byte(admitted: Admitted, monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard's first look at a path never trusts size or mtime: an edit made before it (the mtime put back,
    as `touch -r` does) is caught, and every file was read; only later checks use the per-process cache."""
    from weighbridge.integrity import hash_cache

    hash_cache.clear()
    flip_byte(admitted.folder / "model.safetensors", 3, keep_mtime=True)
    real = files.hash_file
    hashed: list[str] = []
    monkeypatch.setattr(files, "hash_file", lambda path: hashed.append(Path(path).name) or real(path))
    with pytest.raises(NotAdmittedError, match="changed: model.safetensors"):
        require_admitted(admitted.folder, registry=admitted.registry)
    assert sorted(hashed) == ["config.json", "model.safetensors"]
