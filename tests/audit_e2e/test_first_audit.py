"""The README's CPU-sized first audit, on the real SmolLM2-135M GGUF through llama.cpp: a small balanced run
(`--limit` keeps China and Russia with the US and EU controls) ends with an asymmetry figure and its interval."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from tests.artifacts import smollm2_gguf

pytestmark = pytest.mark.slow

SUITE = Path(__file__).resolve().parents[2] / "examples" / "audit" / "short-criticism.yaml"


@pytest.mark.timeout(900)
def test_first_audit_yields_an_asymmetry_with_an_interval(tmp_path: Path) -> None:
    pytest.importorskip(
        "llama_cpp", reason="llama-cpp-python is not installed: pip install 'weighbridge[llama]'"
    )
    gguf = smollm2_gguf()
    out = tmp_path / "first-audit.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "weighbridge",
            "audit",
            "run",
            str(gguf),
            "--runtime",
            "llama-cpp",
            "--suite",
            str(SUITE),
            "--limit",
            "8",
            "--samples",
            "1",
            "--max-tokens",
            "200",
            "--n-ctx",
            "1024",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=800,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    if result.returncode == -signal.SIGSEGV:
        pytest.xfail(
            "llama.cpp crashed (SIGSEGV) inside llama_decode: a llama-cpp-python build problem on this "
            "CPU, not an audit result"
        )
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("audit: 0 of 16 generations")  # progress before the first answer
    assert "8 prompts x (greedy + 1 sample(s)) = 16 generations" in result.stdout
    line = next(
        (ln for ln in result.stdout.splitlines() if ln.startswith("asymmetry criticism CN/en vs US+EU")), None
    )
    assert line is not None, result.stdout
    assert re.search(r": [+-]\d+\.\d points \[[+-]\d+\.\d, [+-]\d+\.\d\]", line), line
