"""The OCI / Ollama registry face, through HTTP (FastAPI's TestClient: in process, no network)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.mirror.helpers import recorded
from tests.mirror.oci_helpers import OllamaModel, errors, oci_app, ollama_model, record_ollama, tiny_gguf

from weighbridge.core.mirror import PullOutcome
from weighbridge.core.registry import DecisionAction
from weighbridge.mirror import BlobStore
from weighbridge.registry import Registry, open_registry

DOCKER = "application/vnd.docker.distribution.manifest.v2+json"
OCI = "application/vnd.oci.image.manifest.v1+json"
SOURCE = "ollama:smollm2:135m"


@pytest.fixture
def reg(tmp_path: Path) -> Iterator[Registry]:
    """SQLite only: the gate's queries run on both backends in test_gate; this file is about the protocol."""
    with open_registry(f"sqlite:///{tmp_path / 'registry.db'}") as registry:
        yield registry


@pytest.fixture
def model() -> OllamaModel:
    return ollama_model()


@pytest.fixture
def client(reg: Registry, store: BlobStore) -> TestClient:
    return TestClient(oci_app(reg, store))


@pytest.fixture
def admitted(reg: Registry, store: BlobStore, tmp_path: Path, model: OllamaModel) -> OllamaModel:
    record_ollama(reg, store, tmp_path / "m", SOURCE, model)
    return model


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_api_version_check(client: TestClient) -> None:
    for path in ("/v2/", "/v2"):
        answer = client.get(path)
        assert answer.status_code == 200 and answer.json() == {}
        assert answer.headers["docker-distribution-api-version"] == "registry/2.0"


def test_ollama_gets_the_original_manifest_bytes(client: TestClient, admitted: OllamaModel) -> None:
    answer = client.get("/v2/library/smollm2/manifests/135m", headers={"Accept": DOCKER})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == DOCKER
    assert answer.content == admitted.manifest  # rebuilt from the registry, byte for byte what was pulled
    assert answer.headers["docker-content-digest"] == f"sha256:{_sha(admitted.manifest)}"
    layers = [layer["digest"].removeprefix("sha256:") for layer in answer.json()["layers"]]
    assert tuple(layers) == admitted.layer_digests  # the config's order (licence before template) is kept


def test_oci_clients_get_an_oci_manifest_with_the_same_blobs(
    client: TestClient, admitted: OllamaModel
) -> None:
    answer = client.get("/v2/library/smollm2/manifests/135m", headers={"Accept": f"{OCI}, {DOCKER}"})
    assert answer.status_code == 200 and answer.headers["content-type"] == OCI
    doc, original = answer.json(), json.loads(admitted.manifest)
    assert (
        doc["mediaType"] == OCI
        and doc["layers"] == original["layers"]
        and doc["config"] == original["config"]
    )
    assert answer.headers["docker-content-digest"] == f"sha256:{_sha(answer.content)}"


def test_manifest_by_digest_either_form_and_head(client: TestClient, admitted: OllamaModel) -> None:
    oci_body = client.get("/v2/library/smollm2/manifests/135m", headers={"Accept": OCI}).content
    for body, media in ((admitted.manifest, DOCKER), (oci_body, OCI)):
        answer = client.get(f"/v2/library/smollm2/manifests/sha256:{_sha(body)}")
        assert (
            answer.status_code == 200 and answer.content == body and answer.headers["content-type"] == media
        )
    head = client.head("/v2/smollm2/manifests/135m", headers={"Accept": DOCKER})  # no namespace → library
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(admitted.manifest))
    assert head.headers["docker-content-digest"] == f"sha256:{_sha(admitted.manifest)}"
    unknown = client.get(f"/v2/library/smollm2/manifests/sha256:{'0' * 64}")
    assert unknown.status_code == 403 and "no admitted manifest has this digest" in unknown.text


def test_blobs_full_head_and_ranges(client: TestClient, admitted: OllamaModel) -> None:
    gguf = admitted.files["model.gguf"]
    url = f"/v2/library/smollm2/blobs/sha256:{_sha(gguf)}"
    full = client.get(url)
    assert full.status_code == 200 and full.content == gguf
    assert full.headers["docker-content-digest"] == f"sha256:{_sha(gguf)}"
    head = client.head(url)
    assert (
        head.status_code == 200 and head.content == b"" and head.headers["content-length"] == str(len(gguf))
    )
    part = client.get(url, headers={"Range": "bytes=4-99"})
    assert part.status_code == 206 and part.content == gguf[4:100]
    assert part.headers["content-range"] == f"bytes 4-99/{len(gguf)}"
    tail = client.get(url, headers={"Range": f"bytes={len(gguf) - 10}-"})
    assert tail.status_code == 206 and tail.content == gguf[-10:]
    assert client.get(url, headers={"Range": f"bytes={len(gguf) + 5}-{len(gguf) + 9}"}).status_code == 416
    config = admitted.files["config.json"]
    assert client.get(f"/v2/library/smollm2/blobs/sha256:{_sha(config)}").content == config


def test_pull_the_way_ollama_does(client: TestClient, admitted: OllamaModel) -> None:
    """Ollama's client (server/images.go, download.go): the manifest with Accept Docker v2, then for each blob a
    HEAD for its size and ranged GETs for its parts, then a SHA-256 check of the whole."""
    manifest = client.get(
        "/v2/library/smollm2/manifests/135m",
        headers={"Accept": DOCKER, "User-Agent": "ollama/0.0.0 (amd64 linux) Go/go1.24"},
    ).json()
    for desc in [manifest["config"], *manifest["layers"]]:
        url = f"/v2/library/smollm2/blobs/{desc['digest']}"
        size = int(client.head(url).headers["content-length"])
        assert size == desc["size"]
        parts, offset, step = [], 0, max(1, size // 3)
        while offset < size:
            stop = min(size, offset + step) - 1
            answer = client.get(url, headers={"Range": f"bytes={offset}-{stop}"})
            assert answer.status_code in (200, 206)
            parts.append(answer.content)
            offset = stop + 1
        assert "sha256:" + _sha(b"".join(parts)) == desc["digest"]


def test_pull_the_way_ollamas_newer_client_does(client: TestClient, admitted: OllamaModel) -> None:
    """server/internal/client/ollama: no Accept header, a bytes=0-0 probe, then fixed-size chunks (and, in one
    version, the chunk list from /chunksums/)."""
    manifest = client.get("/v2/library/smollm2/manifests/135m")
    assert manifest.status_code == 200 and manifest.content == admitted.manifest
    gguf = admitted.files["model.gguf"]
    digest = f"sha256:{_sha(gguf)}"
    sums = client.get(f"/v2/library/smollm2/chunksums/{digest}")
    assert sums.status_code == 200 and sums.text == f"{digest} 0-{len(gguf) - 1}\n"
    url = sums.headers["content-location"]
    assert url.endswith(f"/v2/library/smollm2/blobs/{digest}")
    probe = client.get(url, headers={"Range": "bytes=0-0"})
    assert probe.status_code == 206 and probe.content == gguf[:1]
    chunk, parts = 1000, []
    for start in range(0, len(gguf), chunk):
        answer = client.get(url, headers={"Range": f"bytes={start}-{min(len(gguf), start + chunk) - 1}"})
        assert answer.status_code == 206
        parts.append(answer.content)
    assert b"".join(parts) == gguf
    refused = client.get(f"/v2/library/smollm2/chunksums/sha256:{'2' * 64}")
    assert refused.status_code == 404 and errors(refused.content)[0]["code"] == "BLOB_UNKNOWN"


@pytest.mark.parametrize(
    "path, code",
    [
        ("/v2/library/smollm2/blobs/sha256:XYZ", "DIGEST_INVALID"),
        ("/v2/library/smollm2/blobs/sha256:" + "a" * 63, "DIGEST_INVALID"),
        ("/v2/library/smollm2/blobs/sha256:" + "A" * 64, "DIGEST_INVALID"),
        ("/v2/library/smollm2/blobs/sha512:" + "a" * 128, "DIGEST_INVALID"),
        ("/v2/library/smollm2/blobs/" + "a" * 64, "DIGEST_INVALID"),
        ("/v2/library/smollm2/manifests/sha256:abc", "DIGEST_INVALID"),
        ("/v2/library/%2e%2e/manifests/latest", "NAME_INVALID"),
        ("/v2/%2e%2e/%2e%2e/etc/manifests/latest", "NAME_INVALID"),
        ("/v2/a/b/c/manifests/latest", "NAME_INVALID"),
        ("/v2/library/smoll..m2/manifests/latest", "NAME_INVALID"),
        ("/v2/library/sm%00ollm2/manifests/latest", "NAME_INVALID"),
        ("/v2/library/smollm2/manifests/%2e%2e", "MANIFEST_INVALID"),
        ("/v2/library/smollm2/manifests/-bad", "MANIFEST_INVALID"),
        ("/v2/library/smollm2/manifests/" + "t" * 200, "MANIFEST_INVALID"),
    ],
)
def test_malformed_names_tags_and_digests_are_400(
    client: TestClient, admitted: OllamaModel, path: str, code: str
) -> None:
    answer = client.get(path)
    assert answer.status_code == 400, (path, answer.status_code, answer.text)
    assert errors(answer.content)[0]["code"] == code


def test_refusals_name_the_model_tag_and_why(
    reg: Registry, store: BlobStore, client: TestClient, tmp_path: Path
) -> None:
    record_ollama(
        reg, store, tmp_path / "r", "ollama:acme/coder:7b", ollama_model(1), action=DecisionAction.REJECT
    )
    record_ollama(
        reg, store, tmp_path / "q", "ollama:acme/coder:1b", ollama_model(2), action=DecisionAction.QUARANTINE
    )
    record_ollama(reg, store, tmp_path / "n", "ollama:acme/coder:3b", ollama_model(3), action=None)
    cases = {
        "7b": "rejected: reject by test",
        "1b": "quarantined: quarantine by test",
        "3b": "awaiting review",
    }
    for tag, reason in cases.items():
        answer = client.get(f"/v2/acme/coder/manifests/{tag}", headers={"Accept": DOCKER})
        assert answer.status_code == 403
        error = errors(answer.content)[0]
        assert error["code"] == "DENIED"
        assert str(error["message"]).startswith(f"acme/coder:{tag}: ") and reason in str(error["message"])
    absent = client.get("/v2/acme/other/manifests/latest")
    assert absent.status_code == 403
    assert (
        errors(absent.content)[0]["message"]
        == "acme/other:latest: not admitted: the registry holds no such model"
    )
    # a blob of a rejected model is refused with the same reason; an unknown blob is 404
    rejected_gguf = ollama_model(1).files["model.gguf"]
    blob = client.get(f"/v2/acme/coder/blobs/sha256:{_sha(rejected_gguf)}")
    assert blob.status_code == 403 and "rejected" in blob.text
    unknown = client.get(f"/v2/acme/coder/blobs/sha256:{'1' * 64}")
    assert unknown.status_code == 404 and errors(unknown.content)[0]["code"] == "BLOB_UNKNOWN"
    refused = reg.mirror.pulls(outcome=PullOutcome.REFUSED)
    assert {p.revision for p in refused} >= {"7b", "1b", "3b", "latest"}
    assert all(p.protocol == "oci" and p.reason for p in refused)


def test_revocation_holds_from_the_next_request(
    reg: Registry, client: TestClient, admitted: OllamaModel
) -> None:
    url = "/v2/library/smollm2/manifests/135m"
    gguf_url = f"/v2/library/smollm2/blobs/sha256:{_sha(admitted.files['model.gguf'])}"
    assert client.get(url).status_code == 200 and client.get(gguf_url).status_code == 200
    reg.decide(f"{SOURCE}", DecisionAction.REVOKE, actor="bob", reason="licence withdrawn upstream")
    answer = client.get(url)
    assert answer.status_code == 403 and "revoked: licence withdrawn upstream" in answer.text
    assert client.get(gguf_url).status_code == 403
    assert client.get("/v2/library/smollm2/tags/list").status_code == 404
    served = reg.mirror.pulls(outcome=PullOutcome.SERVED)
    assert [p.model for p in served] == [SOURCE]  # one pull (the manifest GET), not one per blob


def test_a_blob_corrupted_on_disk_is_withheld_and_flagged(
    reg: Registry, store: BlobStore, client: TestClient, admitted: OllamaModel
) -> None:
    sha = _sha(admitted.files["template"])
    path = store.path(sha)
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[0] ^= 0x20
    path.write_bytes(bytes(data))
    blob = client.get(f"/v2/library/smollm2/blobs/sha256:{sha}")
    assert blob.status_code == 403 and "withheld" in blob.text and blob.content.count(b"\n") == 0
    assert sha in reg.mirror.flagged([sha])
    manifest = client.get("/v2/library/smollm2/manifests/135m")
    assert manifest.status_code == 403 and "blob corrupt" in manifest.text
    gguf = client.get(f"/v2/library/smollm2/blobs/sha256:{_sha(admitted.files['model.gguf'])}")
    assert gguf.status_code == 403  # nothing of a withheld version is served


def test_a_blob_missing_from_the_store_refuses_the_manifest(
    reg: Registry, store: BlobStore, client: TestClient, tmp_path: Path
) -> None:
    record_ollama(reg, store, tmp_path / "u", "ollama:tiny:1", ollama_model(4), publish=False)
    answer = client.get("/v2/library/tiny/manifests/1")
    assert answer.status_code == 404 and "not in the mirror's store" in answer.text


def test_tags_and_catalog(
    reg: Registry, store: BlobStore, client: TestClient, admitted: OllamaModel, tmp_path: Path
) -> None:
    record_ollama(reg, store, tmp_path / "b", "ollama:smollm2:360m", ollama_model(5))
    record_ollama(
        reg, store, tmp_path / "c", "ollama:smollm2:1b", ollama_model(6), action=DecisionAction.REJECT
    )
    assert client.get("/v2/library/smollm2/tags/list").json() == {
        "name": "library/smollm2",
        "tags": ["135m", "360m"],
    }
    assert client.get("/v2/_catalog").json() == {"repositories": ["library/smollm2"]}


def test_gguf_models_are_packaged_as_ollama_models(
    reg: Registry, store: BlobStore, client: TestClient, tmp_path: Path
) -> None:
    from weighbridge.mirror import publish_folder

    gguf, licence = tiny_gguf(7), b"MIT License\n\nCopyright test\n"
    files = {
        "tiny.Q4_1.gguf": gguf,
        "tiny.Q8_0.gguf": tiny_gguf(8),
        "LICENSE": licence,
        "README.md": b"# tiny\n",
    }
    recorded(
        reg,
        tmp_path / "g",
        "acme/tiny-gguf",
        files,
        source="hf:acme/tiny-gguf@" + "ab" * 20,
        revision="ab" * 20,
    )
    publish_folder(reg, store, "acme/tiny-gguf", tmp_path / "g")
    assert client.get("/v2/acme/tiny-gguf/tags/list").json()["tags"] == ["Q4_1", "Q8_0"]
    answer = client.get("/v2/acme/tiny-gguf/manifests/q4_1", headers={"Accept": DOCKER})
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    assert [(d["mediaType"], d["digest"]) for d in doc["layers"]] == [
        ("application/vnd.ollama.image.model", f"sha256:{_sha(gguf)}"),
        ("application/vnd.ollama.image.license", f"sha256:{_sha(licence)}"),
    ]
    config = client.get(f"/v2/acme/tiny-gguf/blobs/{doc['config']['digest']}")
    assert config.status_code == 200 and _sha(config.content) == doc["config"]["digest"][7:]
    assert json.loads(config.content)["rootfs"]["diff_ids"] == [d["digest"] for d in doc["layers"]]
    assert client.get(f"/v2/acme/tiny-gguf/blobs/sha256:{_sha(gguf)}").content == gguf
    assert client.get("/v2/acme/tiny-gguf/manifests/sha256:" + _sha(answer.content)).content == answer.content
    missing = client.get("/v2/acme/tiny-gguf/manifests/latest")
    assert missing.status_code == 404 and "tags: Q4_1, Q8_0" in missing.text
    readme = client.get(f"/v2/acme/tiny-gguf/blobs/sha256:{_sha(files['README.md'])}")
    assert readme.status_code == 404  # admitted, but not part of any served Ollama manifest


def test_a_model_recorded_from_a_real_ollama_store_is_served(
    reg: Registry, store: BlobStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The registry names the files the way the Ollama source does; the mirror maps the names back."""
    from weighbridge.mirror import publish_folder
    from weighbridge.sources.ollama import resolve_ollama

    model = ollama_model(9)
    ollama_home = tmp_path / "ollama"
    (ollama_home / "blobs").mkdir(parents=True)
    for data in model.files.values():
        (ollama_home / "blobs" / f"sha256-{_sha(data)}").write_bytes(data)
    manifest_path = ollama_home / "manifests" / "registry.ollama.ai" / "library" / "smollm2" / "135m"
    manifest_path.parent.mkdir(parents=True)
    manifest_path.write_bytes(model.manifest)
    monkeypatch.setenv("OLLAMA_MODELS", str(ollama_home))
    version, _ = reg.admit(SOURCE, policy_path=None, actor="tester")
    reg.decide(version.model, DecisionAction.APPROVE, actor="alice", reason="reviewed")
    assert {f.path for f in reg.get_version(version.model).files} == set(model.files)
    staged = tmp_path / "staged"
    staged.mkdir()
    for item in resolve_ollama(SOURCE).files:
        (staged / item.rel).write_bytes(Path(item.abspath).read_bytes())
    publish_folder(reg, store, version.model, staged)
    answer = TestClient(oci_app(reg, store)).get(
        "/v2/library/smollm2/manifests/135m", headers={"Accept": DOCKER}
    )
    assert answer.status_code == 200 and answer.content == model.manifest


def test_a_mirror_without_anonymous_pulls_wants_a_token(
    reg: Registry, store: BlobStore, admitted: OllamaModel
) -> None:
    import base64

    client = TestClient(oci_app(reg, store, allow_anonymous_pull=False))
    ping = client.get("/v2/")
    assert ping.status_code == 401
    assert ping.headers["www-authenticate"] == (
        'Bearer realm="http://testserver/v2/token",service="weighbridge-mirror"'
    )
    answer = client.get("/v2/library/smollm2/manifests/135m")
    assert answer.status_code == 401 and "www-authenticate" in answer.headers
    assert errors(answer.content)[0] == {
        "code": "UNAUTHORIZED",
        "detail": None,
        "message": "library/smollm2:135m: this mirror needs a token: send Authorization: Bearer",
    }
    wrong = client.get("/v2/library/smollm2/manifests/135m", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "unknown or revoked token" in wrong.text
    secret = reg.create_token("ci-puller", ["pull"])
    basic = base64.b64encode(f"anyone:{secret}".encode()).decode()
    assert client.get("/v2/token", headers={"Authorization": f"Basic {basic}"}).json()["token"] == secret
    assert (
        client.get(
            "/v2/token", headers={"Authorization": "Basic " + base64.b64encode(b"a:b").decode()}
        ).status_code
        == 401
    )
    auth = {"Authorization": f"Bearer {secret}"}
    assert client.get("/v2/", headers=auth).status_code == 200
    assert client.get("/v2/library/smollm2/manifests/135m", headers=auth).status_code == 200
    gguf = admitted.files["model.gguf"]
    assert client.get(f"/v2/library/smollm2/blobs/sha256:{_sha(gguf)}", headers=auth).content == gguf
    assert [p.user for p in reg.mirror.pulls(outcome=PullOutcome.SERVED)] == ["ci-puller"]


def test_the_catalogue_names_what_is_served_over_v2(
    reg: Registry, store: BlobStore, admitted: OllamaModel, tmp_path: Path
) -> None:
    from weighbridge.mirror.catalogue import catalogue

    recorded(
        reg,
        tmp_path / "g",
        "acme/tiny-gguf",
        {"tiny.Q4_1.gguf": tiny_gguf(7), "README.md": b"# t\n"},
        source="hf:acme/tiny-gguf",
    )
    recorded(reg, tmp_path / "p", "acme/plain", {"model.safetensors": b"\x00" * 16})
    rows = {r["model"]: r for r in catalogue(reg, store)}
    assert rows[SOURCE]["oci"] == ["library/smollm2:135m"] and rows[SOURCE]["protocols"] == ["hf", "oci"]
    assert rows["acme/tiny-gguf"]["oci"] == ["acme/tiny-gguf:latest"]
    assert rows["acme/plain"]["oci"] == [] and rows["acme/plain"]["protocols"] == ["hf"]


def test_the_dashboard_shows_the_v2_references(
    reg: Registry, store: BlobStore, admitted: OllamaModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    from weighbridge.web import create_app

    monkeypatch.setenv("WEIGHBRIDGE_MIRROR_STORE", str(store.root))
    app = create_app(reg.url)
    with TestClient(app, base_url="http://127.0.0.1") as web:
        assert "/v2/: library/smollm2:135m" in web.get("/mirror").text
        served = web.get("/api/v1/mirror").json()["catalogue"]
    app.state.web.registry.close()
    assert served[0]["oci"] == ["library/smollm2:135m"] and served[0]["protocols"] == ["hf", "oci"]
