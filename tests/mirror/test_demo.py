"""The README's two-command path: the example registry of examples/mirror_demo.py, pulled with huggingface_hub."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from huggingface_hub import snapshot_download
from huggingface_hub.errors import GatedRepoError
from tests.web.server import serve_in_thread

from weighbridge.mirror.app import create_mirror_app

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_example_registry_serves_the_admitted_example_and_refuses_the_tampered_one(tmp_path: Path) -> None:
    built = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "examples" / "mirror_demo.py"),
            "--no-serve",
            "--dest",
            str(tmp_path / "build"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    assert "weighbridge-examples/tiny-chat-model: admitted" in built.stdout
    mirror = tmp_path / "build" / "mirror"
    app = create_mirror_app(str(mirror / "registry.db"), store_root=mirror / "store")
    try:
        with serve_in_thread(app) as url:
            path = Path(
                snapshot_download(
                    "weighbridge-examples/tiny-chat-model", endpoint=url, cache_dir=tmp_path / "hf"
                )
            )
            source = tmp_path / "build" / "models" / "tiny-chat-model"
            assert {p.name: p.read_bytes() for p in path.iterdir()} == {
                p.name: p.read_bytes() for p in source.iterdir()
            }
            with pytest.raises(
                GatedRepoError, match="tampered-checkpoint@main: rejected: policy research-lab"
            ):
                snapshot_download(
                    "weighbridge-examples/tampered-checkpoint", endpoint=url, cache_dir=tmp_path / "hf"
                )
    finally:
        app.state.mirror.registry.close()
