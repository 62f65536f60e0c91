"""A small Hub-API-shaped upstream on 127.0.0.1 for intake tests: repo info by revision (siblings with LFS
digests), ``/resolve/{commit}/{path}`` with ranges, and switches for misbehaviour (slow, stalling, oversized,
lying about digests, hostile file names). It records every request it answers."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from tests.provenance.folders import card

APACHE_FILES: dict[str, bytes] = {
    "README.md": card("license: apache-2.0\n", "# Tiny\n\nA small model.\n").encode(),
    "config.json": b'{"model_type": "llama"}',
    "model.safetensors": b"\x08\x00\x00\x00\x00\x00\x00\x00{}      " + b"\x00" * 4096,
}
LLAMA_FILES: dict[str, bytes] = {
    "README.md": card(
        "license: llama3.1\nbase_model: meta-llama/Llama-3.1-8B-Instruct\n", "# Acme Llama\n\nA fine-tune.\n"
    ).encode(),
    "config.json": b'{"model_type": "llama"}',
    "model.safetensors": b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ",
}


@dataclass
class FakeRepo:
    commit: str
    files: dict[str, bytes]
    extra_siblings: list[dict[str, object]] = field(default_factory=list)


@dataclass
class Behaviour:
    chunk: int = 64 * 1024
    delay: float = 0.0  # seconds between chunks
    stall_after: int | None = None  # stop sending (hold the connection) after this many bytes of a file
    extra_bytes: int = 0  # send this many bytes more than announced
    lie_sha: bool = False  # announce a wrong SHA-256
    ignore_range: bool = False


class FakeHub:
    def __init__(self) -> None:
        self.repos: dict[str, FakeRepo] = {}
        self.refs: dict[tuple[str, str], str] = {}
        self.behaviour = Behaviour()
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path, range)
        self.lock = threading.Lock()
        self.url = ""
        self.stop = threading.Event()

    def add(self, repo: str, files: dict[str, bytes], *, commit: str | None = None, ref: str = "main") -> str:
        commit = commit or hashlib.sha1(repr(sorted(files.items())).encode()).hexdigest()
        self.repos[f"{repo}@{commit}"] = FakeRepo(commit=commit, files=dict(files))
        self.refs[(repo, ref)] = commit
        self.refs[(repo, commit)] = commit
        return commit

    def downloads(self, path_suffix: str = "") -> list[tuple[str, str, str | None]]:
        with self.lock:
            return [
                r
                for r in self.requests
                if "/resolve/" in r[1] and r[0] == "GET" and r[1].endswith(path_suffix)
            ]


def _handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _json(self, status: int, doc: object) -> None:
            body = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            path = urlsplit(self.path).path
            with hub.lock:
                hub.requests.append(("GET", path, self.headers.get("Range")))
            parts = [unquote(p) for p in path.split("/")[1:]]
            if parts[:2] == ["api", "models"] and "revision" in parts:
                at = parts.index("revision")
                repo, rev = "/".join(parts[2:at]), parts[at + 1]
                commit = hub.refs.get((repo, rev))
                if commit is None:
                    return self._json(404, {"error": f"{repo}@{rev} not found"})
                entry = hub.repos[f"{repo}@{commit}"]
                siblings: list[dict[str, object]] = []
                for name, data in sorted(entry.files.items()):
                    sha = "0" * 64 if hub.behaviour.lie_sha else hashlib.sha256(data).hexdigest()
                    siblings.append(
                        {
                            "rfilename": name,
                            "size": len(data),
                            "lfs": {"sha256": sha, "size": len(data), "pointerSize": 130},
                        }
                    )
                return self._json(
                    200, {"id": repo, "sha": commit, "siblings": siblings + entry.extra_siblings}
                )
            if "resolve" in parts:
                at = parts.index("resolve")
                repo, commit, name = "/".join(parts[:at]), parts[at + 1], "/".join(parts[at + 2 :])
                entry = hub.repos.get(f"{repo}@{commit}")
                if entry is None or name not in entry.files:
                    return self._json(404, {"error": "no such file"})
                return self._send_file(entry.files[name])
            return self._json(404, {"error": "unknown route"})

        def _send_file(self, data: bytes) -> None:
            behaviour = hub.behaviour
            start = 0
            wanted = self.headers.get("Range")
            if wanted and not behaviour.ignore_range and wanted.startswith("bytes="):
                start = int(wanted[6:].split("-", 1)[0])
            body = data[start:] + b"\x00" * behaviour.extra_bytes
            self.send_response(206 if start else 200)
            self.send_header("Content-Length", str(len(body)))
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.end_headers()
            sent = 0
            try:
                while sent < len(body):
                    if behaviour.stall_after is not None and start + sent >= behaviour.stall_after:
                        hub.stop.wait(30)  # hold the connection, send nothing
                        return
                    end = (
                        len(body)
                        if behaviour.stall_after is None
                        else min(len(body), behaviour.stall_after - start)
                    )
                    piece = body[sent : min(end, sent + behaviour.chunk)]
                    self.wfile.write(piece)
                    self.wfile.flush()
                    sent += len(piece)
                    if behaviour.delay:
                        time.sleep(behaviour.delay)
            except (BrokenPipeError, ConnectionResetError):
                return

    return Handler


@contextmanager
def fake_hub() -> Iterator[FakeHub]:
    hub = FakeHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hub))
    server.daemon_threads = True
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield hub
    finally:
        hub.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
