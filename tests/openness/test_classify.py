"""Openness: MOF classes on folders with different components and licences, the OSI definition's verdict,
and what is missing, each component with the files or card lines that show it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest
from tests.provenance.folders import SAFETENSORS, card, config, folder, gguf, local

from artifacts import minilm_folder, smollm2_gguf
from weighbridge.core.provenance import Openness, OpennessComponent
from weighbridge.openness import classify
from weighbridge.sources import resolve_local

CARD = card(
    """
license: apache-2.0
datasets:
- allenai/dolma
model-index:
- name: tiny
  results:
  - task: {type: text-generation}
    dataset: {name: HellaSwag, type: hellaswag}
    metrics:
    - {type: acc, value: 41.2}
""",
    """
# Tiny-7B

## Usage

```python
from transformers import AutoModelForCausalLM
```

## Training data

Tiny-7B was trained on Dolma (3T tokens), deduplicated and filtered.
""",
)

CLASS_III: dict[str, str | bytes] = {
    "README.md": CARD,
    "config.json": config(architectures=["OlmoForCausalLM"], model_type="olmo"),
    "model.safetensors": SAFETENSORS,
    "technical_report.pdf": b"%PDF-1.4\n",
}
CLASS_II: dict[str, str | bytes] = {
    **CLASS_III,
    "train.py": "print()\n",
    "evaluation/run_eval.py": "print()\n",
    "evaluation/data/hellaswag.jsonl": "{}\n",
}
CLASS_I: dict[str, str | bytes] = {
    **CLASS_II,
    "data/train-00000.jsonl": "{}\n",
    "scripts/preprocess_dolma.py": "print()\n",
    "paper.pdf": b"%PDF-1.4\n",
    "checkpoint-1000/model.safetensors": SAFETENSORS,
}


def _components(result: Openness) -> Mapping[str, OpennessComponent]:
    return {c.name: c for c in result.mof.components}


def _classify(
    root: Path, license_id: str | None = "apache-2.0", osi: bool | None = True, **kwargs: object
) -> Openness:
    result = classify(local(root), weights_license_id=license_id, weights_license_osi=osi, **kwargs)  # type: ignore[arg-type]
    json.dumps(result.to_dict())  # the report section is plain JSON
    return result


@pytest.mark.parametrize("files,expected", [(CLASS_III, 3), (CLASS_II, 2), (CLASS_I, 1)])
def test_mof_classes_grow_with_components(
    tmp_path: Path, files: dict[str, str | bytes], expected: int
) -> None:
    result = _classify(folder(tmp_path / "m", files))
    assert result.mof.mof_class == expected
    assert result.mof.class_if_references_hold == expected
    assert result.mof.progress[expected] == 1.0
    if expected > 1:
        assert result.mof.missing and all(":" in reason for reason in result.mof.missing)
    else:
        assert result.mof.missing == ()


def test_component_evidence(tmp_path: Path) -> None:
    parts = _components(_classify(folder(tmp_path / "m", CLASS_I)))
    assert [c.file for c in parts["Model parameters (Final)"].citations] == ["model.safetensors"]
    assert [c.file for c in parts["Model parameters (Intermediate)"].citations] == [
        "checkpoint-1000/model.safetensors"
    ]
    arch = parts["Model architecture"]
    assert (arch.citations[0].file, arch.citations[0].key, arch.citations[0].line) == (
        "config.json",
        "architectures",
        2,
    )
    results = parts["Evaluation results"]
    assert results.citations[0].key == "model-index" and results.citations[0].line == 5
    assert {c.value for c in parts["Data card"].citations} >= {"Training data"}
    assert parts["Inference code"].note == "usage code in the model card"
    assert (
        parts["Datasets"].status == "present"
        and parts["Datasets"].citations[0].file == "data/train-00000.jsonl"
    )
    assert parts["Data preprocessing code"].citations[0].file == "scripts/preprocess_dolma.py"
    assert all(c.license.basis == "distribution" and c.license.id == "apache-2.0" for c in parts.values())


def test_restrictive_weights_licence_blocks_every_class(tmp_path: Path) -> None:
    result = _classify(folder(tmp_path / "m", CLASS_I), "llama3.1", False)
    assert result.mof.mof_class is None and result.mof.label == "Unclassified"
    assert "Model parameters (Final): present, but its licence llama3.1 is not open" in result.mof.missing
    assert result.osaid.verdict == "open-weights"
    assert any("llama3.1 is not OSI-approved" in reason for reason in result.osaid.missing)


def test_unknown_licence_is_not_counted(tmp_path: Path) -> None:
    result = _classify(folder(tmp_path / "m", CLASS_III), None, None)
    assert result.mof.mof_class is None
    assert {c.license.basis for c in result.mof.components} == {"none"}
    assert "Model card: present, but its licence is not identified" in result.mof.missing
    assert "parameters: the weights licence is not identified" in result.osaid.missing


def test_mof_and_osi_disagree_on_openmdw(tmp_path: Path) -> None:
    result = _classify(folder(tmp_path / "m", CLASS_I), "OpenMDW-1.0", False)
    assert result.mof.mof_class == 1  # the MOF accepts OpenMDW as an open licence
    assert result.osaid.verdict == "open-weights"  # the OSI definition needs OSI-approved terms


def test_open_source_ai_needs_code_and_data_information(tmp_path: Path) -> None:
    full = _classify(folder(tmp_path / "full", CLASS_I))
    assert full.osaid.verdict == "open-source-ai" and full.osaid.missing == ()
    assert [r.name for r in full.osaid.requirements] == ["parameters", "code", "data_information"]
    partial = _classify(folder(tmp_path / "partial", CLASS_III))
    assert partial.osaid.verdict == "open-weights"
    assert partial.osaid.missing == (
        "code: data preprocessing code is not available",
        "code: training code is not available",
        "code: evaluation code is not available",
    )
    data_req = next(r for r in partial.osaid.requirements if r.name == "data_information")
    assert data_req.met  # a training-data section and a dataset listing suffice; raw data is not required


def test_research_paper_replaces_technical_report(tmp_path: Path) -> None:
    files = {k: v for k, v in CLASS_III.items() if k != "technical_report.pdf"}
    assert _classify(folder(tmp_path / "none", files)).mof.mof_class is None
    with_paper = _classify(folder(tmp_path / "paper", {**files, "paper.pdf": b"%PDF"}))
    assert with_paper.mof.mof_class == 3
    assert _components(with_paper)["Technical report"].status == "missing"


def test_references_are_reported_apart(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {k: v for k, v in CLASS_III.items() if k != "technical_report.pdf"}
    text = CARD + "\nSee the paper: https://arxiv.org/abs/2402.00838\n"
    files["README.md"] = text
    result = _classify(folder(tmp_path / "m", files))
    paper = _components(result)["Research paper"]
    arxiv_line = text.split("\n").index("See the paper: https://arxiv.org/abs/2402.00838") + 1
    assert paper.status == "referenced" and paper.citations[0].line == arxiv_line
    assert result.mof.mof_class is None and result.mof.class_if_references_hold == 3
    assert "Technical report: not found in the folder or the model card" in result.mof.missing


def test_code_under_a_data_licence_is_not_type_appropriate(tmp_path: Path) -> None:
    result = _classify(folder(tmp_path / "m", CLASS_I), other_licenses={"code": ("cc-by-4.0", False)})
    training = _components(result)["Training code"]
    assert (training.license.basis, training.license.open, training.license.type_appropriate) == (
        "code",
        True,
        False,
    )
    assert training.note is not None and "not a code licence" in training.note
    assert result.mof.mof_class == 1  # the MOF still counts it
    assert result.osaid.verdict == "open-weights"
    assert any(
        "training code is not under an OSI-approved licence (cc-by-4.0)" in r for r in result.osaid.missing
    )


def test_component_specific_licence(tmp_path: Path) -> None:
    result = _classify(folder(tmp_path / "m", CLASS_III), other_licenses={13: ("cc-by-nc-4.0", False)})
    assert _components(result)["Model card"].license.basis == "component"
    assert result.mof.mof_class is None
    assert "Model card: present, but its licence cc-by-nc-4.0 is not open" in result.mof.missing


def test_folder_without_weights(tmp_path: Path) -> None:
    result = _classify(folder(tmp_path / "m", {"README.md": CARD, "training_args.bin": b"\x80\x04."}))
    assert _components(result)["Model parameters (Final)"].status == "missing"
    assert result.osaid.verdict == "no-weights"
    assert "parameters: no model weights in the folder" in result.osaid.missing


def test_gguf_file_carries_architecture_and_tokenizer(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(gguf({"general.license": "mit"}))
    result = classify(resolve_local(str(path)), weights_license_id="mit", weights_license_osi=True)
    arch = _components(result)["Model architecture"]
    assert arch.status == "present" and arch.citations[0].key == "general.architecture"
    assert [(c.file, c.key) for c in result.tokenizer] == [("m.gguf", "tokenizer.ggml.model")]


def test_real_minilm_openness() -> None:
    result = classify(local(minilm_folder()), weights_license_id="apache-2.0", weights_license_osi=True)
    parts = _components(result)
    assert parts["Model parameters (Final)"].citations[0].file == "model.safetensors"
    assert parts["Model architecture"].citations[0].value == "BertModel"
    assert parts["Model card"].citations[0].value == "all-MiniLM-L6-v2"
    assert parts["Data card"].status == "present"
    assert parts["Inference code"].status == "present"
    training = parts["Training code"]
    assert training.status == "referenced" and "train_script.py" in (training.citations[0].value or "")
    assert parts["Datasets"].status == "referenced"
    assert (
        parts["Research paper"].status == "missing"
    )  # arXiv links of the dataset table are not the model's paper
    assert result.mof.mof_class is None
    assert result.mof.missing == (
        "Technical report: not found in the folder or the model card",
        "Evaluation results: not found in the folder or the model card",
    )
    assert result.osaid.verdict == "open-weights"
    assert {c.file for c in result.tokenizer} == {"tokenizer.json", "tokenizer_config.json", "vocab.txt"}


def test_real_smollm2_openness() -> None:
    result = classify(
        resolve_local(str(smollm2_gguf())), weights_license_id="apache-2.0", weights_license_osi=True
    )
    parts = _components(result)
    assert parts["Model architecture"].citations[0].value == "llama"
    assert parts["Model card"].status == "missing"
    assert result.mof.mof_class is None and result.osaid.verdict == "open-weights"
    assert result.tokenizer[0].value == "gpt2"
