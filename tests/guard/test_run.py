"""weighbridge run: which arguments are models, refusal before the command starts, exit codes forwarded;
verify --registry on the command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from guard.conftest import Admitted, flip_byte
from weighbridge.core.registry import DecisionAction
from weighbridge.guard.run import find_models


def wb(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "weighbridge", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ, COLUMNS="200", **(env or {})),
        timeout=120,
    )


def test_find_models(tmp_path: Path) -> None:
    folder = tmp_path / "hf-folder"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    plain = tmp_path / "plain"
    plain.mkdir()
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    pt = tmp_path / "w.pt"
    pt.write_bytes(b"x")
    script = tmp_path / "serve.py"
    script.write_text("")
    named = find_models(
        [
            "python",
            str(script),
            str(folder),
            str(plain),
            f"--weights={pt}",
            "-m",
            str(gguf),
            "--model",
            "org/name",
            "--model=other/name",
            str(tmp_path / "missing.gguf"),
        ]
    )
    assert named.paths == (str(folder), str(pt), str(gguf))
    assert named.hub_ids == ("org/name", "other/name")
    assert find_models(["python", "-m", "http.server", "8000"]).paths == ()
    assert find_models(["python", "-m", "http.server"]).hub_ids == ()
    assert find_models([str(gguf)]).paths == ()  # the program itself is not a model


def test_run_admitted_forwards_the_exit_code(admitted: Admitted) -> None:
    code = "import sys; print(open(sys.argv[1] + '/config.json').read().strip()); sys.exit(7)"
    result = wb("run", "--db", admitted.url, "--", sys.executable, "-c", code, str(admitted.folder))
    assert result.returncode == 7, result.stderr
    assert result.stdout.strip() == '{"model_type": "llama"}'


def test_run_refuses_a_tampered_model(admitted: Admitted, tmp_path: Path) -> None:
    flip_byte(admitted.folder / "model.safetensors", 3)
    marker = tmp_path / "ran"
    code = f"open({str(marker)!r}, 'w').write('ran')"
    result = wb(
        "run", "--db", admitted.url, "--", sys.executable, "-c", code, "--model", str(admitted.folder)
    )
    assert result.returncode == 1  # a refusal, as `verify` reports the same fact
    assert result.stderr.startswith(
        f"weighbridge: refused: {admitted.folder} is tampered: changed: model.safetensors (sha256 "
    )
    assert result.stderr.count("\n") == 1 and not marker.exists()


def test_run_refusals_without_a_model_or_with_a_hub_id(admitted: Admitted) -> None:
    none = wb("run", "--db", admitted.url, "--", sys.executable, "-c", "pass")
    assert none.returncode == 2 and "no model file or folder found in the command" in none.stderr
    hub = wb("run", "--db", admitted.url, "--", "vllm", "serve", "--model", "Qwen/Qwen2.5-7B-Instruct")
    assert hub.returncode == 1 and "Qwen/Qwen2.5-7B-Instruct is not a local path" in hub.stderr
    missing = wb("run", "--db", admitted.url, "--", "no-such-program-xyz", str(admitted.folder))
    assert missing.returncode == 2 and missing.stderr.startswith(
        "weighbridge: error: cannot run no-such-program"
    )


def test_run_forwards_signals(admitted: Admitted) -> None:
    code = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *a: sys.exit(42))\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "weighbridge",
            "run",
            "--db",
            admitted.url,
            "--",
            sys.executable,
            "-c",
            code,
            str(admitted.folder),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 42 and time.monotonic() - started < 10


def test_verify_registry_on_the_command_line(admitted: Admitted) -> None:
    ok = wb("verify", str(admitted.folder), "--registry", "--db", admitted.url)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith(f"OK: {admitted.folder}: 2 file(s) identical (2 hashed)")
    admitted.registry.decide("tiny-model", DecisionAction.REVOKE, actor="bob", reason="licence changed")
    revoked = wb("verify", str(admitted.folder), "--registry", "--db", admitted.url, "--model", "tiny-model")
    assert revoked.returncode == 1
    assert "tiny-model@" in revoked.stdout and "is revoked: licence changed" in revoked.stdout
    flip_byte(admitted.folder / "config.json")
    changed = wb("verify", str(admitted.folder), "--registry", "--db", admitted.url, "--json")
    doc = json.loads(changed.stdout)
    assert changed.returncode == 1 and doc["changes"][0]["path"] == "config.json"
    assert doc["registry"]["admitted"] is False and doc["registry"]["version"]["decision"] == "revoked"
    text = wb("verify", str(admitted.folder), "--registry", "--db", admitted.url).stdout.splitlines()
    assert text[0].startswith("changed: config.json (sha256 ")
    assert text[1].startswith(
        f"NOT ADMITTED: {admitted.folder} is not admitted: changed: config.json (sha256 "
    )
    assert " compared with tiny-model@" in text[1] and text[1].endswith("(revoked)") and len(text) == 2


def test_verify_registry_tells_tampered_from_not_admitted(admitted: Admitted, tmp_path: Path) -> None:
    flip_byte(admitted.folder / "config.json")
    tampered = wb("verify", str(admitted.folder), "--registry", "--db", admitted.url)
    assert tampered.returncode == 1
    assert tampered.stdout.splitlines()[-1].startswith(
        f"TAMPERED: {admitted.folder} is tampered: changed: config.json"
    )
    doc = json.loads(wb("verify", str(admitted.folder), "--registry", "--db", admitted.url, "--json").stdout)
    assert doc["registry"]["status"] == "tampered"
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "config.json").write_text('{"model_type": "other"}')
    unknown = wb("verify", str(stranger), "--registry", "--db", admitted.url)
    assert unknown.returncode == 1
    assert unknown.stdout.splitlines()[-1].startswith(
        f"NOT ADMITTED: {stranger} is not admitted: no admitted registry version"
    )


def test_refusals_exit_1_in_every_command(admitted: Admitted, tmp_path: Path) -> None:
    """The same fact (these bytes are not the admitted ones) is exit 1 for verify, run and the guard's CLI
    users alike; usage errors stay 2."""
    flip_byte(admitted.folder / "model.safetensors", 3)
    verify = wb("verify", str(admitted.folder), "--registry", "--db", admitted.url)
    run = wb("run", "--db", admitted.url, "--model", str(admitted.folder), "--", sys.executable, "-c", "pass")
    assert verify.returncode == run.returncode == 1
    assert run.stderr.count("\n") == 1 and "tampered" in run.stderr
    usage = wb(
        "run", "--db", admitted.url, "--model", str(tmp_path / "missing"), "--", sys.executable, "-c", "pass"
    )
    assert usage.returncode == 2 and usage.stderr.startswith(
        "weighbridge: error: no such model file or folder"
    )


def test_run_model_accepts_hf_and_ollama_targets(admitted: Admitted, tmp_path: Path) -> None:
    import shutil

    cache = tmp_path / "hf"
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = cache / "models--acme--tiny-model"
    snapshot = repo / "snapshots" / commit
    (repo / "blobs").mkdir(parents=True)
    snapshot.mkdir(parents=True)
    for f in admitted.version.files:  # the cache layout: blobs named by digest, snapshot entries link to them
        shutil.copyfile(admitted.folder / f.path, repo / "blobs" / f.sha256)
        (snapshot / f.path).symlink_to(f"../../blobs/{f.sha256}")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    env = {"HF_HUB_CACHE": str(cache), "OLLAMA_MODELS": str(tmp_path / "ollama")}
    ok = wb(
        "run",
        "--db",
        admitted.url,
        "--model",
        "hf:acme/tiny-model",
        "--",
        sys.executable,
        "-c",
        "raise SystemExit(5)",
        env=env,
    )
    assert ok.returncode == 5, ok.stderr  # the admitted bytes, reached through the HF cache: the command ran
    flip_byte(snapshot / "config.json")
    refused = wb(
        "run",
        "--db",
        admitted.url,
        "--model",
        "hf:acme/tiny-model",
        "--",
        sys.executable,
        "-c",
        "pass",
        env=env,
    )
    assert refused.returncode == 1 and "tampered" in refused.stderr, refused.stderr
    missing = wb(
        "run",
        "--db",
        admitted.url,
        "--model",
        "ollama:not-pulled",
        "--",
        sys.executable,
        "-c",
        "pass",
        env=env,
    )
    assert missing.returncode == 2 and "no such model file or folder" not in missing.stderr, missing.stderr
    assert missing.stderr.count("\n") == 1


@pytest.mark.parametrize("args", [("verify", "x", "--model", "m"), ("run", "--db", "sqlite:///x.db")])
def test_usage_errors(args: tuple[str, ...]) -> None:
    result = wb(*args)
    assert result.returncode == 2 and result.stderr.startswith("weighbridge: error: ")
