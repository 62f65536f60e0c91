"""`weighbridge audit run` end to end in a subprocess: a scripted OpenAI-compatible server, one-line errors."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from tests.audit_runtimes.scripted_server import scripted_server

from weighbridge.audit.runfile import load_run
from weighbridge.cli.audit_run import default_cache
from weighbridge.core.audit import Outcome

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "200"}


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "weighbridge", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=ENV,
        stdin=subprocess.DEVNULL,
    )


def suite_file(tmp_path: Path) -> Path:
    path = tmp_path / "smoke.txt"
    path.write_text("plain first question\nlength second question\nreasoning_content third\nflaky fourth\n")
    return path


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("weighbridge: error: "), result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_run_against_an_openai_compatible_server(tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    with scripted_server() as server:
        args = [
            "audit",
            "run",
            "scripted-model",
            "--runtime",
            "openai",
            "--endpoint",
            server.url + "/v1",
            "--suite",
            str(suite_file(tmp_path)),
            "--samples",
            "2",
            "--temperature",
            "0.9",
            "--max-tokens",
            "50",
            "--seed",
            "7",
            "--stop",
            "###",
            "-o",
            str(out),
        ]
        result = cli(*args, "-j", "3")
        assert result.returncode == 0, result.stderr
        bodies = list(server.requests)
        run = load_run(out)
        server.requests.clear()
        again = cli(*args)
        assert again.returncode == 0, again.stderr
        assert server.requests == []  # everything came from the cache
    assert len(run.prompts) == 4 and len(run.samples) == 12
    assert run.model.endpoint == server.url and run.model.model_name == "scripted-model"
    assert (run.settings.temperature, run.settings.max_tokens, run.settings.seed, run.settings.stop) == (
        0.9,
        50,
        7,
        ("###",),
    )
    outcomes = [s.completion.outcome for s in run.samples]
    assert outcomes.count(Outcome.TRUNCATED) == 3 and outcomes.count(Outcome.OK) == 9
    assert (
        all(b["stop"] == ["###"] and b["max_tokens"] == 50 for b in bodies) and len(bodies) == 13
    )  # 1 retry
    assert "4 prompts x (greedy + 2 sample(s)) = 12 generations (12 new, 0 cached)" in result.stdout
    assert "(0 new, 12 cached)" in again.stdout and default_cache(out).is_file()
    # progress on stderr from before the first answer (lines, as stderr is not a terminal here), and the rates'
    # exclusions said next to the summary
    progress = result.stderr.splitlines()
    assert progress[0].startswith("audit: 0 of 12 generations (0 %)") and progress[-1].startswith(
        "audit: 12 of 12 generations (100 %)"
    )
    assert "answers excluded from the rates (truncated " in result.stdout
    assert json.loads(out.read_text())["samples"] == [s.to_dict() for s in run.samples]


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["m", "--runtime", "openai", "--endpoint", "localhost:1"], ["bad endpoint"]),
        (["m", "--runtime", "openai"], ["needs --endpoint"]),
        (["missing.gguf", "--runtime", "llama-cpp"], ["no such file or folder: missing.gguf"]),
        (["missing-folder", "--runtime", "transformers"], ["no such folder"]),
        (
            ["m", "--runtime", "openai", "--endpoint", "http://127.0.0.1:9", "--suite", "no-such-suite"],
            ["no built-in suite 'no-such-suite'"],
        ),
        (["m", "--runtime", "vllm"], ["unknown runtime 'vllm'"]),
        (["m", "--endpoint", "http://127.0.0.1:9"], ["--runtime is required"]),
        (["m", "--runtime", "openai", "--samples", "-1"], ["--samples must be 0 or more"]),
        (["m", "--runtime", "openai", "--top-p", "1.5"], ["--top-p must be between 0 and 1"]),
        (["m", "--runtime", "openai", "--max-tokens", "0"], ["--max-tokens must be at least 1"]),
        (["m", "--runtime", "openai", "--no-greedy", "--samples", "0"], ["nothing to generate"]),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path: Path, args: list[str], fragments: list[str]) -> None:
    assert_one_line_error(cli("audit", "run", *args, "-o", str(tmp_path / "run.json")), *fragments)
    assert not (tmp_path / "run.json").exists()


def test_unreachable_endpoint_fails_fast(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = cli(
        "audit",
        "run",
        "m",
        "--runtime",
        "openai",
        "--endpoint",
        f"http://127.0.0.1:{port}",
        "--suite",
        str(suite_file(tmp_path)),
        "-o",
        str(tmp_path / "run.json"),
        timeout=30,
    )
    assert_one_line_error(result, "cannot reach endpoint")


def test_output_folder_must_exist(tmp_path: Path) -> None:
    result = cli(
        "audit",
        "run",
        "m",
        "--runtime",
        "openai",
        "--endpoint",
        "http://127.0.0.1:9",
        "-o",
        str(tmp_path / "nowhere" / "run.json"),
    )
    assert_one_line_error(result, "does not exist")


def test_help_documents_the_defaults() -> None:
    result = cli("audit", "run", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for default in ("temperature 0.7", "max tokens 1024", "3 samples + greedy", "no stop sequences"):
        assert default in text
