"""Lock, verify and sign hf: and ollama: targets resolved from fake local stores (no network)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from tests.sources.test_hf import FakeCache
from tests.sources.test_ollama import FakeStore, standard_layers

from integrity_lock.keys import write_key_pair
from weighbridge.core.registry import SignatureStatus
from weighbridge.integrity.lockfile import create_lock, dumps, loads
from weighbridge.integrity.signing import sign_model, verify_signature
from weighbridge.integrity.verify import verify_lock

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def hf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeCache:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    cache = FakeCache(tmp_path / "hub")
    cache.ref("main", COMMIT)
    cache.add(COMMIT, "config.json", b'{"model_type": "bert"}', lfs=False)
    cache.add(COMMIT, "model.safetensors", b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ", lfs=True)
    return cache


def test_hf_lock_pins_the_commit_and_verifies(hf: FakeCache) -> None:
    lock = loads(dumps(create_lock("hf:org/name")))
    assert (lock.source, lock.revision, lock.target) == ("hf", COMMIT, "hf:org/name")
    assert [f.path for f in lock.files] == ["config.json", "model.safetensors"]
    assert verify_lock(lock, full=True).ok
    blob = next(p for p in (hf.repo / "blobs").iterdir() if len(p.name) == 64)
    blob.write_bytes(blob.read_bytes()[:-1] + b"!")
    result = verify_lock(lock, full=True)
    assert [(c.path, c.change) for c in result.changes] == [("model.safetensors", "changed")]


def test_hf_snapshot_signs_through_its_links(hf: FakeCache, tmp_path: Path) -> None:
    private, public = write_key_pair(tmp_path)
    sig = tmp_path / "org-name.sig"
    sign_model("hf:org/name", signature=sig, private_key=private)
    assert (
        verify_signature("hf:org/name", signature=sig, public_key=public).status is SignatureStatus.VERIFIED
    )


def test_ollama_lock_pins_tag_and_manifest_digest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_MODELS", str(tmp_path / "models"))
    store = FakeStore(tmp_path / "models")
    manifest = store.manifest(standard_layers(store))
    lock = create_lock("ollama:smollm2")
    assert lock.source == "ollama"
    assert lock.revision == f"latest@sha256:{hashlib.sha256(manifest.read_bytes()).hexdigest()}"
    assert verify_lock(lock).ok
