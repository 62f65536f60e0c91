"""An OpenAI-compatible chat endpoint (Ollama, vLLM, llama.cpp server, LM Studio, SGLang…) over HTTP.

Non-streaming ``POST {endpoint}/v1/chat/completions`` with exactly the recorded settings: temperature,
top_p, max_tokens, seed, and stop only when there are stop sequences. Transient failures (connection
errors, timeouts, 429 and 5xx) are retried a bounded number of times with exponential backoff; whatever
still fails becomes an ``ERROR`` completion with a one-line message. Nothing here raises for a failed
generation.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from ...core.audit import Completion, GenerationSettings, ModelUnderAudit
from ...core.findings import WeighbridgeError
from .base import Message
from .chat_response import parse_chat_response
from .completion import error_completion
from .digest import is_local, local_digest

_TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})
REMOTE_NOTE = "weights behind an endpoint are not hashed: the server's model id is recorded instead"


def normalise_endpoint(endpoint: str) -> str:
    """``http://host:port`` from ``http://host:port``, ``…/``, ``…/v1`` or ``…/v1/``; one-line error otherwise."""
    url = endpoint.strip().rstrip("/")
    if url.endswith("/v1"):
        url = url[:-3].rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise WeighbridgeError(f"bad endpoint {endpoint!r}: expected http(s)://host[:port][/v1]")
    return url


class OpenAIRuntime:
    name = "openai"
    thread_safe = True

    def __init__(
        self,
        endpoint: str,
        model: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 600.0,
        retries: int = 3,
        backoff: float = 1.0,
        target: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.endpoint = normalise_endpoint(endpoint)
        self.model = model
        self.target = target
        self.retries = max(0, retries)
        self.backoff = backoff
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            base_url=self.endpoint, timeout=timeout, headers=headers, transport=transport
        )
        self._served: list[str] | None = None

    # -- model identity ------------------------------------------------------------------------------------
    def served_models(self) -> list[str]:
        """Model ids from ``GET /v1/models``; ``WeighbridgeError`` when the endpoint cannot be reached."""
        if self._served is None:
            try:
                response = self._request("GET", "/v1/models", retries=min(self.retries, 1))
            except httpx.HTTPError as exc:
                raise WeighbridgeError(f"cannot reach endpoint {self.endpoint}: {_one_line(exc)}") from None
            ids: list[str] = []
            if response.status_code == 200:
                try:
                    data = response.json().get("data") or []
                    ids = [str(m["id"]) for m in data if isinstance(m, dict) and "id" in m]
                except (ValueError, AttributeError, TypeError):
                    ids = []
            self._served = ids
        return self._served

    def model_id(self) -> str:
        """The model to ask for: the one given, or the only one the endpoint serves."""
        if self.model:
            return self.model
        served = self.served_models()
        if len(served) == 1:
            self.model = served[0]
            return self.model
        if not served:
            raise WeighbridgeError(f"{self.endpoint} does not list its models (GET /v1/models): give --model")
        raise WeighbridgeError(
            f"{self.endpoint} serves {len(served)} models ({', '.join(served[:5])}"
            f"{'…' if len(served) > 5 else ''}): choose one with --model"
        )

    def describe(self) -> ModelUnderAudit:
        model = self.model_id()
        served = self.served_models()
        if served and model not in served:
            raise WeighbridgeError(
                f"{self.endpoint} does not serve {model!r} (it serves {', '.join(served[:5])})"
            )
        target = self.target or model
        if self.target and is_local(self.target):
            return ModelUnderAudit(
                target=target,
                runtime=self.name,
                endpoint=self.endpoint,
                model_name=model,
                digest=local_digest(self.target),
                digest_note="digest of the local target; the endpoint is trusted to serve it",
            )
        return ModelUnderAudit(
            target=target,
            runtime=self.name,
            endpoint=self.endpoint,
            model_name=model,
            digest_note=REMOTE_NOTE,
        )

    # -- generation ----------------------------------------------------------------------------------------
    def request_body(self, messages: Sequence[Message], settings: GenerationSettings) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model_id(),
            "messages": [dict(m) for m in messages],
            "stream": False,
            "temperature": settings.temperature,
            "top_p": settings.top_p,
            "max_tokens": settings.max_tokens,
        }
        if settings.seed is not None:
            body["seed"] = settings.seed
        if settings.stop:
            body["stop"] = list(settings.stop)
        return body

    def complete(self, messages: Sequence[Message], settings: GenerationSettings) -> Completion:
        started = time.perf_counter()
        try:
            body = self.request_body(messages, settings)
        except WeighbridgeError as exc:
            return error_completion(str(exc))
        try:
            response = self._request("POST", "/v1/chat/completions", json=body)
        except httpx.HTTPError as exc:
            return error_completion(
                f"{type(exc).__name__}: {_one_line(exc)}", seconds=time.perf_counter() - started
            )
        seconds = time.perf_counter() - started
        if response.status_code != 200:
            return error_completion(f"HTTP {response.status_code}: {_error_text(response)}", seconds=seconds)
        try:
            payload = response.json()
        except ValueError:
            return error_completion(f"response is not JSON: {response.text[:120]!r}", seconds=seconds)
        return parse_chat_response(payload, seconds)

    def _request(self, method: str, path: str, retries: int | None = None, **kwargs: Any) -> httpx.Response:
        """One request with bounded retries of transient failures; raises the last transport error."""
        retries = self.retries if retries is None else retries
        attempt = 0
        while True:
            try:
                response = self._client.request(method, path, **kwargs)
            except httpx.TransportError:
                if attempt >= retries:
                    raise
            else:
                if response.status_code not in _TRANSIENT_STATUS or attempt >= retries:
                    return response
            time.sleep(self.backoff * (2**attempt))
            attempt += 1

    def close(self) -> None:
        self._client.close()


def _error_text(response: httpx.Response) -> str:
    try:
        data = response.json()
        if isinstance(data, dict) and data.get("error"):
            err = data["error"]
            return _one_line(err.get("message") if isinstance(err, dict) else err)
    except ValueError:
        pass
    return _one_line(response.text[:200]) or response.reason_phrase


def _one_line(value: Any) -> str:
    return " ".join(str(value).split())[:300]
