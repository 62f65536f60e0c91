"""A tiny OpenAI-compatible server on 127.0.0.1 for tests: the user message names the scripted reply."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def chat(content: str | None, finish: str = "stop", **message: Any) -> dict[str, Any]:
    return {
        "id": "x",
        "object": "chat.completion",
        "model": "scripted-model",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish,
                "message": {"role": "assistant", "content": content, **message},
            }
        ],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
    }


# case name → list of (status, body) served in turn (the last one repeats)
SCRIPT: dict[str, list[tuple[int, Any]]] = {
    "plain": [(200, chat("A plain answer."))],
    "reasoning_content": [(200, chat("The answer.", reasoning_content="Thinking it over."))],
    "reasoning_field": [(200, chat("The answer.", reasoning="Thinking differently."))],
    "inline_think": [(200, chat("<think>Inline thoughts.</think>\n\nInline answer."))],
    "unterminated_think": [(200, chat("<think>Still thinking when the cap hit", finish="stop"))],
    "length": [(200, chat("Cut off mid", finish="length"))],
    "content_filter": [(200, chat("", finish="content_filter"))],
    "empty": [(200, chat(None))],
    "flaky": [(500, {"error": {"message": "overloaded"}}), (200, chat("Recovered answer."))],
    "always_500": [(500, {"error": {"message": "backend exploded"}})],
    "bad_request": [(400, {"error": {"message": "max_tokens too large"}})],
    "garbage": [(200, b"this is {not json")],
    "no_choices": [(200, {"object": "chat.completion", "choices": []})],
}


class ScriptedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, models: list[str]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.models = models
        self.requests: list[dict[str, Any]] = []  # bodies of chat requests, in arrival order
        self.served: dict[str, int] = {}
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: ScriptedServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/v1/models":
            self._send(
                200, {"object": "list", "data": [{"id": m, "object": "model"} for m in self.server.models]}
            )
        else:
            self._send(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        case = body["messages"][-1]["content"].split()[0]
        with self.server.lock:
            self.server.requests.append(
                body | {"_auth": self.headers.get("Authorization"), "_path": self.path}
            )
            turn = self.server.served.get(case, 0)
            self.server.served[case] = turn + 1
        replies = SCRIPT.get(case, SCRIPT["plain"])
        status, reply = replies[min(turn, len(replies) - 1)]
        self._send(status, reply)


@contextmanager
def scripted_server(models: list[str] | None = None) -> Iterator[ScriptedServer]:
    server = ScriptedServer(models if models is not None else ["scripted-model"])
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
