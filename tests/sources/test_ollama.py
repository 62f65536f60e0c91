"""ollama:[host/][namespace/]name[:tag] from a fake Ollama store laid out as ``ollama pull`` writes it."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from weighbridge.core.findings import Check, Severity, WeighbridgeError
from weighbridge.core.report import TargetKind
from weighbridge.sources import ollama, resolve

MODEL = "application/vnd.ollama.image.model"
TEMPLATE = "application/vnd.ollama.image.template"
LICENSE = "application/vnd.ollama.image.license"
PARAMS = "application/vnd.ollama.image.params"
CONFIG = "application/vnd.docker.container.image.v1+json"


class FakeStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "blobs").mkdir(parents=True, exist_ok=True)

    def blob(self, data: bytes, media_type: str) -> dict[str, Any]:
        hexdigest = hashlib.sha256(data).hexdigest()
        (self.root / "blobs" / f"sha256-{hexdigest}").write_bytes(data)
        return {"mediaType": media_type, "digest": f"sha256:{hexdigest}", "size": len(data)}

    def manifest(
        self,
        layers: list[dict[str, Any]],
        *,
        name: str = "smollm2",
        tag: str = "latest",
        namespace: str = "library",
        host: str = "registry.ollama.ai",
        config: dict[str, Any] | None = None,
    ) -> Path:
        doc: dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": config if config is not None else self.blob(b'{"model_format": "gguf"}', CONFIG),
            "layers": layers,
        }
        return self.write(json.dumps(doc).encode(), name=name, tag=tag, namespace=namespace, host=host)

    def write(
        self,
        raw: bytes,
        *,
        name: str = "smollm2",
        tag: str = "latest",
        namespace: str = "library",
        host: str = "registry.ollama.ai",
    ) -> Path:
        path = self.root / "manifests" / host / namespace / name / tag
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw)
        return path


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeStore:
    monkeypatch.setenv("OLLAMA_MODELS", str(tmp_path / "models"))
    return FakeStore(tmp_path / "models")


# A complete GGUF with no tensors and no metadata (a clean scan), and other bytes of the same size.
EMPTY_GGUF = b"GGUF\x03\x00\x00\x00" + bytes(16)
OTHER_GGUF = b"GGUF\x03\x00\x00\x00" + bytes(15) + b"\x7f"


def standard_layers(store: FakeStore) -> list[dict[str, Any]]:
    return [
        store.blob(EMPTY_GGUF, MODEL),
        store.blob(b"{{ .Prompt }}", TEMPLATE),
        store.blob(b'{"stop": ["<|im_end|>"]}', PARAMS),
    ]


def test_name_only_resolves_library_latest(store: FakeStore) -> None:
    layers = standard_layers(store)
    manifest = store.manifest(layers)
    snap = resolve("ollama:smollm2")
    assert snap.target.kind is TargetKind.OLLAMA
    assert snap.target.input == "ollama:smollm2"
    assert snap.target.path == str(manifest)
    assert snap.target.revision == "latest"
    assert snap.root == str(store.root / "blobs")
    assert [f.rel for f in snap.files] == ["config.json", "model.gguf", "params", "template"]
    assert snap.notes == ()
    model = next(f for f in snap.files if f.rel == "model.gguf")
    hexdigest = layers[0]["digest"].removeprefix("sha256:")
    assert model.abspath == str(store.root / "blobs" / f"sha256-{hexdigest}")
    assert model.expected_sha256 == hexdigest
    assert model.digest_source == "ollama blob digest"


def test_tag_namespace_and_host(store: FakeStore) -> None:
    store.manifest(standard_layers(store), tag="135m")
    store.manifest(standard_layers(store), namespace="someone", name="tuned", tag="q4")
    store.manifest(
        standard_layers(store), host="hf.co", namespace="bartowski", name="SmolLM2-GGUF", tag="Q4_K_M"
    )
    store.manifest(standard_layers(store), host="localhost:5000", namespace="team", name="m", tag="v1")
    assert resolve("ollama:smollm2:135m").target.revision == "135m"
    assert resolve("ollama:someone/tuned:q4").target.path.endswith("registry.ollama.ai/someone/tuned/q4")
    snap = resolve("ollama:hf.co/bartowski/SmolLM2-GGUF:Q4_K_M")
    assert snap.target.path == str(store.root / "manifests/hf.co/bartowski/SmolLM2-GGUF/Q4_K_M")
    assert resolve("ollama:localhost:5000/team/m:v1").target.revision == "v1"


def test_parse_defaults() -> None:
    assert ollama.parse_ollama_spec("ollama:llama3") == ollama.OllamaName(
        "registry.ollama.ai", "library", "llama3", "latest"
    )
    assert ollama.parse_ollama_spec("ollama:ns/llama3") == ollama.OllamaName(
        "registry.ollama.ai", "ns", "llama3", "latest"
    )
    assert ollama.parse_ollama_spec("ollama:host:1/ns/llama3:8b").host == "host:1"


@pytest.mark.parametrize(
    "spec",
    [
        "ollama:",
        "ollama::tag",
        "ollama:a/b/c/d",
        "ollama:../x",
        "ollama:name:",
        "ollama:name:../x",
        "ollama:-bad host/ns/name",
        "ollama:ns//name",
        "ollama:.hidden",
    ],
)
def test_bad_names(store: FakeStore, spec: str) -> None:
    with pytest.raises(WeighbridgeError, match="not an Ollama model name"):
        resolve(spec)


def test_missing_model_says_where_it_looked(store: FakeStore) -> None:
    store.manifest(standard_layers(store), tag="1.7b")
    with pytest.raises(WeighbridgeError) as err:
        resolve("ollama:smollm2:135m")
    message = str(err.value)
    assert str(store.root) in message
    assert "$OLLAMA_MODELS" in message
    assert str(store.root / "manifests/registry.ollama.ai/library/smollm2/135m") in message
    assert "tags present: 1.7b" in message
    assert "ollama pull smollm2:135m" in message


def test_default_store_is_in_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OLLAMA_MODELS", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert ollama.ollama_store_dir() == tmp_path / ".ollama" / "models"
    fake = FakeStore(tmp_path / ".ollama" / "models")
    fake.manifest(standard_layers(fake), namespace="me", name="m")
    assert len(resolve("ollama:me/m").files) == 4
    with pytest.raises(WeighbridgeError, match="default; set OLLAMA_MODELS"):
        resolve("ollama:absent")


def test_several_licenses_are_numbered(store: FakeStore) -> None:
    layers = [
        store.blob(b"GGUF", MODEL),
        store.blob(b"Apache-2.0", LICENSE),
        store.blob(b"Llama terms", LICENSE),
    ]
    store.manifest(layers)
    assert [f.rel for f in resolve("ollama:smollm2").files] == [
        "config.json",
        "license-1",
        "license-2",
        "model.gguf",
    ]


def test_media_type_names() -> None:
    assert ollama.layer_name("application/vnd.ollama.image.adapter") == "adapter.gguf"
    assert ollama.layer_name("application/vnd.ollama.image.projector") == "projector.gguf"
    assert ollama.layer_name("application/vnd.ollama.image.system") == "system"
    assert ollama.layer_name("application/vnd.ollama.image.messages") == "messages"
    assert ollama.layer_name("application/vnd.ollama.image.embed") == "embed"
    assert ollama.layer_name("text/x-../../evil") == "evil"
    assert ollama.layer_name("weird/") == "layer"


def test_unknown_layer_cannot_collide(store: FakeStore) -> None:
    layers = [store.blob(b"a", LICENSE), store.blob(b"b", LICENSE), store.blob(b"c", "x/vnd.license-1")]
    store.manifest(layers)
    names = [f.rel for f in resolve("ollama:smollm2").files]
    assert len(set(names)) == 4
    assert "license-1" in names and "license-2" in names


def test_missing_blob_is_critical(store: FakeStore) -> None:
    layers = standard_layers(store)
    os.unlink(store.root / "blobs" / ("sha256-" + layers[0]["digest"].removeprefix("sha256:")))
    store.manifest(layers)
    snap = resolve("ollama:smollm2")
    assert "model.gguf" not in [f.rel for f in snap.files]
    assert [(n.rule, n.path, n.severity) for n in snap.notes] == [
        ("WB-SRC-020", "model.gguf", Severity.CRITICAL)
    ]
    assert snap.notes[0].evidence == layers[0]["digest"]


def test_size_mismatch_is_critical_and_still_scanned(store: FakeStore) -> None:
    layers = standard_layers(store)
    blob = store.root / "blobs" / ("sha256-" + layers[1]["digest"].removeprefix("sha256:"))
    blob.write_bytes(b"{{ .Prompt }}{% import os %}")
    store.manifest(layers)
    snap = resolve("ollama:smollm2")
    assert "template" in [f.rel for f in snap.files]
    assert [(n.rule, n.path, n.severity) for n in snap.notes] == [
        ("WB-SRC-021", "template", Severity.CRITICAL)
    ]


def test_tampered_blob_of_same_size_keeps_the_manifest_digest(store: FakeStore) -> None:
    layers = standard_layers(store)
    hexdigest = layers[0]["digest"].removeprefix("sha256:")
    blob = store.root / "blobs" / f"sha256-{hexdigest}"
    blob.write_bytes(OTHER_GGUF)
    store.manifest(layers)
    snap = resolve("ollama:smollm2")
    assert snap.notes == ()
    assert next(f for f in snap.files if f.rel == "model.gguf").expected_sha256 == hexdigest


def test_fifo_blob_is_never_listed(store: FakeStore) -> None:
    layers = standard_layers(store)
    fake = {"mediaType": MODEL, "digest": "sha256:" + "e" * 64, "size": 4}
    os.mkfifo(store.root / "blobs" / ("sha256-" + "e" * 64))
    store.manifest([fake, *layers[1:]])
    snap = resolve("ollama:smollm2")
    assert "model.gguf" not in [f.rel for f in snap.files]
    assert [(n.rule, n.path) for n in snap.notes] == [("WB-SRC-003", "model.gguf")]


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"{not json", "malformed Ollama manifest"),
        (b"\xff\xfe", "malformed Ollama manifest"),
        (b"[]", "no list of layers"),
        (b'{"layers": {}}', "no list of layers"),
        (b'{"layers": [3]}', "layer 0 is not an object"),
        (b'{"layers": [{"digest": "sha256:' + b"a" * 64 + b'", "size": 1}]}', "layer 0 has no mediaType"),
        (b'{"layers": [{"mediaType": "m", "digest": "md5:abc", "size": 1}]}', "not sha256:<64 hex>"),
        (b'{"layers": [{"mediaType": "m", "digest": "sha256:../../x", "size": 1}]}', "not sha256:<64 hex>"),
        (
            b'{"layers": [{"mediaType": "m", "digest": "sha256:' + b"a" * 64 + b'", "size": -1}]}',
            "not a byte count",
        ),
        (
            b'{"layers": [{"mediaType": "m", "digest": "sha256:' + b"a" * 64 + b'", "size": true}]}',
            "not a byte count",
        ),
        (b'{"config": "x", "layers": []}', "config is not an object"),
    ],
)
def test_malformed_manifest_names_the_file(store: FakeStore, raw: bytes, why: str) -> None:
    path = store.write(raw)
    with pytest.raises(WeighbridgeError) as err:
        resolve("ollama:smollm2")
    assert str(path) in str(err.value)
    assert why in str(err.value)


def test_oversized_manifest_is_refused(store: FakeStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ollama, "MANIFEST_LIMIT", 16)
    store.manifest(standard_layers(store))
    with pytest.raises(WeighbridgeError, match="larger than 16 bytes"):
        resolve("ollama:smollm2")


def test_download_flag_never_pulls(store: FakeStore) -> None:
    with pytest.raises(WeighbridgeError, match="ollama pull"):
        resolve("ollama:absent", download=True)


def test_scan_reports_tampered_and_missing_blobs_as_critical(store: FakeStore) -> None:
    import weighbridge

    layers = standard_layers(store)
    store.manifest(layers)
    clean = weighbridge.scan("ollama:smollm2")
    assert [f for f in clean.findings if f.check is Check.INTEGRITY] == []

    model_blob = store.root / "blobs" / ("sha256-" + layers[0]["digest"].removeprefix("sha256:"))
    model_blob.write_bytes(OTHER_GGUF)  # same size, other bytes
    os.unlink(store.root / "blobs" / ("sha256-" + layers[1]["digest"].removeprefix("sha256:")))
    report = weighbridge.scan("ollama:smollm2")
    critical = {
        (f.path, f.rule)
        for f in report.findings
        if f.check is Check.INTEGRITY and f.severity is Severity.CRITICAL
    }
    assert ("template", "WB-SRC-020") in critical
    assert any(path == "model.gguf" for path, _ in critical)
    assert "template" not in [r.path for r in report.files]
