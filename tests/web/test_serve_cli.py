"""`weighbridge serve`: loopback by default, 0.0.0.0 only with --allow-remote (and a warning), one-line
errors, and a real server process answering on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.web.conftest import CLEAN, Filled
from typer.testing import CliRunner

from weighbridge.cli.main import app


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record what would be served (the app and the bound socket's address) instead of serving it."""
    from weighbridge.cli import serve as serve_module

    calls: list[dict[str, Any]] = []

    def record(application: Any, listener: socket.socket) -> None:
        host, port = listener.getsockname()[:2]
        listener.close()
        calls.append({"app": application, "host": host, "port": port})

    monkeypatch.setattr(serve_module, "run_server", record)
    return calls


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_refuses_a_public_address_without_allow_remote(
    uvicorn_calls: list[dict[str, Any]], filled: Filled
) -> None:
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--db", filled.url()])
    assert result.exit_code == 2
    assert "refusing to bind 0.0.0.0" in result.output and "--allow-remote" in result.output
    assert uvicorn_calls == []


def test_allow_remote_warns_and_turns_anonymous_reads_off(
    uvicorn_calls: list[dict[str, Any]], filled: Filled
) -> None:
    port = free_port()
    result = CliRunner().invoke(
        app, ["serve", "--host", "0.0.0.0", "--allow-remote", "--db", filled.url(), "--port", str(port)]
    )
    assert result.exit_code == 0, result.output
    assert "warning: serving on 0.0.0.0" in result.output
    (call,) = uvicorn_calls
    assert call["host"] == "0.0.0.0" and call["port"] == port
    assert call["app"].state.web.allow_anonymous_read is False


def test_loopback_defaults(uvicorn_calls: list[dict[str, Any]], filled: Filled) -> None:
    port = free_port()
    result = CliRunner().invoke(app, ["serve", "--db", filled.url(), "--port", str(port)])
    assert result.exit_code == 0, result.output
    (call,) = uvicorn_calls
    assert call["host"] == "127.0.0.1" and call["port"] == port
    assert call["app"].state.web.allow_anonymous_read is True
    # the start line names only URLs that exist, and says so after the port was bound
    assert f"dashboard on http://127.0.0.1:{port}/" in result.output and "/openapi.json" in result.output
    assert "/docs" not in result.output
    CliRunner().invoke(
        app, ["serve", "--db", filled.url(), "--no-anonymous-read", "--port", str(free_port())]
    )
    assert uvicorn_calls[1]["app"].state.web.allow_anonymous_read is False


def test_unusable_database_is_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "weighbridge", "serve", "--db", "mysql://nowhere/x"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("weighbridge: error:") and "Traceback" not in result.stderr


def test_a_real_server_answers(filled: Filled) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, WEIGHBRIDGE_HOME=str(filled.db.parent / "home"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "weighbridge", "serve", "--port", str(port), "--db", filled.url()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/v1/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        assert response.json()["status"] == "ok"
        assert "Inventory" in httpx.get(f"http://127.0.0.1:{port}/", timeout=5).text
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_busy_port_is_one_line_and_exit_2(filled: Filled) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "weighbridge", "serve", "--port", str(port), "--db", filled.url()],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and result.stdout == ""
    assert result.stderr.startswith(
        f"weighbridge: error: cannot listen on 127.0.0.1:{port}: the port is already in use"
    )
    assert "dashboard on" not in result.stderr and "Traceback" not in result.stderr


def test_the_urls_the_start_line_names_exist(filled: Filled) -> None:
    port = free_port()
    env = dict(os.environ, WEIGHBRIDGE_HOME=str(filled.db.parent / "home"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "weighbridge", "serve", "--port", str(port), "--db", filled.url()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        urls = [word for word in line.split() if word.startswith("http://")]
        assert len(urls) == 3 and "/docs" not in line, line
        for url in urls:
            response = httpx.get(url, timeout=10)
            assert response.status_code == 200, (url, response.status_code)
        assert httpx.get(f"{urls[1]}/{CLEAN}", timeout=10).json()["model"] == CLEAN
    finally:
        proc.terminate()
        proc.wait(timeout=10)
