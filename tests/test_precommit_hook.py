"""The pre-commit hook definition and the multi-file `weighbridge scan` it relies on (issue 11, start-up)."""

from __future__ import annotations

import json
import os
import pickle
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
HOOKS = ROOT / ".pre-commit-hooks.yaml"
# A protocol-0 pickle that would call os.system: written as bytes, never loaded.
MALICIOUS = b"cos\nsystem\n(S'echo pwned'\ntR."


def hook() -> dict[str, Any]:
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert isinstance(hooks, list)
    (found,) = [h for h in hooks if h["id"] == "weighbridge-scan"]
    assert isinstance(found, dict)
    return found


def run_entry(files: list[Path]) -> subprocess.CompletedProcess[str]:
    """Run the hook's ``entry`` the way pre-commit does (entry + file names), with this interpreter."""
    argv = shlex.split(hook()["entry"])
    assert argv[0] == "weighbridge"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run(
        [sys.executable, "-m", "weighbridge", *argv[1:], *map(str, files)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    benign = tmp_path / "weights.pkl"
    benign.write_bytes(pickle.dumps({"layer.weight": [0.5, 1.5], "step": 3}, protocol=4))
    second = tmp_path / "other.pt"
    second.write_bytes(pickle.dumps(["a", "b", 1], protocol=2))
    malicious = tmp_path / "model.pkl"
    malicious.write_bytes(MALICIOUS)
    return {"benign": benign, "second": second, "malicious": malicious}


def test_hook_definition_is_complete() -> None:
    found = hook()
    assert found["entry"] == "weighbridge scan --fail-on high"
    assert found["pass_filenames"] is True
    assert found["language"] == "python"
    assert found["name"]


@pytest.mark.parametrize(
    ("name", "matched"),
    [
        ("model.pkl", True),
        ("sub/dir/pytorch_model.bin", True),
        ("x.GGUF", True),
        ("m.safetensors", True),
        ("saved_model.pb", True),
        ("a.h5", True),
        ("m.keras", True),
        ("t.onnx", True),
        ("chat_template.jinja", True),
        ("archive.7z", True),
        ("model.tflite", True),
        ("README.md", False),
        ("train.py", False),
        ("config.json", False),
        ("notes.pkl.txt", False),
    ],
)
def test_hook_files_pattern_selects_model_artifacts(name: str, matched: bool) -> None:
    assert bool(re.search(hook()["files"], name)) is matched


def test_hook_entry_fails_on_a_malicious_file_among_benign_ones(files: dict[str, Path]) -> None:
    result = run_entry([files["benign"], files["malicious"], files["second"]])
    assert result.returncode == 1, result.stderr
    assert "WB-PKL-001" in result.stdout and "model.pkl" in result.stdout
    assert result.stdout.count("Weighbridge ") == 3  # one report per file


def test_hook_entry_passes_benign_files(files: dict[str, Path]) -> None:
    result = run_entry([files["benign"], files["second"]])
    assert result.returncode == 0, result.stdout + result.stderr
    single = run_entry([files["benign"]])
    assert single.returncode == 0
    assert single.stdout.count("Weighbridge ") == 1


def test_several_targets_as_json_array_and_missing_one_exits_2(
    files: dict[str, Path], tmp_path: Path
) -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    argv = [sys.executable, "-m", "weighbridge", "scan", "-f", "json"]
    both = subprocess.run(
        [*argv, str(files["benign"]), str(files["malicious"])],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert both.returncode == 1
    reports = json.loads(both.stdout)
    assert [r["target"]["input"] for r in reports] == [str(files["benign"]), str(files["malicious"])]
    assert all(r["schema"] == "weighbridge.report/1" for r in reports)
    missing = subprocess.run(
        [*argv, str(files["benign"]), str(tmp_path / "gone.pkl")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert missing.returncode == 2
    assert (
        missing.stderr.strip().startswith("weighbridge: error:")
        and len(missing.stderr.strip().splitlines()) == 1
    )
    assert len(json.loads(missing.stdout)) == 1
    sarif = subprocess.run(
        [*argv[:-1], "sarif", str(files["benign"]), str(files["malicious"])],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert sarif.returncode == 1
    assert len(json.loads(sarif.stdout)["runs"]) == 2
