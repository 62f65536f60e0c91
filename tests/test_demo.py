"""`make demo` on a fresh clone: every example is shown, nothing is read from outside the checkout, and the
intended failures read as intended (no `Error 1 (ignored)`)."""

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
    (bin_dir / "python").symlink_to(sys.executable)
    (bin_dir / "weighbridge").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m weighbridge "$@"\n')
    (bin_dir / "weighbridge").chmod(0o755)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
               COLUMNS="200")
    result = subprocess.run(["sh", "examples/demo.sh", str(bin_dir)], cwd=clone, capture_output=True, text=True,
                            env=env, timeout=300)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    for example in ("tiny-chat-model", "tampered-checkpoint", "llama-finetune", "qwen-chat"):
        assert f"=== {example}" in out
    assert "as expected: the tampered checkpoint fails the gate (exit 1)" in out
    assert "as expected: the government-agency policy refuses this model (exit 1)" in out
    assert "Error 1" not in out and "ignored" not in out and "unexpected exit" not in out
    assert "policy eu-saas-startup: warn" in out and "# Weighbridge inspection" in out


def test_demo_licences_are_our_own_words() -> None:
    for text in (ROOT / "examples" / "licenses").glob("*.txt"):
        body = text.read_text(encoding="utf-8")
        assert "written for Weighbridge" in body and "fictional" in body, text
