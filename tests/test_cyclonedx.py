"""CycloneDX 1.6 AI-BOM: generated Hugging Face-style folders and the real artifacts, each document checked
against the strict 1.6 JSON schema bundled with cyclonedx-python-lib (no network)."""

from __future__ import annotations

import hashlib
import json
import socket
import struct
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

import weighbridge
from artifacts import minilm_folder, smollm2_gguf
from weighbridge.report.cyclonedx import attach_model_card, render_cyclonedx

LLAMA_CARD = """\
---
license: llama3.1
base_model: meta-llama/Llama-3.1-8B
base_model_relation: finetune
pipeline_tag: text-generation
language:
- en
datasets:
- example-org/instructions
model-index:
- name: acme-llama-chat
  results:
  - task:
      type: text-generation
    dataset:
      name: ARC Challenge
      type: ai2_arc
    metrics:
    - type: acc
      value: 61.5
---
# acme-llama-chat

A chat fine-tune of Llama 3.1 8B.

## Intended uses

Assistant-style chat in English.

## Limitations

Not evaluated on languages other than English.

## Bias, risks and ethical considerations

May reproduce biases of its training data; review outputs before use.
"""

CONFIG = {
    "_name_or_path": "meta-llama/Llama-3.1-8B",
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 8,
}


def safetensors_bytes() -> bytes:
    """A tiny, well-formed safetensors file: u64 LE header length, JSON header, then the tensor bytes."""
    data = struct.pack("<4f", 0.5, -1.0, 2.0, 0.25)
    header = json.dumps(
        {
            "__metadata__": {"format": "pt"},
            "weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, len(data)]},
        }
    ).encode()
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + data


def write_folder(root: Path, card: str, *, config: dict[str, Any] | None = None) -> Path:
    root.mkdir()
    (root / "README.md").write_text(card, encoding="utf-8")
    (root / "config.json").write_text(json.dumps(config or CONFIG, indent=2), encoding="utf-8")
    (root / "model.safetensors").write_bytes(safetensors_bytes())
    return root


def assert_valid(doc: str) -> dict[str, Any]:
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(doc)
    assert error is None, str(error)
    parsed: dict[str, Any] = json.loads(doc)
    assert parsed["bomFormat"] == "CycloneDX"
    assert parsed["specVersion"] == "1.6"
    return parsed


def model_of(bom: dict[str, Any]) -> dict[str, Any]:
    model: dict[str, Any] = bom["metadata"]["component"]
    assert model["type"] == "machine-learning-model"
    return model


def props(component: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in component.get("properties", []):
        out.setdefault(p["name"], []).append(p["value"])
    return out


@pytest.fixture()
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture()
def llama_folder(tmp_path: Path) -> Path:
    return write_folder(tmp_path / "acme-llama-chat", LLAMA_CARD)


def test_llama_finetune_document_is_valid_and_complete(llama_folder: Path, no_network: None) -> None:
    report = weighbridge.inspect(str(llama_folder))
    bom = assert_valid(render_cyclonedx(report))
    model = model_of(bom)

    # every scanned file is a ``file`` sub-component carrying the SHA-256 of its bytes
    files = {c["name"]: c for c in model["components"]}
    assert set(files) == {"README.md", "config.json", "model.safetensors"}
    for name, component in files.items():
        assert component["type"] == "file"
        digest = hashlib.sha256((llama_folder / name).read_bytes()).hexdigest()
        assert component["hashes"] == [{"alg": "SHA-256", "content": digest}]
    assert props(files["model.safetensors"])["weighbridge:file:format"] == ["safetensors"]

    # version and property: the manifest digest of the snapshot
    assert report.manifest_digest
    assert model["version"] == f"sha256:{report.manifest_digest}"
    model_props = props(model)
    assert model_props["weighbridge:manifest-digest"] == [f"sha256:{report.manifest_digest}"]
    assert model_props["weighbridge:scan:verdict"] == [
        report.max_severity.label if report.max_severity else "clean"
    ]

    # Llama 3.1 has no SPDX id: a named, declared licence; its terms as properties
    (entry,) = model["licenses"]
    assert "id" not in entry["license"]
    assert "Llama" in entry["license"]["name"] and "3.1" in entry["license"]["name"]
    assert entry["license"]["acknowledgement"] == "declared"
    assert model_props["weighbridge:license:id"] == ["llama3.1"]
    assert model_props["weighbridge:license:commercial-use"] == ["conditional"]
    assert model_props["weighbridge:license:user-cap"] == ["700000000"]

    # lineage: a pedigree ancestor, the same model as a top-level component, and a dependency on it
    (ancestor,) = model["pedigree"]["ancestors"]
    assert (ancestor["group"], ancestor["name"]) == ("meta-llama", "Llama-3.1-8B")
    assert ancestor["type"] == "machine-learning-model"
    assert props(ancestor)["weighbridge:lineage:relation"] == ["finetune"]
    assert props(ancestor)["weighbridge:lineage:relation-basis"] == ["stated"]
    assert ancestor["purl"] == "pkg:huggingface/meta-llama/Llama-3.1-8B"
    (base,) = bom["components"]
    assert (base["group"], base["name"], base["type"]) == (
        "meta-llama",
        "Llama-3.1-8B",
        "machine-learning-model",
    )
    depends = {d["ref"]: d.get("dependsOn", []) for d in bom["dependencies"]}
    assert depends[model["bom-ref"]] == [base["bom-ref"]]

    # model card: task and architecture from the card and config.json, datasets, metrics, considerations
    card = model["modelCard"]
    params = card["modelParameters"]
    assert params["task"] == "text-generation"
    assert (params["architectureFamily"], params["modelArchitecture"]) == ("llama", "LlamaForCausalLM")
    assert params["datasets"] == [
        {"type": "dataset", "name": "example-org/instructions", "description": "listed in README.md datasets"}
    ]
    assert card["quantitativeAnalysis"]["performanceMetrics"] == [
        {"type": "acc", "value": "61.5", "slice": "ARC Challenge"}
    ]
    considerations = card["considerations"]
    assert considerations["useCases"] == ["Assistant-style chat in English."]
    assert considerations["technicalLimitations"] == ["Not evaluated on languages other than English."]
    assert considerations["ethicalConsiderations"] == [
        {
            "name": "Bias, risks and ethical considerations",
            "mitigationStrategy": "May reproduce biases of its training data; review outputs before use.",
        }
    ]
    assert {"name": "weighbridge:card:base-model-relation", "value": "finetune"} in card["properties"]


def test_named_licence_carries_the_stated_link(tmp_path: Path) -> None:
    card = LLAMA_CARD.replace(
        "license: llama3.1\n",
        "license: other\nlicense_name: acme-model-license\nlicense_link: https://example.com/acme/LICENSE\n",
    )
    folder = write_folder(tmp_path / "acme-model", card)
    model = model_of(assert_valid(render_cyclonedx(weighbridge.inspect(str(folder)))))
    (entry,) = model["licenses"]
    assert entry["license"]["url"] == "https://example.com/acme/LICENSE"
    assert entry["license"]["name"]
    assert "id" not in entry["license"]


def test_spdx_licence_and_no_lineage(tmp_path: Path) -> None:
    card = "---\nlicense: apache-2.0\npipeline_tag: feature-extraction\n---\n# tiny-encoder\n"
    folder = write_folder(
        tmp_path / "tiny-encoder", card, config={"architectures": ["BertModel"], "model_type": "bert"}
    )
    bom = assert_valid(render_cyclonedx(weighbridge.inspect(str(folder))))
    model = model_of(bom)
    assert model["licenses"] == [{"license": {"id": "Apache-2.0", "acknowledgement": "declared"}}]
    assert "pedigree" not in model
    assert "components" not in bom
    assert model["modelCard"]["modelParameters"] == {
        "task": "feature-extraction",
        "architectureFamily": "bert",
        "modelArchitecture": "BertModel",
    }


def test_attach_model_card_finds_the_component_or_says_why() -> None:
    doc: dict[str, Any] = {
        "metadata": {
            "component": {
                "type": "machine-learning-model",
                "bom-ref": "m",
                "components": [{"type": "file", "bom-ref": "f"}],
            }
        }
    }
    attach_model_card(doc, "m", {"modelParameters": {"task": "x"}})
    assert doc["metadata"]["component"]["modelCard"] == {"modelParameters": {"task": "x"}}
    with pytest.raises(ValueError, match="machine-learning-model"):
        attach_model_card(doc, "f", {})
    with pytest.raises(KeyError):
        attach_model_card(doc, "missing", {})


def test_real_minilm_folder(no_network: None) -> None:
    folder = minilm_folder()
    report = weighbridge.inspect(str(folder))
    model = model_of(assert_valid(render_cyclonedx(report)))
    assert model["licenses"] == [{"license": {"id": "Apache-2.0", "acknowledgement": "declared"}}]
    assert (model["group"], model["name"]) == ("sentence-transformers", "all-MiniLM-L6-v2")
    hashes = {c["name"]: c["hashes"][0]["content"] for c in model["components"]}
    assert hashes == {f.path: f.sha256 for f in report.files}
    assert hashes["model.safetensors"] == "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
    assert model["modelCard"]["modelParameters"]["modelArchitecture"] == "BertModel"
    assert [a["name"] for a in model["pedigree"]["ancestors"]] == ["MiniLM-L6-H384-uncased"]


def test_real_smollm2_gguf(no_network: None) -> None:
    path = smollm2_gguf()
    report = weighbridge.inspect(str(path))
    model = model_of(assert_valid(render_cyclonedx(report)))
    assert model["licenses"] == [{"license": {"id": "Apache-2.0", "acknowledgement": "declared"}}]
    assert model["publisher"] == "HuggingFaceTB"
    (file,) = model["components"]
    assert file["name"] == path.name
    assert file["hashes"][0]["content"] == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    assert model["modelCard"]["modelParameters"]["architectureFamily"] == "llama"
