"""Intake of ``ollama:name:tag`` from an OCI/Ollama registry upstream: mirror A (a real uvicorn on 127.0.0.1)
serves an admitted Ollama model; mirror B takes it in through A's ``/v2/``, checks every digest, inspects the
quarantined Ollama layout, decides with its own policy and serves it only when admitted."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.mirror.oci_helpers import OllamaModel, errors, oci_app, ollama_model, record_ollama
from tests.registry.reports import LENIENT
from tests.web.server import serve_in_thread

from weighbridge.core.mirror import IntakeState
from weighbridge.core.registry import Decision, DecisionAction
from weighbridge.mirror import BlobStore
from weighbridge.mirror.intake import IntakeError, IntakeResult, QuarantinePublisher, intake
from weighbridge.mirror.upstream import Limits, Upstream
from weighbridge.registry import Registry, open_registry

DOCKER = "application/vnd.docker.distribution.manifest.v2+json"
SOURCE = "ollama:smollm2:135m"
MIT_ONLY = "name: mit-only\nrules:\n  allowed_license_families: [mit]\n"  # the test model is Apache-licensed


@dataclass
class Side:
    reg: Registry
    store: BlobStore


def _side(root: Path) -> Iterator[Side]:
    root.mkdir(parents=True)
    with open_registry(f"sqlite:///{root / 'registry.db'}") as registry:
        yield Side(registry, BlobStore(root / "store"))


@pytest.fixture
def a(tmp_path: Path) -> Iterator[Side]:
    yield from _side(tmp_path / "a")


@pytest.fixture
def b(tmp_path: Path) -> Iterator[Side]:
    yield from _side(tmp_path / "b")


@pytest.fixture
def model() -> OllamaModel:
    return ollama_model(7)


@pytest.fixture
def upstream_a(a: Side, model: OllamaModel, tmp_path: Path) -> Iterator[str]:
    """Mirror A serving ``smollm2:135m`` (admitted) and ``acme/bad:1`` (rejected)."""
    record_ollama(a.reg, a.store, tmp_path / "a-model", SOURCE, model)
    record_ollama(
        a.reg, a.store, tmp_path / "a-bad", "ollama:acme/bad:1", ollama_model(8), action=DecisionAction.REJECT
    )
    app = oci_app(a.reg, a.store)
    try:
        with serve_in_thread(app) as url:
            yield url
    finally:
        app.state.mirror.registry.close()


def _policy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / f"policy-{hashlib.sha256(text.encode()).hexdigest()[:8]}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _intake(
    side: Side,
    url: str,
    source: str,
    policy: Path,
    *,
    limits: Limits | None = None,
    transport: httpx.BaseTransport | None = None,
) -> IntakeResult:
    with Upstream(
        url, limits=limits or Limits(read_timeout=5, connect_timeout=5), transport=transport
    ) as remote:
        return intake(side.reg, side.store, source, upstream=remote, actor="intake-bot", policy_path=policy)


def test_mirror_b_takes_in_an_admitted_ollama_model_from_mirror_a(
    a: Side, b: Side, upstream_a: str, model: OllamaModel, tmp_path: Path
) -> None:
    result = _intake(b, upstream_a, SOURCE, _policy(tmp_path, LENIENT))
    digest = hashlib.sha256(model.manifest).hexdigest()
    assert result.fetched and result.served, result.record
    assert result.record.key == f"ollama:library/smollm2:135m@sha256:{digest}"
    assert result.version is not None and result.version.decision is Decision.ADMITTED
    assert result.version.source == "ollama:library/smollm2:135m"
    assert list(b.store.quarantine.iterdir()) == []  # staging removed once published
    assert sorted(b.store.iter_digests()) == sorted(
        hashlib.sha256(d).hexdigest() for d in model.files.values()
    )
    client = TestClient(oci_app(b.reg, b.store))
    served = client.get("/v2/library/smollm2/manifests/135m", headers={"Accept": DOCKER})
    assert (
        served.status_code == 200 and served.content == model.manifest
    )  # the manifest Ollama pulled, byte for byte
    for layer in model.layer_digests:
        blob = client.get(f"/v2/library/smollm2/blobs/sha256:{layer}")
        assert blob.status_code == 200 and hashlib.sha256(blob.content).hexdigest() == layer
    again = _intake(b, upstream_a, SOURCE, _policy(tmp_path, LENIENT))  # same manifest: nothing fetched again
    assert not again.fetched and again.served


@pytest.mark.parametrize("via_request", [False, True])
def test_a_model_mirror_b_does_not_admit_waits_in_quarantine(
    a: Side, b: Side, upstream_a: str, tmp_path: Path, via_request: bool
) -> None:
    strict = _policy(tmp_path, MIT_ONLY)
    result = _intake(b, upstream_a, SOURCE, strict)
    assert result.record.state is IntakeState.WAITING and not result.served
    assert "rejected: policy mit-only: fail" in (result.record.detail or "")
    assert list(b.store.iter_digests()) == []  # nothing reached the served store
    client = TestClient(oci_app(b.reg, b.store))
    refused = client.get("/v2/library/smollm2/manifests/135m", headers={"Accept": DOCKER})
    assert refused.status_code == 403 and "smollm2:135m" in str(errors(refused.content)[0]["message"])
    assert result.version is not None
    b.reg.decide(
        result.version.model,
        DecisionAction.APPROVE,
        actor="alice",
        reason="reviewed",
        version=result.version.manifest_digest,
    )
    if via_request:  # as `mirror serve` does: the first pull after the approval publishes from quarantine
        client.app.state.mirror.gate.on_missing = QuarantinePublisher(b.reg, b.store)  # type: ignore[attr-defined]
    else:  # or a re-run of the intake
        published = _intake(b, upstream_a, SOURCE, strict)
        assert published.served and not published.fetched
    assert client.get("/v2/library/smollm2/manifests/135m", headers={"Accept": DOCKER}).status_code == 200
    assert b.reg.mirror.intake(result.record.key).state is IntakeState.PUBLISHED  # type: ignore[union-attr]
    assert list(b.store.quarantine.iterdir()) == []


def test_a_refusal_upstream_is_the_intake_error(b: Side, upstream_a: str, tmp_path: Path) -> None:
    with pytest.raises(IntakeError, match=r"HTTP 403: acme/bad:1: rejected: reject by test"):
        _intake(b, upstream_a, "ollama:acme/bad:1", _policy(tmp_path, LENIENT))
    with pytest.raises(
        IntakeError, match="library/nothing:here: not admitted: the registry holds no such model"
    ):
        _intake(b, upstream_a, "ollama:nothing:here", _policy(tmp_path, LENIENT))
    with pytest.raises(IntakeError, match="the registry it comes from is --upstream"):
        _intake(b, upstream_a, "ollama:evil.example/library/x:1", _policy(tmp_path, LENIENT))
    assert list(b.store.iter_digests()) == []


def _fake_registry(
    model: OllamaModel, *, swap: dict[str, bytes] | None = None, manifest: bytes | None = None
) -> httpx.MockTransport:
    """An upstream registry answering from ``model`` (blobs by digest), with ``swap`` replacing a blob's bytes."""
    by_digest = {hashlib.sha256(data).hexdigest(): data for data in model.files.values()}
    body = manifest if manifest is not None else model.manifest

    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/manifests/135m"):
            return httpx.Response(200, content=body, headers={"Content-Type": DOCKER})
        sha = path.rsplit("sha256:", 1)[-1]
        data = (swap or {}).get(sha, by_digest.get(sha))
        return httpx.Response(200, content=data) if data is not None else httpx.Response(404)

    return httpx.MockTransport(handle)


def test_blobs_that_do_not_match_their_digest_never_leave_quarantine(
    b: Side, model: OllamaModel, tmp_path: Path
) -> None:
    gguf = hashlib.sha256(model.files["model.gguf"]).hexdigest()
    tampered = bytearray(model.files["model.gguf"])
    tampered[-1] ^= 0xFF
    transport = _fake_registry(model, swap={gguf: bytes(tampered)})
    with pytest.raises(IntakeError, match="do not match the digest the upstream announced"):
        _intake(b, "http://upstream.invalid", SOURCE, _policy(tmp_path, LENIENT), transport=transport)
    assert list(b.store.iter_digests()) == []
    record = b.reg.mirror.intake(
        f"ollama:library/smollm2:135m@sha256:{hashlib.sha256(model.manifest).hexdigest()}"
    )
    assert record is not None and record.state is IntakeState.FAILED


@pytest.mark.parametrize(
    ("manifest", "words"),
    [
        (b"not json", "not JSON"),
        (b'{"layers": []}', "lists no layers"),
        (
            json.dumps({"layers": [{"mediaType": "x", "digest": "sha256:../../etc", "size": 1}]}).encode(),
            "not sha256:<64 hex>",
        ),
        (
            json.dumps({"layers": [{"mediaType": "x", "digest": "sha256:" + "a" * 64, "size": -1}]}).encode(),
            "not a byte count",
        ),
        (b"{" + b" " * (5 * 1024 * 1024) + b"}", "larger than"),
    ],
)
def test_malformed_or_oversized_manifests_are_refused(
    b: Side, model: OllamaModel, tmp_path: Path, manifest: bytes, words: str
) -> None:
    with pytest.raises(IntakeError, match=words):
        _intake(
            b,
            "http://upstream.invalid",
            SOURCE,
            _policy(tmp_path, LENIENT),
            transport=_fake_registry(model, manifest=manifest),
        )
    assert list(b.store.iter_digests()) == []


def test_size_caps_hold_before_anything_is_fetched(b: Side, model: OllamaModel, tmp_path: Path) -> None:
    with pytest.raises(IntakeError, match="more than the 100 allowed"):
        _intake(
            b,
            "http://upstream.invalid",
            SOURCE,
            _policy(tmp_path, LENIENT),
            limits=Limits(max_bytes=100, max_file_bytes=100),
            transport=_fake_registry(model),
        )
    assert list(b.store.iter_digests()) == [] and not any(b.store.quarantine.rglob("sha256-*"))


def test_cli_intake_of_an_ollama_model(upstream_a: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from weighbridge.cli.main import app as cli

    db, store = str(tmp_path / "cli" / "registry.db"), str(tmp_path / "cli" / "store")
    (tmp_path / "cli").mkdir()
    args = [
        "mirror",
        "intake",
        "--upstream",
        upstream_a,
        "--db",
        db,
        "--store",
        store,
        "--policy",
        str(_policy(tmp_path, LENIENT)),
    ]
    out = CliRunner().invoke(cli, [*args[:2], SOURCE, *args[2:]])
    assert out.exit_code == 0, out.output
    assert "ollama:library/smollm2:135m@sha256:" in out.output and ": published" in out.output
    out = CliRunner().invoke(cli, [*args[:2], "ollama:acme/bad:1", *args[2:]])
    assert out.exit_code == 2 and "acme/bad:1: rejected: reject by test" in out.output
    assert "Traceback" not in out.output


def test_dashboard_intake_takes_ollama_sources(b: Side, upstream_a: str, tmp_path: Path) -> None:
    from weighbridge.core.findings import WeighbridgeError
    from weighbridge.mirror.background import start_intake

    thread = start_intake(
        b.reg,
        SOURCE,
        actor="alice",
        policy_path=_policy(tmp_path, LENIENT),
        store=b.store,
        endpoint=upstream_a,
    )
    thread.join(60)
    queue = b.reg.mirror.intake_queue()
    assert [r.state for r in queue] == [IntakeState.PUBLISHED] and queue[0].source == SOURCE
    with pytest.raises(WeighbridgeError, match="the registry it comes from is --upstream"):
        start_intake(b.reg, "ollama:evil.example/x/y:1", actor="alice", store=b.store, endpoint=upstream_a)


def test_concurrent_intakes_of_one_tag_fetch_each_blob_once(
    b: Side, model: OllamaModel, tmp_path: Path
) -> None:
    import threading

    fetched: list[str] = []
    inner = _fake_registry(model)

    def counting(request: httpx.Request) -> httpx.Response:
        if "/blobs/" in request.url.path:
            fetched.append(request.url.path)
        return inner.handle_request(request)

    transport = httpx.MockTransport(counting)
    policy = _policy(tmp_path, LENIENT)
    results: list[IntakeResult] = []

    def run() -> None:
        results.append(_intake(b, "http://upstream.invalid", SOURCE, policy, transport=transport))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 3 and all(r.served for r in results)
    assert sum(r.fetched for r in results) == 1
    assert sorted(fetched) == sorted(set(fetched)) and len(fetched) == len(model.files)


def test_a_blob_left_half_fetched_is_resumed_with_a_range_request(
    b: Side, upstream_a: str, model: OllamaModel, tmp_path: Path
) -> None:
    """What a ``kill -9`` mid-download leaves: a ``.part`` in the intake's quarantine; the re-run continues it."""
    from weighbridge.mirror.intake import staging_name

    gguf = model.files["model.gguf"]
    sha = hashlib.sha256(gguf).hexdigest()
    key = f"ollama:library/smollm2:135m@sha256:{hashlib.sha256(model.manifest).hexdigest()}"
    part = b.store.quarantine_dir(staging_name(key)) / "blobs" / f"sha256-{sha}.part"
    part.parent.mkdir(parents=True)
    half = len(gguf) // 2
    part.write_bytes(gguf[:half])
    ranges: list[str] = []

    class Recording(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if "range" in request.headers:
                ranges.append(request.headers["range"])
            return super().handle_request(request)

    result = _intake(b, upstream_a, SOURCE, _policy(tmp_path, LENIENT), transport=Recording())
    assert result.served and b.store.has(sha) and ranges == [f"bytes={half}-"]
    assert hashlib.sha256(b.store.path(sha).read_bytes()).hexdigest() == sha
