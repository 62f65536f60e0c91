"""OpenAIRuntime against a scripted OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.audit_runtimes.scripted_server import ScriptedServer, scripted_server

from weighbridge.audit.runtimes.digest import local_digest
from weighbridge.audit.runtimes.openai import REMOTE_NOTE, OpenAIRuntime, normalise_endpoint
from weighbridge.core.audit import GenerationSettings, Outcome
from weighbridge.core.findings import WeighbridgeError

SETTINGS = GenerationSettings(temperature=0.7, top_p=0.9, max_tokens=64, seed=1234)


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with scripted_server() as s:
        yield s


def ask(runtime: OpenAIRuntime, case: str, settings: GenerationSettings = SETTINGS):  # type: ignore[no-untyped-def]
    return runtime.complete([{"role": "user", "content": f"{case} please"}], settings)


def runtime_for(server: ScriptedServer, **kw) -> OpenAIRuntime:  # type: ignore[no-untyped-def]
    kw.setdefault("backoff", 0.01)
    return OpenAIRuntime(server.url, "scripted-model", **kw)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    "given",
    [
        "http://127.0.0.1:1",
        "http://127.0.0.1:1/",
        "http://127.0.0.1:1/v1",
        "http://127.0.0.1:1/v1/",
        " http://127.0.0.1:1 ",
    ],
)
def test_endpoint_with_or_without_v1(given: str) -> None:
    assert normalise_endpoint(given) == "http://127.0.0.1:1"


@pytest.mark.parametrize("bad", ["localhost:8080", "ftp://127.0.0.1/", "", "http://"])
def test_bad_endpoint_is_one_line_error(bad: str) -> None:
    with pytest.raises(WeighbridgeError, match="bad endpoint"):
        normalise_endpoint(bad)


def test_request_carries_exactly_the_settings(server: ScriptedServer) -> None:
    rt = runtime_for(server, api_key="k-123")
    c = ask(rt, "plain")
    assert c.outcome is Outcome.OK and c.text == "A plain answer." and c.reasoning is None
    assert (c.model, c.prompt_tokens, c.completion_tokens, c.finish_reason) == (
        "scripted-model",
        11,
        7,
        "stop",
    )
    body = server.requests[-1]
    assert body["_path"] == "/v1/chat/completions" and body["_auth"] == "Bearer k-123"
    assert {k: body[k] for k in ("model", "temperature", "top_p", "max_tokens", "seed", "stream")} == {
        "model": "scripted-model",
        "temperature": 0.7,
        "top_p": 0.9,
        "max_tokens": 64,
        "seed": 1234,
        "stream": False,
    }
    assert "stop" not in body  # no stop sequences: the key is omitted, never sent empty
    ask(rt, "plain", GenerationSettings(temperature=0.0, max_tokens=8, stop=("\n\n", "END")))
    body = server.requests[-1]
    assert body["stop"] == ["\n\n", "END"] and body["temperature"] == 0.0 and "seed" not in body


def test_endpoint_given_with_v1_posts_to_the_same_path(server: ScriptedServer) -> None:
    rt = OpenAIRuntime(server.url + "/v1", "scripted-model")
    assert ask(rt, "plain").outcome is Outcome.OK
    assert server.requests[-1]["_path"] == "/v1/chat/completions"


@pytest.mark.parametrize(
    ("case", "reasoning", "text"),
    [
        ("reasoning_content", "Thinking it over.", "The answer."),
        ("reasoning_field", "Thinking differently.", "The answer."),
        ("inline_think", "Inline thoughts.", "Inline answer."),
    ],
)
def test_reasoning_is_captured_apart_from_the_answer(
    server: ScriptedServer, case: str, reasoning: str, text: str
) -> None:
    c = ask(runtime_for(server), case)
    assert (c.outcome, c.reasoning, c.text) == (Outcome.OK, reasoning, text)


@pytest.mark.parametrize(
    ("case", "outcome"),
    [
        ("length", Outcome.TRUNCATED),
        ("content_filter", Outcome.FILTERED),
        ("empty", Outcome.EMPTY),
        ("unterminated_think", Outcome.EMPTY),
    ],
)
def test_terminal_outcomes(server: ScriptedServer, case: str, outcome: Outcome) -> None:
    c = ask(runtime_for(server), case)
    assert c.outcome is outcome and c.error is None
    if case == "unterminated_think":
        assert c.text == "" and c.reasoning == "Still thinking when the cap hit"


def test_transient_500_is_retried(server: ScriptedServer) -> None:
    c = ask(runtime_for(server), "flaky")
    assert c.outcome is Outcome.OK and c.text == "Recovered answer."
    assert server.served["flaky"] == 2


def test_persistent_500_gives_up_after_bounded_retries(server: ScriptedServer) -> None:
    c = ask(runtime_for(server, retries=2), "always_500")
    assert c.outcome is Outcome.ERROR and c.error == "HTTP 500: backend exploded"
    assert server.served["always_500"] == 3


def test_client_error_is_not_retried(server: ScriptedServer) -> None:
    c = ask(runtime_for(server), "bad_request")
    assert c.outcome is Outcome.ERROR and c.error == "HTTP 400: max_tokens too large"
    assert server.served["bad_request"] == 1


@pytest.mark.parametrize(
    ("case", "message"), [("garbage", "response is not JSON"), ("no_choices", "response has no choices")]
)
def test_malformed_bodies_are_errors(server: ScriptedServer, case: str, message: str) -> None:
    c = ask(runtime_for(server), case)
    assert c.outcome is Outcome.ERROR and c.error is not None and c.error.startswith(message)
    assert "\n" not in c.error


def test_connection_refused_is_an_error_completion_after_retries() -> None:
    rt = OpenAIRuntime(f"http://127.0.0.1:{free_port()}", "m", retries=2, backoff=0.01, timeout=2)
    started = time.perf_counter()
    c = ask(rt, "plain")
    assert c.outcome is Outcome.ERROR and c.error is not None and c.error.startswith("ConnectError")
    assert "\n" not in c.error and time.perf_counter() - started < 5
    with pytest.raises(WeighbridgeError, match="cannot reach endpoint"):
        rt.describe()


def test_describe_records_endpoint_and_served_model(server: ScriptedServer) -> None:
    m = OpenAIRuntime(server.url + "/v1/").describe()
    assert (m.runtime, m.endpoint, m.model_name, m.target, m.digest) == (
        "openai",
        server.url,
        "scripted-model",
        "scripted-model",
        None,
    )
    assert m.digest_note == REMOTE_NOTE


def test_describe_hashes_a_local_target(server: ScriptedServer, tmp_path: Path) -> None:
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF" + bytes(100))
    m = OpenAIRuntime(server.url, target=str(gguf)).describe()
    assert m.digest == local_digest(str(gguf)) and m.target == str(gguf) and m.model_name == "scripted-model"


def test_describe_refuses_an_unserved_or_ambiguous_model() -> None:
    with scripted_server(["a", "b"]) as s:
        with pytest.raises(WeighbridgeError, match="serves 2 models"):
            OpenAIRuntime(s.url).describe()
        with pytest.raises(WeighbridgeError, match="does not serve 'c'"):
            OpenAIRuntime(s.url, "c").describe()
        assert OpenAIRuntime(s.url, "b").describe().model_name == "b"
