"""What people read: `--version`, output that never wraps in logs, complete Markdown reports, findings that
say how many were left out, and an empty pickle that is not clean text (issue 15)."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "make_examples.py"
POLICIES = ROOT / "examples" / "policies"


def wb(*args: str, columns: str = "80") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS=columns)  # a narrow "terminal": output to a pipe must still not wrap
    return subprocess.run(
        [sys.executable, "-m", "weighbridge", *args], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("examples")
    subprocess.run([sys.executable, str(EXAMPLES), str(dest)], check=True, capture_output=True)
    return dest


def test_version_flag_and_command_agree() -> None:
    flag, command = wb("--version"), wb("version")
    assert flag.returncode == command.returncode == 0
    assert (
        flag.stdout == command.stdout
        and flag.stdout.startswith("weighbridge ")
        and flag.stdout.count("\n") == 1
    )


def test_output_to_a_pipe_never_wraps(examples: Path) -> None:
    result = wb(
        "inspect", str(examples / "llama-finetune"), "--policy", str(POLICIES / "eu-saas-startup.yaml")
    )
    digest = json.loads(wb("scan", str(examples / "llama-finetune"), "-f", "json").stdout)["manifest"][
        "digest"
    ]
    lines = result.stdout.splitlines()
    assert any(f"manifest sha256 {digest}" in line for line in lines), result.stdout  # the digest on one line
    assert any(len(line) > 80 for line in lines)  # long lines are kept whole, not folded at COLUMNS
    assert max(len(line) for line in lines) < 1000  # and no rule drawn across a "terminal" 4000 columns wide
    assert "verdict: WARN" in result.stderr and result.stderr.count("\n") == 1


def test_messages_quoting_files_keep_their_text(tmp_path: Path, examples: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("root:x:0:0:root:/root:/bin/bash\n")
    result = wb("inspect", str(examples / "tiny-chat-model"), "--policy", str(policy))
    assert result.returncode == 2 and "root:x:0:0" in result.stderr  # no ':x:' turned into an emoji
    assert "Value error" not in result.stderr and result.stderr.count("\n") == 1


def test_markdown_inspection_has_every_section_of_the_json(examples: Path) -> None:
    args = ("inspect", str(examples / "llama-finetune"), "--policy", str(POLICIES / "eu-saas-startup.yaml"))
    doc = json.loads(wb(*args, "-f", "json").stdout)
    markdown = wb(*args, "-f", "markdown").stdout
    headings = {
        "license": "## Licence",
        "provenance": "## Provenance",
        "openness": "## Openness",
        "inherited": "## Inherited obligations",
        "policy": "## Policy: eu-saas-startup — WARN",
    }
    for key, heading in headings.items():
        assert doc.get(key), key
        assert heading in markdown, heading
    assert "## Findings" in markdown and "## Files" in markdown
    for reason in doc["policy"]["reasons"]:  # every reason of the policy, each with its rule
        assert f"`{reason['rule']}`" in markdown
    assert doc["license"]["evidence"][0]["quote"] in markdown  # the quoted clauses are there
    assert "meta-llama/Llama-3.1-8B-Instruct" in markdown  # and the lineage


def test_empty_pickle_is_high_not_clean_text(tmp_path: Path) -> None:
    empty = tmp_path / "optimizer.pkl"
    empty.write_bytes(b"")
    result = wb("scan", str(empty), "-f", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["files"][0]["format"] == "pickle"
    (finding,) = report["findings"]
    assert finding["severity"] == "high" and "empty file (0 bytes)" in finding["detail"]
    plain = tmp_path / "notes.txt"
    plain.write_bytes(b"")
    assert wb("scan", str(plain)).returncode == 0  # an empty text file is still just that


def _gguf_with_repeated_keys(path: Path, repeats: int) -> None:
    """GGUF v3, no tensors, ``repeats`` metadata entries all named ``general.x`` (uint8 0)."""
    kv = b"".join(
        struct.pack("<Q", 9) + b"general.x" + struct.pack("<I", 0) + b"\x00" for _ in range(repeats)
    )
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, repeats) + kv)


@pytest.mark.parametrize("fmt", ["json", "markdown", "table"])
def test_findings_beyond_the_cap_say_how_many_were_left_out(tmp_path: Path, fmt: str) -> None:
    model = tmp_path / "many.gguf"
    _gguf_with_repeated_keys(model, 40)  # 39 repeats: 20 listed, 19 counted
    result = wb("scan", str(model), "-f", fmt)
    assert "19 more problem(s) of this kind not listed" in result.stdout, result.stdout
    if fmt == "json":
        repeated = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "WB-GGUF-006"]
        assert len(repeated) == 21


def test_pydantic_value_error_prefix_never_reaches_a_message() -> None:
    from fastapi.exceptions import RequestValidationError

    from weighbridge.core.findings import plain_message
    from weighbridge.web.app import jsonable_errors

    assert (
        plain_message("Value error, name must not be empty\n  (line 2)") == "name must not be empty (line 2)"
    )
    error = RequestValidationError(
        [{"loc": ("body", "name"), "msg": "Value error, bad name", "type": "value_error"}]
    )
    assert jsonable_errors(error) == [{"loc": ["body", "name"], "msg": "bad name", "type": "value_error"}]
