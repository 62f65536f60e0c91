"""Model card reader: front-matter fields with their lines, the body outline, and bad cards as problems."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.provenance.folders import card, folder, local

from artifacts import minilm_folder
from weighbridge.metadata.card import MAX_CARD_BYTES
from weighbridge.provenance import find_card, parse_card, read_card

LLAMA_FT = card(
    """
license: llama3.1
base_model: meta-llama/Llama-3.1-8B-Instruct
datasets:
  - acme/legal-qa
  - acme/contracts
language: [en, de]
library_name: transformers
pipeline_tag: text-generation
tags:
  - llama
  - legal
model-index:
  - name: Llama-3.1-8B-Legal
    results:
      - task: {type: text-generation}
        dataset: {name: LegalBench, type: nguha/legalbench}
        metrics:
          - {type: accuracy, value: 71.2}
          - {type: f1, value: 0.68}
""",
    """
<p align="center"><img src="logo.png"></p>

# Llama-3.1-8B-Legal

A fine-tune of [Llama 3.1](https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct).

## Usage

```python
model = AutoModelForCausalLM.from_pretrained("acme/Llama-3.1-8B-Legal")
# not a heading inside code
```

## Evaluation

| benchmark | score |
|---|---|
| LegalBench | 71.2 |
""",
)


def test_front_matter_fields_and_lines() -> None:
    parsed = parse_card(LLAMA_FT.encode(), "README.md")
    assert parsed.problems == ()
    assert parsed.has_front_matter
    assert parsed.license == "llama3.1"
    assert parsed.base_model == ("meta-llama/Llama-3.1-8B-Instruct",)
    assert parsed.datasets == ("acme/legal-qa", "acme/contracts")
    assert parsed.language == ("en", "de")
    assert (parsed.library_name, parsed.pipeline_tag) == ("transformers", "text-generation")
    assert parsed.tags == ("llama", "legal")
    # Line numbers count the opening '---' as line 1.
    assert parsed.line_of("license") == 2
    assert parsed.line_of("base_model") == 3
    assert parsed.line_of("datasets[1]") == 6
    assert [(r.dataset, r.metric, r.value) for r in parsed.eval_results] == [
        ("LegalBench", "accuracy", "71.2"),
        ("LegalBench", "f1", "0.68"),
    ]


def test_body_outline_headline_code_tables_and_repo_mentions() -> None:
    parsed = parse_card(LLAMA_FT.encode(), "README.md")
    assert parsed.headline == "Llama-3.1-8B-Legal"
    lines = LLAMA_FT.split("\n")
    assert lines[parsed.headline_line - 1] == "# Llama-3.1-8B-Legal"  # type: ignore[operator]
    sections = {s.title: s for s in parsed.sections}
    assert set(sections) == {"Llama-3.1-8B-Legal", "Usage", "Evaluation"}  # '#' inside code is no heading
    assert sections["Usage"].has_code and not sections["Usage"].has_table
    assert sections["Evaluation"].has_table and not sections["Evaluation"].has_code
    assert sections["Llama-3.1-8B-Legal"].has_code  # a parent section contains its subsections
    repos = [r for r, _ in parsed.repo_mentions]
    assert repos == ["meta-llama/Llama-3.1-8B-Instruct", "acme/Llama-3.1-8B-Legal"]
    line = dict(parsed.repo_mentions)["acme/Llama-3.1-8B-Legal"]
    assert "from_pretrained" in lines[line - 1]
    assert (
        "https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct",
        dict(parsed.links)["https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct"],
    ) in parsed.links


def test_base_model_list_quantizer_and_creator() -> None:
    parsed = parse_card(
        card("""
base_model:
- mistralai/Mistral-7B-v0.1
- HuggingFaceH4/zephyr-7b-beta
base_model_relation: Merge
model_creator: Mistral AI
quantized_by: TheBloke
license: [apache-2.0, mit]
""").encode(),
        "README.md",
    )
    assert parsed.base_model == ("mistralai/Mistral-7B-v0.1", "HuggingFaceH4/zephyr-7b-beta")
    assert parsed.base_model_relation == "merge"
    assert (parsed.model_creator, parsed.quantized_by) == ("Mistral AI", "TheBloke")
    assert parsed.license == "apache-2.0,mit"
    assert parsed.line_of("base_model[1]") == 4


def test_malformed_yaml_is_a_problem_with_its_line() -> None:
    parsed = parse_card(
        card("license: apache-2.0\nbase_model: [unclosed, list\nfoo: bar").encode(), "README.md"
    )
    assert parsed.license is None and parsed.base_model == ()
    assert len(parsed.problems) == 1
    problem = parsed.problems[0]
    assert problem.file == "README.md" and "malformed" in problem.message
    assert problem.line is not None and 3 <= problem.line <= 5
    assert parsed.headline == "Model"  # the body is still read


def test_unclosed_front_matter_non_mapping_and_wrong_types() -> None:
    unclosed = parse_card(b"---\nlicense: mit\n# Title\n", "README.md")
    assert unclosed.license is None and "never closed" in unclosed.problems[0].message
    listed = parse_card(card("- a\n- b").encode(), "README.md")
    assert "not a mapping" in listed.problems[0].message
    typed = parse_card(
        card("license: {name: x}\ntags: [ok, {bad: 1}]\nbase_model_relation: distilled").encode(), "README.md"
    )
    assert typed.license is None and typed.tags == ("ok",)
    assert typed.base_model_relation == "distilled"
    messages = [p.message for p in typed.problems]
    assert any("'license' should be text" in m for m in messages)
    assert any("item 1 of card field 'tags'" in m for m in messages)
    assert any("not one of adapter, merge, quantized, finetune" in m for m in messages)
    assert {p.line for p in typed.problems} == {2, 3, 4}


def test_alias_bombs_multi_documents_and_bad_encodings_are_problems() -> None:
    bomb = "a: &a [x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [*{'a' if i == 0 else f'a{i - 1}'}]\n" for i in range(150)
    )
    assert "too many" in parse_card(card(bomb).encode(), "README.md").problems[0].message
    two_docs = parse_card(b"---\nlicense: mit\n---\n", "README.md")
    assert two_docs.license == "mit"  # the closing line ends the front matter; the rest is body
    latin1 = parse_card(card("license: mit", "# Caf\xe9\n").encode("latin-1"), "README.md")
    assert latin1.license == "mit" and "not UTF-8" in latin1.problems[0].message
    crlf = parse_card(card("license: mit").replace("\n", "\r\n").encode(), "README.md")
    assert crlf.license == "mit" and crlf.problems == ()


def test_oversized_card_is_cut_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_bytes(card("license: mit").encode() + b"x" * (MAX_CARD_BYTES + 10))
    snapshot = local(tmp_path)
    found = find_card(snapshot)
    assert found is not None
    parsed = read_card(found)
    assert parsed.license == "mit"
    assert any("larger than" in p.message for p in parsed.problems)


def test_card_without_front_matter_and_find_card(tmp_path: Path) -> None:
    root = folder(
        tmp_path / "m", {"readme.md": "Intro\n\n### Only a third-level heading\n", "sub/README.md": "x"}
    )
    found = find_card(local(root))
    assert found is not None and found.rel == "readme.md"
    parsed = read_card(found)
    assert not parsed.has_front_matter and parsed.headline == "Only a third-level heading"
    assert find_card(local(folder(tmp_path / "none", {"config.json": "{}"}))) is None


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600), st.sampled_from([b"", b"---\n", b"---\nlicense: mit\n"]))
def test_fuzzed_cards_never_raise(noise: bytes, prefix: bytes) -> None:
    parsed = parse_card(prefix + noise + b"\n---\n# T", "README.md")
    assert parsed.file == "README.md"


def test_real_minilm_card() -> None:
    root = minilm_folder()
    found = find_card(local(root))
    assert found is not None
    parsed = read_card(found)
    assert parsed.problems == ()
    assert parsed.license == "apache-2.0"
    assert parsed.library_name == "sentence-transformers"
    assert parsed.pipeline_tag == "sentence-similarity"
    assert "ms_marco" in parsed.datasets and len(parsed.datasets) > 20
    assert parsed.headline == "all-MiniLM-L6-v2"
    assert "sentence-transformers/all-MiniLM-L6-v2" in [r for r, _ in parsed.repo_mentions]
