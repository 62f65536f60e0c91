"""The Ollama path end to end through the CLI: admit ollama:name:tag from a local Ollama store, publish it into
the mirror's store with `mirror publish` (no --from needed), pull it over /v2/."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.mirror.oci_helpers import ollama_model
from tests.registry.reports import LENIENT

from cli_run import wb
from weighbridge.mirror.app import create_mirror_app

DOCKER = "application/vnd.docker.distribution.manifest.v2+json"


def test_admit_publish_and_pull_an_ollama_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    model = ollama_model(11)
    ollama = tmp_path / "ollama"
    (ollama / "blobs").mkdir(parents=True)
    for data in model.files.values():
        (ollama / "blobs" / f"sha256-{hashlib.sha256(data).hexdigest()}").write_bytes(data)
    manifest = ollama / "manifests" / "registry.ollama.ai" / "library" / "smollm2" / "135m"
    manifest.parent.mkdir(parents=True)
    manifest.write_bytes(model.manifest)
    monkeypatch.setenv("OLLAMA_MODELS", str(ollama))
    monkeypatch.setenv("WEIGHBRIDGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("USER", "tester")
    policy = tmp_path / "lenient.yaml"
    policy.write_text(LENIENT, encoding="utf-8")
    db, store = f"sqlite:///{tmp_path / 'reg.db'}", tmp_path / "store"

    code, out, _ = wb(
        capsys, monkeypatch, "admit", "ollama:smollm2:135m", "--policy", str(policy), "--db", db
    )
    assert code == 0 and out.startswith("ollama:smollm2:135m @ ")
    code, out, err = wb(
        capsys, monkeypatch, "mirror", "publish", "ollama:smollm2:135m", "--db", db, "--store", str(store)
    )
    assert code == 0, err
    assert "5 file(s) stored" in out

    client = TestClient(create_mirror_app(db, store_root=store))
    answer = client.get("/v2/library/smollm2/manifests/135m", headers={"Accept": DOCKER})
    assert answer.status_code == 200 and answer.content == model.manifest

    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "weights.bin").write_bytes(b"\x00" * 64)
    wb(capsys, monkeypatch, "admit", str(folder), "--policy", str(policy), "--db", db)
    code, _, err = wb(capsys, monkeypatch, "mirror", "publish", "plain", "--db", db, "--store", str(store))
    assert code == 2 and "was not recorded from an Ollama store" in err and err.count("\n") == 1
