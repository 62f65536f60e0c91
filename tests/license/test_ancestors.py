"""Ancestor licences resolved offline from the known-model table: what a derivative inherits."""

from __future__ import annotations

import importlib.resources
import re
from pathlib import Path

import pytest
import yaml
from tests.license.folders import card, folder

from weighbridge import inspect
from weighbridge.core.provenance import Ancestor, Citation
from weighbridge.license.ancestors import SCHEMA, known_models, lookup, parse_table, relations_to
from weighbridge.license.families import by_id


def _table() -> object:
    resource = importlib.resources.files("weighbridge.license") / "data" / "known_models.yaml"
    return yaml.safe_load(resource.read_text(encoding="utf-8"))


def test_table_loads_and_every_licence_id_is_known() -> None:
    data = _table()
    assert isinstance(data, dict) and data["schema"] == SCHEMA
    entries = known_models()
    assert len(entries) == len(data["models"]) >= 30
    for entry in entries:
        assert by_id(entry.license) is not None, entry
        # a section of the research notes, or the publisher's own statement at a fixed commit
        assert entry.source.startswith(("licenses.md §", "https://github.com/")), entry
        if entry.source.startswith("https://"):
            assert re.search(r"/blob/[0-9a-f]{40}/", entry.source), entry
        assert entry.patterns and all("/" in p for p in entry.patterns), entry


@pytest.mark.parametrize(
    ("repo_id", "license_id"),
    [
        ("black-forest-labs/FLUX.1-dev", "flux-1-dev-non-commercial"),
        ("black-forest-labs/FLUX.1-schnell", "apache-2.0"),
        ("THUDM/CogVideoX-2b", "apache-2.0"),
        ("THUDM/CogVideoX-5b-I2V", "cogvideox"),
        ("databricks/dbrx-instruct", "databricks-open-model"),
        ("DeepFloyd/IF-I-XL-v1.0", "stabilityai-research"),
        ("2Noise/ChatTTS", "cc-by-nc-4.0"),
        ("meta-llama/Llama-2-7b-hf", "llama2"),
        ("meta-llama/Meta-Llama-3-8B-Instruct", "llama3"),
        ("meta-llama/Meta-Llama-3.1-70B", "llama3.1"),
        ("META-LLAMA/llama-3.1-8b-instruct", "llama3.1"),
        ("meta-llama/Llama-3.2-1B", "llama3.2"),
        ("meta-llama/Llama-3.3-70B-Instruct", "llama3.3"),
        ("meta-llama/Llama-4-Scout-17B-16E-Instruct", "llama4"),
        ("Qwen/Qwen-7B-Chat", "tongyi-qianwen"),
        ("Qwen/Qwen-1_8B", "tongyi-qianwen-research"),
        ("Qwen/Qwen2.5-72B-Instruct", "qwen"),
        ("Qwen/Qwen3-8B", "apache-2.0"),
        ("google/gemma-2-9b", "gemma"),
        ("google/gemma-4-e4b", "apache-2.0"),
        ("deepseek-ai/deepseek-llm-7b-base", "deepseek"),
        ("deepseek-ai/DeepSeek-V3", "deepseek"),
        ("deepseek-ai/DeepSeek-V3-0324", "mit"),
        ("deepseek-ai/DeepSeek-R1", "mit"),
        ("deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "llama3.1"),
        ("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "apache-2.0"),
        ("openai/gpt-oss-20b", "apache-2.0"),
        ("mistralai/Mistral-7B-v0.1", "apache-2.0"),
        ("mistralai/Codestral-22B-v0.1", "mnpl"),
        ("tiiuae/falcon-7b", "apache-2.0"),
    ],
)
def test_lookup(repo_id: str, license_id: str) -> None:
    found = lookup(repo_id)
    assert found is not None and found[0].license == license_id


@pytest.mark.parametrize(
    "repo_id",
    [
        "meta-llama/Meta-Llama-3.1",
        "someone/my-model",
        "Qwen/Qwen1.5-1.8B",
        "moonshotai/Kimi-K2-Instruct",
        "google/medgemma-4b-it",
    ],
)
def test_lookup_unknown(repo_id: str) -> None:
    assert lookup(repo_id) is None


def test_llama_3_1_finetune_with_wrong_card_licence_inherits_llama(tmp_path: Path) -> None:
    root = folder(
        tmp_path / "ft",
        {
            "README.md": card(
                "license: apache-2.0\nbase_model: meta-llama/Llama-3.1-8B-Instruct\n"
                "base_model_relation: finetune"
            ),
            "config.json": '{"model_type": "llama"}',
        },
    )
    report = inspect(str(root))
    assert report.license is not None and report.license.identity is not None
    assert report.license.identity.id == "apache-2.0"
    [item] = report.inherited
    assert item.ancestor.repo_id == "meta-llama/Llama-3.1-8B-Instruct"
    assert item.license.id == "llama3.1" and item.relations == ("finetune",) and item.derivative
    assert item.basis == "known model table: meta-llama/Llama-3.1-*"
    assert item.terms is not None and item.terms.derivative_naming == "Llama"
    assert item.terms.attribution_text == "Built with Llama" and item.terms.user_cap == 700_000_000
    doc = report.to_dict()["inherited"]
    assert doc[0]["license"]["id"] == "llama3.1" and doc[0]["terms"]["derivative_naming"] == "Llama"
    assert doc[0]["citations"][0] == {
        "file": "README.md",
        "key": "base_model",
        "line": 3,
        "value": "meta-llama/Llama-3.1-8B-Instruct",
    }


def test_qwen_1_quantization_inherits_the_user_cap(tmp_path: Path) -> None:
    root = folder(
        tmp_path / "q",
        {
            "README.md": card(
                "license: other\nbase_model: Qwen/Qwen-7B-Chat\nbase_model_relation: quantized"
            ),
            "config.json": '{"model_type": "qwen"}',
        },
    )
    [item] = inspect(str(root)).inherited
    assert item.license.id == "tongyi-qianwen" and item.relations == ("quantized",) and not item.derivative
    assert item.terms is not None and item.terms.user_cap == 100_000_000


def test_unknown_base_model_inherits_nothing(tmp_path: Path) -> None:
    root = folder(
        tmp_path / "u",
        {
            "README.md": card(
                "license: mit\nbase_model: someone/homegrown-7b\nbase_model_relation: finetune"
            ),
            "config.json": '{"model_type": "llama"}',
        },
    )
    report = inspect(str(root))
    assert report.provenance is not None and [a.repo_id for a in report.provenance.lineage] == [
        "someone/homegrown-7b"
    ]
    assert report.inherited == () and "inherited" not in report.to_dict()


def test_relations_follow_the_chain_to_the_inspected_model() -> None:
    cite = (Citation("README.md", key="base_model", line=2),)
    direct = Ancestor("acme/ft", "acme/ft", "quantized", "stated", cite)
    base = Ancestor(
        "meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B", "finetune", "stated", cite, child="acme/ft"
    )
    assert relations_to(base, (direct, base)) == ("quantized", "finetune")
    assert relations_to(direct, (direct, base)) == ("quantized",)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"schema": "other"}, "schema"),
        ({"schema": SCHEMA, "models": {}}, "'models' must be a list"),
        (
            {
                "schema": SCHEMA,
                "models": [{"patterns": ["a/b"], "license": "no-such-licence", "source": "x"}],
            },
            "'no-such-licence' is not a known licence id",
        ),
        ({"schema": SCHEMA, "models": [{"patterns": [], "license": "mit", "source": "x"}]}, "'patterns'"),
        ({"schema": SCHEMA, "models": [{"patterns": ["a/b"], "license": "mit"}]}, "'source'"),
    ],
)
def test_parse_table_rejects_bad_entries(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_table(data)
