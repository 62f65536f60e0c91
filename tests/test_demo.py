"""`make demo` on a fresh clone: every example is shown, nothing is read from outside the checkout, the
intended failures read as intended (no `Error 1 (ignored)`), and the mirror serves a pull of the admitted example
to the real huggingface_hub client and refuses the tampered one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_demo_shows_every_example_from_the_checkout_alone(tmp_path: Path) -> None:
    clone = tmp_path / "clone"  # only what a clone has: no ../shared next to it
    shutil.copytree(ROOT / "examples", clone / "examples", ignore=shutil.ignore_patterns("build"))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, command in (
        ("python", f'"{sys.executable}"'),
        ("weighbridge", f'"{sys.executable}" -m weighbridge'),
    ):
        (bin_dir / name).write_text(f'#!/bin/sh\nexec {command} "$@"\n')  # a symlink would leave the venv
        (bin_dir / name).chmod(0o755)
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
        COLUMNS="200",
    )
    result = subprocess.run(
        ["sh", "examples/demo.sh", str(bin_dir)],
        cwd=clone,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    for example in ("tiny-chat-model", "tampered-checkpoint", "llama-finetune", "qwen-chat"):
        assert f"=== {example}" in out
    assert "as expected: the tampered checkpoint fails the gate (exit 1)" in out
    assert "as expected: the government-agency policy refuses this model (exit 1)" in out
    assert "Error 1" not in out and "ignored" not in out and "unexpected exit" not in out
    assert "policy eu-saas-startup: warn" in out and "# Weighbridge inspection" in out
    # the README's first command demonstrates a pull: the real huggingface_hub client through the mirror
    assert "weighbridge mirror serve is up on http://127.0.0.1:" in out
    assert "pulled weighbridge-examples/tiny-chat-model through the mirror: README.md, config.json" in out
    assert (
        "refused: GatedRepoError: weighbridge mirror: weighbridge-examples/tampered-checkpoint@main: rejected: "
        "policy research-lab: fail"
    ) in out
    assert "as expected: the mirror serves the admitted model and refuses the rejected one" in out
    assert result.stdout.rstrip().endswith("mirror stopped")
    served = clone / "examples" / "build" / "mirror-demo" / "hf-cache"
    pulled = next(served.glob("models--weighbridge-examples--tiny-chat-model/snapshots/*/"))
    source = clone / "examples" / "build" / "mirror-demo" / "models" / "tiny-chat-model"
    assert {p.name: p.read_bytes() for p in pulled.iterdir()} == {
        p.name: p.read_bytes() for p in source.iterdir()
    }
    assert not list(served.glob("models--weighbridge-examples--tampered-checkpoint/snapshots/*/*"))


def test_demo_licences_are_our_own_words() -> None:
    for text in (ROOT / "examples" / "licenses").glob("*.txt"):
        body = text.read_text(encoding="utf-8")
        assert "written for Weighbridge" in body and "fictional" in body, text
