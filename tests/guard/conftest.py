"""A registry in tmp_path with one admitted model folder (inspected by the registry's admit, approved by a
person) and helpers to tamper with it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from weighbridge.core.registry import DecisionAction, VersionRecord
from weighbridge.guard import hooks, reset_default_registry
from weighbridge.integrity import hash_cache
from weighbridge.registry import Registry, open_registry


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("WEIGHBRIDGE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("WEIGHBRIDGE_DATABASE_URL", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # a hook that let a hub id through must fail fast, not retry
    hash_cache.clear()
    reset_default_registry()
    yield
    hooks.uninstall()
    hash_cache.clear()
    reset_default_registry()


@dataclass
class Admitted:
    registry: Registry
    url: str
    folder: Path
    version: VersionRecord


def make_model(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text('{"model_type": "llama"}\n')
    (folder / "model.safetensors").write_bytes(b"\x00" * 4096)
    return folder


def admit(registry: Registry, target: Path) -> VersionRecord:
    version, _ = registry.admit(str(target), policy_path=None, actor="ci")
    registry.decide(version.model, DecisionAction.APPROVE, actor="alice", reason="reviewed by hand")
    return registry.get_version(version.model)


@pytest.fixture
def admitted(tmp_path: Path) -> Iterator[Admitted]:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = open_registry(url)
    folder = make_model(tmp_path / "tiny-model")
    try:
        yield Admitted(registry, url, folder, admit(registry, folder))
    finally:
        registry.close()


def flip_byte(path: Path, offset: int = 0, *, keep_mtime: bool = False) -> None:
    st = os.stat(path)
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    if keep_mtime:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
