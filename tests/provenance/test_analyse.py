"""analyse(): publisher, parties, lineage, source URLs and jurisdictions on generated model folders and on the
real artifacts, each statement with the file and line (or GGUF key) that made it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.provenance.folders import SAFETENSORS, card, config, folder, gguf, hf, local

from artifacts import minilm_folder, smollm2_gguf
from weighbridge.core.provenance import Ancestor, Citation, Provenance
from weighbridge.provenance import analyse
from weighbridge.sources import resolve_local


def _ancestor(prov: Provenance, model: str) -> Ancestor:
    return next(a for a in prov.lineage if a.model == model)


def _json_roundtrip(prov: Provenance) -> dict[str, object]:
    data = json.loads(json.dumps(prov.to_dict()))
    assert isinstance(data, dict)
    return data


def test_llama_31_finetune(tmp_path: Path) -> None:
    root = folder(
        tmp_path / "ft",
        {
            "README.md": card(
                "license: llama3.1\nbase_model: meta-llama/Llama-3.1-8B-Instruct\nlibrary_name: transformers",
                "# Llama-3.1-8B-Legal\n",
            ),
            "config.json": config(
                _name_or_path="meta-llama/Llama-3.1-8B-Instruct", architectures=["LlamaForCausalLM"]
            ),
            "model.safetensors": SAFETENSORS,
        },
    )
    prov = analyse(hf(root, "acme/Llama-3.1-8B-Legal"))
    assert prov.publisher is not None
    assert prov.publisher.name == "acme" and prov.publisher.jurisdiction is None
    assert prov.publisher.citations == (Citation(None, key="hf", value="hf:acme/Llama-3.1-8B-Legal"),)
    [base] = prov.lineage
    assert (base.repo_id, base.relation, base.child) == ("meta-llama/Llama-3.1-8B-Instruct", "finetune", None)
    assert base.relation_basis.startswith("inferred: one base model")
    assert (
        Citation("README.md", key="base_model", line=3, value="meta-llama/Llama-3.1-8B-Instruct")
        in base.citations
    )
    assert any(c.file == "config.json" and c.key == "_name_or_path" and c.line == 2 for c in base.citations)
    assert base.publisher is not None and base.publisher.name == "meta-llama"
    assert base.publisher.jurisdiction is not None
    assert (base.publisher.jurisdiction.organization, base.publisher.country) == (
        "Meta Platforms, Inc.",
        "US",
    )
    assert prov.countries() == {"US": ("ancestor meta-llama/Llama-3.1-8B-Instruct",)}
    assert [(u.url, u.role) for u in prov.source_urls] == [
        ("https://huggingface.co/acme/Llama-3.1-8B-Legal", "artifact"),
        ("https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct", "base-model"),
    ]
    assert prov.quantized_by == () and prov.problems == ()
    data = _json_roundtrip(prov)
    assert data["countries"] == {"US": ["ancestor meta-llama/Llama-3.1-8B-Instruct"]}


def test_qwen_quantization_card_and_gguf(tmp_path: Path) -> None:
    root = folder(
        tmp_path / "q",
        {
            "README.md": card(
                "base_model: Qwen/Qwen2.5-7B-Instruct\nbase_model_relation: quantized\n"
                "quantized_by: bartowski\nlicense: apache-2.0",
                "# Qwen2.5-7B-Instruct-GGUF\n",
            ),
            "Qwen2.5-7B-Instruct-Q4_K_M.gguf": gguf(
                {
                    "general.name": "Qwen2.5 7B Instruct",
                    "general.organization": "Qwen",
                    "general.quantized_by": "bartowski",
                    "general.file_type": 15,
                    "general.base_model.count": 1,
                    "general.base_model.0.name": "Qwen2.5 7B",
                    "general.base_model.0.organization": "Qwen",
                    "general.base_model.0.repo_url": "https://huggingface.co/Qwen/Qwen2.5-7B",
                }
            ),
        },
    )
    prov = analyse(hf(root, "bartowski/Qwen2.5-7B-Instruct-GGUF"))
    assert prov.publisher is not None and prov.publisher.name == "bartowski"
    direct = _ancestor(prov, "Qwen/Qwen2.5-7B-Instruct")
    assert (direct.relation, direct.relation_basis, direct.child) == ("quantized", "stated", None)
    assert Citation("README.md", key="base_model_relation", line=3, value="quantized") in direct.citations
    grand = _ancestor(prov, "Qwen/Qwen2.5-7B")
    assert (grand.relation, grand.child) == ("finetune", "Qwen/Qwen2.5-7B-Instruct")
    assert grand.relation_basis.startswith("inferred: GGUF general.base_model")
    assert {c.key for c in grand.citations} == {
        "general.base_model.0.name",
        "general.base_model.0.organization",
        "general.base_model.0.repo_url",
    }
    assert [a.model for a in prov.lineage] == ["Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-7B"]  # direct first
    for ancestor in prov.lineage:
        assert ancestor.publisher is not None and ancestor.publisher.country == "CN"
    # GGUF general.organization names the ancestors' org (the converter's guess): a creator, not the publisher.
    roles = {(p.name, p.role) for p in prov.parties}
    assert ("Qwen", "creator") in roles and ("bartowski", "publisher") in roles
    [quantizer] = prov.quantized_by
    assert quantizer.name == "bartowski" and quantizer.inferred is None
    assert {(c.file, c.key) for c in quantizer.citations} == {
        ("README.md", "quantized_by"),
        ("Qwen2.5-7B-Instruct-Q4_K_M.gguf", "general.quantized_by"),
    }
    assert prov.countries() == {"CN": ("ancestor Qwen/Qwen2.5-7B-Instruct", "ancestor Qwen/Qwen2.5-7B")}
    assert prov.problems == ()


def test_merge_of_two_bases_inferred_and_stated(tmp_path: Path) -> None:
    bases = "base_model:\n- mistralai/Mistral-7B-v0.1\n- HuggingFaceH4/zephyr-7b-beta"
    inferred = analyse(local(folder(tmp_path / "a", {"README.md": card(bases)})))
    assert [(a.model, a.relation) for a in inferred.lineage] == [
        ("mistralai/Mistral-7B-v0.1", "merge"),
        ("HuggingFaceH4/zephyr-7b-beta", "merge"),
    ]
    assert inferred.lineage[0].relation_basis == "inferred: the card lists several base models"
    assert [a.citations[0].line for a in inferred.lineage] == [3, 4]
    assert inferred.countries() == {
        "FR": ("ancestor mistralai/Mistral-7B-v0.1",),
        "US": ("ancestor HuggingFaceH4/zephyr-7b-beta",),
    }
    stated = analyse(
        local(folder(tmp_path / "b", {"README.md": card(bases + "\nbase_model_relation: merge")}))
    )
    assert {a.relation_basis for a in stated.lineage} == {"stated"}
    assert inferred.publisher is None  # a local folder with no self-reference names no publisher


def test_deepseek_distill(tmp_path: Path) -> None:
    root = folder(
        tmp_path / "DeepSeek-R1-Distill-Qwen-7B",
        {
            "README.md": card(
                "license: mit\nlibrary_name: transformers\nbase_model:\n- Qwen/Qwen2.5-Math-7B",
                "# DeepSeek-R1-Distill-Qwen-7B\n\nDistilled from DeepSeek-R1.\n",
            ),
            "config.json": config(
                _name_or_path="/mnt/ckpt/distill/step-4000", architectures=["Qwen2ForCausalLM"]
            ),
            "model.safetensors": SAFETENSORS,
        },
    )
    prov = analyse(hf(root, "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B"))
    assert prov.publisher is not None and prov.publisher.name == "deepseek-ai"
    assert prov.publisher.jurisdiction is not None and prov.publisher.country == "CN"
    assert prov.publisher.jurisdiction.organization.startswith("Hangzhou DeepSeek")
    [base] = prov.lineage
    assert (base.model, base.relation) == ("Qwen/Qwen2.5-Math-7B", "finetune")
    assert base.publisher is not None and base.publisher.country == "CN"
    assert prov.countries() == {"CN": ("publisher", "ancestor Qwen/Qwen2.5-Math-7B")}
    assert prov.problems == ()  # a local checkpoint path in _name_or_path is not a model id: ignored


def test_adapter_config_names_the_base(tmp_path: Path) -> None:
    root = folder(
        tmp_path / "lora",
        {
            "adapter_config.json": config(base_model_name_or_path="google/gemma-2-9b-it", peft_type="LORA"),
            "adapter_model.safetensors": SAFETENSORS,
            "README.md": card("base_model: google/gemma-2-9b-it\nlibrary_name: peft"),
        },
    )
    prov = analyse(local(root))
    [base] = prov.lineage
    assert (base.model, base.relation) == ("google/gemma-2-9b-it", "adapter")
    assert base.relation_basis == "stated"  # adapter_config.json states what the adapter applies to
    assert {c.file for c in base.citations} == {"README.md", "adapter_config.json"}
    assert base.publisher is not None and base.publisher.country == "US"


def test_gguf_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "Llama-3.2-1B-Instruct-Q8_0.gguf"
    path.write_bytes(
        gguf(
            {
                "general.name": "Llama 3.2 1B Instruct",
                "general.organization": "Meta Llama",
                "general.file_type": 7,
                "general.source.huggingface.repository": "meta-llama/Llama-3.2-1B-Instruct",
                "general.base_model.count": 1,
                "general.base_model.0.name": "Llama 3.2 1B",
                "general.base_model.0.organization": "Meta Llama",
                "general.base_model.0.repo_url": "https://huggingface.co/meta-llama/Llama-3.2-1B",
                "general.url": "https://huggingface.co/someone/Llama-3.2-1B-Instruct-GGUF",
            }
        )
    )
    prov = analyse(resolve_local(str(path)))
    source = _ancestor(prov, "meta-llama/Llama-3.2-1B-Instruct")
    assert (source.relation, source.child) == ("quantized", None)
    assert source.relation_basis == (
        "inferred: GGUF general.source.huggingface.repository and general.file_type Q8_0"
    )
    base = _ancestor(prov, "meta-llama/Llama-3.2-1B")
    assert (base.relation, base.child) == ("finetune", "meta-llama/Llama-3.2-1B-Instruct")
    assert prov.publisher is None
    assert [(p.name, p.role) for p in prov.parties] == [("Meta Llama", "creator")]
    assert prov.parties[0].country == "US"
    assert ("https://huggingface.co/someone/Llama-3.2-1B-Instruct-GGUF", "artifact") in [
        (u.url, u.role) for u in prov.source_urls
    ]
    assert ("https://huggingface.co/meta-llama/Llama-3.2-1B-Instruct", "source") in [
        (u.url, u.role) for u in prov.source_urls
    ]


def test_f16_gguf_is_a_conversion_and_base_equal_to_source_merges(tmp_path: Path) -> None:
    path = tmp_path / "m-f16.gguf"
    path.write_bytes(
        gguf(
            {
                "general.file_type": 1,
                "general.source.repo_url": "https://huggingface.co/acme/m",
                "general.base_model.count": 1,
                "general.base_model.0.repo_url": "https://huggingface.co/acme/m",
            }
        )
    )
    prov = analyse(resolve_local(str(path)))
    [source] = prov.lineage
    assert (source.model, source.relation, source.child) == ("acme/m", "conversion", None)
    assert {c.key for c in source.citations} == {
        "general.source.repo_url",
        "general.file_type",
        "general.base_model.0.repo_url",
    }


def test_self_reference_disagreements_and_stale_config(tmp_path: Path) -> None:
    root = folder(
        tmp_path / "x",
        {
            "README.md": card(
                "base_model:\n- acme/x\n- mistralai/Mistral-7B-v0.1\nbase_model_relation: finetune"
            ),
            "config.json": config(_name_or_path="someone/else"),
            "x.gguf": gguf({"general.organization": "Other Org"}),
        },
    )
    prov = analyse(hf(root, "acme/x"))
    messages = [p.message for p in prov.problems]
    assert any("base_model names the model itself (acme/x)" in m for m in messages)
    assert any(
        "different publishers: acme (target hf:acme/x); Other Org (x.gguf general.organization)" in m
        for m in messages
    )
    assert any("_name_or_path names someone/else" in m for m in messages)
    assert [a.model for a in prov.lineage] == ["mistralai/Mistral-7B-v0.1"]
    assert prov.publisher is not None and prov.publisher.name == "acme"


def test_identity_from_cache_path_and_card_self_reference(tmp_path: Path) -> None:
    cached = folder(
        tmp_path / "hub" / "models--tiiuae--falcon-7b" / "snapshots" / ("a" * 40), {"config.json": "{}"}
    )
    prov = analyse(local(cached))
    assert prov.publisher is not None and prov.publisher.name == "tiiuae" and prov.publisher.country == "AE"
    assert prov.publisher.citations[0].key == "path"

    body = "# Tiny-Chat\n\n```python\npipe = pipeline('text-generation', model='acme-labs/Tiny-Chat')\n```\n"
    mentioned = analyse(local(folder(tmp_path / "whatever", {"README.md": card("license: mit", body)})))
    assert mentioned.publisher is not None and mentioned.publisher.name == "acme-labs"
    assert mentioned.publisher.citations == (Citation("README.md", line=7, value="acme-labs/Tiny-Chat"),)


def test_inferred_quantizer_and_model_creator(tmp_path: Path) -> None:
    root = folder(
        tmp_path / "q",
        {
            "README.md": card("base_model: mistralai/Mistral-7B-Instruct-v0.2\nmodel_creator: Mistral AI"),
            "config.json": config(quantization_config={"quant_method": "awq", "bits": 4}),
        },
    )
    prov = analyse(hf(root, "acme/Mistral-7B-Instruct-AWQ"))
    [base] = prov.lineage
    assert base.relation == "quantized" and "quantization_config (awq)" in base.relation_basis
    assert base.publisher is not None and {c.key for c in base.publisher.citations} == {
        "base_model",
        "model_creator",
    }
    [quantizer] = prov.quantized_by
    assert (
        quantizer.name == "acme"
        and quantizer.inferred == "publisher of a quantization of mistralai/Mistral-7B-Instruct-v0.2"
    )
    assert ("Mistral AI", "creator", "FR") in [(p.name, p.role, p.country) for p in prov.parties]


def test_user_publishers_file_resolves_the_publisher(tmp_path: Path) -> None:
    data = tmp_path / "orgs.yaml"
    data.write_text("- name: Acme AI GmbH\n  country: DE\n  hf_orgs: [acme]\n", encoding="utf-8")
    root = folder(tmp_path / "m", {"README.md": card("base_model: meta-llama/Llama-3.1-8B")})
    prov = analyse(hf(root, "acme/m"), publishers_file=data)
    assert prov.publisher is not None and prov.publisher.country == "DE"
    assert prov.data_files[0] == str(data)
    assert prov.countries() == {"DE": ("publisher",), "US": ("ancestor meta-llama/Llama-3.1-8B",)}


def test_real_minilm_folder_publisher_and_base_model() -> None:
    prov = analyse(local(minilm_folder()))
    assert prov.publisher is not None and prov.publisher.name == "sentence-transformers"
    assert all(
        c.file == "README.md" and c.value == "sentence-transformers/all-MiniLM-L6-v2"
        for c in prov.publisher.citations
    )
    [base] = prov.lineage
    assert base.repo_id == "nreimers/MiniLM-L6-H384-uncased" and base.relation == "finetune"
    assert base.citations == (
        Citation("config.json", key="_name_or_path", line=2, value="nreimers/MiniLM-L6-H384-uncased"),
    )
    assert prov.card is not None and prov.card.license == "apache-2.0"
    assert prov.problems == ()
    _json_roundtrip(prov)


def test_real_smollm2_gguf_publisher() -> None:
    prov = analyse(resolve_local(str(smollm2_gguf())))
    assert prov.publisher is not None and prov.publisher.name == "HuggingFaceTB"
    assert prov.publisher.jurisdiction is not None and prov.publisher.country == "US"
    assert prov.publisher.citations[0].key == "general.organization"
    assert prov.lineage == ()
    [meta] = prov.gguf
    assert meta.text("general.license") == "apache-2.0"
    data = _json_roundtrip(prov)
    assert data["gguf"][0]["values"]["general.file_type"] == 3  # type: ignore[index]
