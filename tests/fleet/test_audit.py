"""fleet audit against tiny local OpenAI-compatible servers (threading http.server on 127.0.0.1, canned
answers): admitted models only, served ids matched to registry names, requests in flight bounded per
endpoint, every run recorded, a re-run answered from the completion cache."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from tests.fleet.mirror import build_mirror

from weighbridge.audit.suites import load_suite
from weighbridge.core.findings import WeighbridgeError
from weighbridge.core.registry import DecisionAction
from weighbridge.fleet import fleet_scan
from weighbridge.fleet.audit import EndpointSpec, fleet_audit, parse_endpoint
from weighbridge.fleet.executors import make_executor
from weighbridge.registry import Registry, open_registry

OLLAMA = "ollama:registry.ollama.ai/library/ollama-{}:latest"


class CannedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, models: list[str], delay: float = 0.03) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.models = models
        self.delay = delay
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.asked: dict[str, int] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: CannedServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._send({"object": "list", "data": [{"id": m, "object": "model"} for m in self.server.models]})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.in_flight += 1
            self.server.max_in_flight = max(self.server.max_in_flight, self.server.in_flight)
            self.server.asked[body["model"]] = self.server.asked.get(body["model"], 0) + 1
        time.sleep(self.server.delay)
        with self.server.lock:
            self.server.in_flight -= 1
        self._send(
            {
                "id": "c",
                "object": "chat.completion",
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": "Here is a balanced answer."},
                    }
                ],
                "usage": {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10},
            }
        )


@contextmanager
def canned(models: list[str]) -> Iterator[CannedServer]:
    server = CannedServer(models)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture()
def registry(tmp_path: Path) -> Iterator[Registry]:
    """Three Ollama models and two folders recorded by a fleet scan; two Ollama models and a folder approved."""
    mirror = build_mirror(tmp_path / "mirror", hf_repos=0, folders=2, ollama_models=3, loose=0, seed=3)
    with open_registry() as reg, make_executor("local", workers=1) as pool:
        fleet_scan([str(mirror.root)], executor=pool, store=reg)
        for name in (OLLAMA.format(0), OLLAMA.format(1), "models/org0/folder-0"):
            reg.decide(name, DecisionAction.APPROVE, actor="tester", reason="test fixture")
        yield reg


def test_admitted_models_audited_with_bounded_concurrency(registry: Registry, tmp_path: Path) -> None:
    suites = [load_suite("official-line")]
    with (
        canned(["ollama-0:latest", "ollama-1:latest", "ollama-2:latest", "not-registered"]) as a,
        canned(["folder-model"]) as b,
    ):
        endpoints = [parse_endpoint(a.url), parse_endpoint(f"{b.url}/v1=models/org0/folder-0")]
        result = fleet_audit(
            registry,
            endpoints,
            suites,
            samples=1,
            concurrency_per_endpoint=2,
            limit=4,
            cache_dir=tmp_path / "cache",
        )
        by_model = {o.model: o for o in result.outcomes}
        assert result.counts() == {"audited": 3, "skipped": 2}, result.outcomes
        assert by_model[OLLAMA.format(2)].reason == "newest version is needs-review, not admitted"
        assert by_model["not-registered"].reason == "not in the registry"
        assert by_model["models/org0/folder-0"].served == "folder-model"  # the endpoint's only model
        for name in (OLLAMA.format(0), OLLAMA.format(1), "models/org0/folder-0"):
            assert by_model[name].samples == 8 and by_model[name].outcomes == {
                "ok": 8
            }  # 4 prompts x (greedy + 1)
        assert a.asked == {"ollama-0:latest": 8, "ollama-1:latest": 8} and b.asked == {"folder-model": 8}
        assert a.max_in_flight == 2 and b.max_in_flight <= 2  # never more than K per endpoint
        assert registry.counts()["audits"] == 3
        detail = registry.version_detail(OLLAMA.format(0))
        assert [x["summary"]["samples"] for x in detail["audits"]] == [8]

        again = fleet_audit(
            registry,
            endpoints,
            suites,
            samples=1,
            concurrency_per_endpoint=2,
            limit=4,
            cache_dir=tmp_path / "cache",
        )
        assert again.counts() == {"audited": 3, "skipped": 2}
        assert a.asked == {"ollama-0:latest": 8, "ollama-1:latest": 8}  # answered from the completion cache


def test_unknown_model_and_bad_endpoint_are_one_line_errors(registry: Registry) -> None:
    with canned(["x"]) as server, pytest.raises(WeighbridgeError, match="not in the registry"):
        fleet_audit(registry, [EndpointSpec(server.url, "nobody/nothing")], [load_suite("official-line")])
    with pytest.raises(WeighbridgeError, match="bad --endpoint"):
        parse_endpoint("ftp://host=model")


def test_unreachable_endpoint_fails_its_audits_only(registry: Registry, tmp_path: Path) -> None:
    with canned(["ollama-0:latest"]) as up:
        down = "http://127.0.0.1:9"  # discard port: nothing listens
        result = fleet_audit(
            registry,
            [EndpointSpec(up.url), EndpointSpec(down, OLLAMA.format(1))],
            [load_suite("official-line")],
            samples=0,
            limit=2,
            served_models=lambda url: [] if url == down else ["ollama-0:latest"],
        )
    assert {o.model: o.status for o in result.outcomes} == {
        OLLAMA.format(0): "audited",
        OLLAMA.format(1): "error",
    }


def test_cli(registry: Registry, home: Path) -> None:
    with canned(["ollama-1:latest"]) as server:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "weighbridge",
                "fleet",
                "audit",
                "--endpoint",
                server.url,
                "--suite",
                "official-line",
                "--limit",
                "2",
                "--samples",
                "0",
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["counts"] == {"audited": 1} and doc["runs"][0]["model"] == OLLAMA.format(1)
    bad = subprocess.run(
        [sys.executable, "-m", "weighbridge", "fleet", "audit", "--endpoint", "nonsense"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and bad.stderr.startswith("weighbridge: error: bad --endpoint")
    assert len(bad.stderr.strip().splitlines()) == 1
