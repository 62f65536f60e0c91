"""Naming the licence: the three vocabularies, every place a model states it, and disagreements."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.license.folders import OllamaStore, card, copy_corpus, corpus_text, folder, gguf

from weighbridge.core.license import LicenseRole, LicenseSourceKind
from weighbridge.license import analyse_file, analyse_snapshot, analyse_target, normalize_identifier
from weighbridge.license.identify import file_role
from weighbridge.sources import resolve, resolve_local

# A licence written for these tests: only its title is that of a known family.
LLAMA31_LIKE = """\
LLAMA 3.1 COMMUNITY LICENSE AGREEMENT

Our own words for a test: if your services have more than 700 million monthly active users you must ask
the licensor for a licence. You shall prominently display "Built with Llama" on your website.
"""
CUSTOM = """\
Fjord Model Licence

You may use the weights commercially unless your annual revenue is greater than US$25 million.
"""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("llama3.1", "llama3.1"),
        ("llama2", "llama2"),
        ("llama4", "llama4"),
        ("gemma", "gemma"),
        ("apache-2.0", "apache-2.0"),
        ("Apache-2.0", "apache-2.0"),
        ("MIT", "mit"),
        ("mit", "mit"),
        ("OpenMDW-1.0", "openmdw-1.0"),
        ("openmdw-1.1", "openmdw-1.1"),
        ("GPL-3.0-or-later", "gpl-3.0"),
        ("CC-BY-NC-4.0", "cc-by-nc-4.0"),
        ("bigscience-bloom-rail-1.0", "bigscience-bloom-rail-1.0"),
        ("LicenseRef-scancode-llama-3.1-license-2024", "llama3.1"),
        ("LicenseRef-scancode-llama-2-license-2023", "llama2"),
        ("LicenseRef-scancode-bigscience-rail-1.0", "bigscience-bloom-rail-1.0"),
        ("LicenseRef-scancode-bigscience-open-rail-m", "bigscience-openrail-m"),
        ("LicenseRef-scancode-bigcode-open-rail-m-v1", "bigcode-openrail-m"),
        ("LicenseRef-scancode-nvidia-open-model-2025", "nvidia-open-model-license"),
        ("tongyi-qianwen", "tongyi-qianwen"),
        ("tongyi-qianwen-research", "tongyi-qianwen-research"),
        ("qwen-research", "qwen-research"),
        ("deepseek", "deepseek"),
        ("yi-license", "yi-license"),
        ("tencent-hunyuan-community", "tencent-hunyuan-community"),
        ("sai-nc-community", "stabilityai-nc-research-community"),
        ("Llama 3.3 Community License Agreement", "llama3.3"),
        ("Meta Llama 3 Community License", "llama3"),
        ("Apache License, Version 2.0", "apache-2.0"),
        ("Gemma Terms of Use", "gemma"),
    ],
)
def test_identifiers_in_every_vocabulary(value: str, expected: str) -> None:
    identity = normalize_identifier(value)
    assert identity is not None and identity.id == expected


@pytest.mark.parametrize("value", ["other", "unknown", "", "  "])
def test_placeholders_name_no_licence(value: str) -> None:
    assert normalize_identifier(value) is None


def test_osi_only_for_open_source_licences() -> None:
    osi = {}
    for value in (
        "apache-2.0",
        "mit",
        "gpl-3.0",
        "bsd-3-clause",
        "llama3.1",
        "openmdw-1.0",
        "cc-by-4.0",
        "gemma",
    ):
        identity = normalize_identifier(value)
        assert identity is not None
        osi[value] = identity.osi_approved
    assert osi == {
        "apache-2.0": True,
        "mit": True,
        "gpl-3.0": True,
        "bsd-3-clause": True,
        "llama3.1": False,
        "openmdw-1.0": False,
        "cc-by-4.0": False,
        "gemma": False,
    }


@pytest.mark.parametrize(
    ("rel", "role"),
    [
        ("LICENSE", LicenseRole.GENERAL),
        ("LICENSE.md", LicenseRole.GENERAL),
        ("LICENSE.txt", LicenseRole.GENERAL),
        ("LICENSE-MODEL", LicenseRole.WEIGHTS),
        ("LICENSE-CODE", LicenseRole.CODE),
        ("NOTICE", LicenseRole.NOTICE),
        ("USE_POLICY.md", LicenseRole.POLICY),
        ("USAGE_POLICY", LicenseRole.POLICY),
        ("MODEL_LICENSE_AGREEMENT.txt", LicenseRole.WEIGHTS),
        ("Tongyi Qianwen LICENSE AGREEMENT", LicenseRole.GENERAL),
        ("model_licenses/LICENSE-SDXL1.0", LicenseRole.GENERAL),
        ("license", LicenseRole.GENERAL),
        ("license_checker.py", None),
        ("config.json", None),
        ("README.md", None),
    ],
)
def test_file_roles_by_name(rel: str, role: LicenseRole | None) -> None:
    assert file_role(rel) == role


def test_card_tag_gives_identity_and_profile_terms(tmp_path: Path) -> None:
    root = folder(tmp_path / "m", {"README.md": card("language: en\nlicense: llama3.1\n")})
    analysis = analyse_file(root)
    assert analyse_target(str(root)).to_dict() == analysis.to_dict()
    assert analysis.identity is not None and analysis.identity.id == "llama3.1"
    assert analysis.terms_basis == "profile" and analysis.terms is not None
    assert analysis.terms.derivative_naming == "Llama" and analysis.terms.user_cap == 700_000_000
    named = analysis.evidence[0]
    assert (named.term, named.file, named.line, named.quote) == (
        "license",
        "README.md",
        3,
        "license: llama3.1",
    )


def test_other_with_license_name(tmp_path: Path) -> None:
    front = "license: other\nlicense_name: tongyi-qianwen\nlicense_link: https://example.org/LICENSE\n"
    analysis = analyse_file(folder(tmp_path / "q", {"README.md": card(front)}))
    assert analysis.identity is not None and analysis.identity.id == "tongyi-qianwen"
    assert analysis.terms is not None and analysis.terms.outputs_train_other_models.value == "prohibited"
    assert analysis.sources[0].key == "license_name" and analysis.sources[0].line == 3


def test_license_link_names_the_licence(tmp_path: Path) -> None:
    front = "license: other\nlicense_link: https://ai.google.dev/gemma/terms\n"
    analysis = analyse_file(folder(tmp_path / "g", {"README.md": card(front)}))
    assert analysis.identity is not None and analysis.identity.id == "gemma"


def test_other_without_name_is_noted(tmp_path: Path) -> None:
    analysis = analyse_file(folder(tmp_path / "o", {"README.md": card("license: other\n")}))
    assert analysis.identity is None and analysis.terms is None
    assert any("without license_name" in n for n in analysis.notes)


def test_unknown_name_takes_terms_from_the_untitled_file(tmp_path: Path) -> None:
    files = {"README.md": card("license: other\nlicense_name: fjord-model-licence\n"), "LICENSE": CUSTOM}
    analysis = analyse_file(folder(tmp_path / "f", files))
    assert analysis.identity is not None and analysis.identity.id == "fjord-model-licence"
    assert analysis.terms_basis == "text" and analysis.terms is not None
    assert analysis.terms.revenue_cap_usd == 25_000_000
    assert any("without a known title" in n for n in analysis.notes)


def test_card_and_license_file_disagree_weights_licence_wins(tmp_path: Path) -> None:
    files = {"README.md": card("license: apache-2.0\n"), "LICENSE": LLAMA31_LIKE}
    analysis = analyse_file(folder(tmp_path / "c", files))
    assert analysis.identity is not None and analysis.identity.id == "llama3.1"
    assert analysis.terms_basis == "text"
    assert (
        analysis.terms is not None and analysis.terms.attribution and analysis.terms.user_cap == 700_000_000
    )
    [conflict] = analysis.conflicts
    assert conflict.kind == "sources-disagree" and conflict.decided == "llama3.1"
    assert (
        "README.md:2 [license]: apache-2.0" in conflict.sources and "LICENSE:1: llama3.1" in conflict.sources
    )


def test_code_and_model_licences_deepseek_layout(tmp_path: Path) -> None:
    root = tmp_path / "deepseek"
    copy_corpus("deepseek-r1-mit.txt", root / "LICENSE-CODE")
    copy_corpus("deepseek-model-v1.txt", root / "LICENSE-MODEL")
    analysis = analyse_file(root)
    assert analysis.identity is not None and analysis.identity.id == "deepseek"
    assert analysis.terms is not None and analysis.terms.remote_restriction
    kinds = {c.kind: c for c in analysis.conflicts}
    assert set(kinds) == {"code-vs-weights"} and "LICENSE-CODE" in kinds["code-vs-weights"].detail
    assert {s.file: s.role for s in analysis.sources} == {
        "LICENSE-CODE": LicenseRole.CODE,
        "LICENSE-MODEL": LicenseRole.WEIGHTS,
    }


def test_use_policy_in_the_folder_adds_its_territory(tmp_path: Path) -> None:
    root = tmp_path / "llama32"
    copy_corpus("llama3.2.txt", root / "LICENSE")
    copy_corpus("llama3.2-aup.txt", root / "USE_POLICY.md")
    (root / "README.md").write_text(card("license: llama3.2\n"), encoding="utf-8")
    analysis = analyse_file(root)
    assert analysis.identity is not None and analysis.identity.id == "llama3.2"
    assert analysis.conflicts == []
    assert analysis.terms is not None and analysis.terms.geographic_restrictions == ["EU"]
    geo = [e for e in analysis.evidence if e.term == "geographic_restrictions"]
    assert geo and geo[0].file == "USE_POLICY.md" and geo[0].line == 43


def test_policy_alone_is_analysed_as_a_policy(tmp_path: Path) -> None:
    root = tmp_path / "p"
    copy_corpus("llama4-aup.txt", root / "USE_POLICY.md")
    analysis = analyse_file(root)
    assert analysis.identity is not None and analysis.identity.kind.value == "policy"
    assert analysis.terms is not None and analysis.terms.geographic_restrictions == ["EU"]


def test_no_licence_anywhere(tmp_path: Path) -> None:
    analysis = analyse_file(folder(tmp_path / "n", {"config.json": "{}", "README.md": "# no front matter\n"}))
    assert analysis.identity is None and analysis.terms is None
    assert analysis.notes == ["no licence found: no card licence field, licence file or GGUF licence key"]


def test_malformed_front_matter_is_a_note(tmp_path: Path) -> None:
    analysis = analyse_file(folder(tmp_path / "y", {"README.md": "---\nlicense: [unclosed\n---\n"}))
    assert analysis.identity is None and any("not valid YAML" in n for n in analysis.notes)


def test_gguf_metadata_names_the_licence(tmp_path: Path) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(
        gguf(
            {
                "general.license": "llama3.2",
                "general.license.name": "Llama 3.2 Community License",
                "general.name": "Tiny",
            }
        )
    )
    analysis = analyse_file(path)
    assert analysis.identity is not None and analysis.identity.id == "llama3.2"
    assert [(s.kind, s.key) for s in analysis.sources] == [
        (LicenseSourceKind.GGUF, "general.license"),
        (LicenseSourceKind.GGUF, "general.license.name"),
    ]
    named = analysis.evidence[0]
    assert (
        named.quote == "general.license = llama3.2" and named.line is None and named.key == "general.license"
    )
    assert analysis.to_dict()["license"]["evidence"][0]["key"] == "general.license"


def test_gguf_other_with_name(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(gguf({"general.license": "other", "general.license.name": "tencent-hunyuan-community"}))
    analysis = analyse_file(path)
    assert analysis.identity is not None and analysis.identity.id == "tencent-hunyuan-community"
    assert analysis.terms is not None and analysis.terms.geographic_restrictions == ["EU", "UK", "KR"]


def test_gguf_list_of_licences_is_a_disagreement(tmp_path: Path) -> None:
    path = tmp_path / "dual.gguf"
    path.write_bytes(gguf({"general.license": "apache-2.0,mit"}))
    analysis = analyse_file(path)
    assert analysis.identity is not None and analysis.identity.id == "apache-2.0"
    assert [c.kind for c in analysis.conflicts] == ["sources-disagree"]


def test_truncated_gguf_keeps_what_was_read(tmp_path: Path) -> None:
    data = gguf({"general.license": "mit", "general.description": "x" * 100})
    path = tmp_path / "cut.gguf"
    path.write_bytes(data[: data.index(b"general.description") + 30])
    analysis = analyse_file(path)
    assert analysis.identity is not None and analysis.identity.id == "mit"
    assert any("could not be read to the end" in n for n in analysis.notes)


def test_card_and_gguf_disagree(tmp_path: Path) -> None:
    files = {"README.md": card("license: mit\n"), "weights.gguf": gguf({"general.license": "gemma"})}
    analysis = analyse_snapshot(resolve_local(str(folder(tmp_path / "cg", files))))
    assert analysis.identity is not None and analysis.identity.id == "gemma"
    assert analysis.conflicts[0].decided == "gemma"


def test_ollama_licence_layer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = OllamaStore(tmp_path / "models")
    monkeypatch.setenv("OLLAMA_MODELS", str(store.root))
    store.model(
        "llama3.1",
        [
            store.blob(gguf({"general.license": "llama3.1"}), "application/vnd.ollama.image.model"),
            store.blob(corpus_text("llama3.1.txt"), "application/vnd.ollama.image.license"),
            store.blob(b"{{ .Prompt }}", "application/vnd.ollama.image.template"),
        ],
    )
    analysis = analyse_snapshot(resolve("ollama:llama3.1"))
    assert analyse_target("ollama:llama3.1").to_dict() == analysis.to_dict()
    assert analysis.identity is not None and analysis.identity.id == "llama3.1"
    assert analysis.terms_basis == "text" and analysis.conflicts == []
    layer = next(s for s in analysis.sources if s.kind is LicenseSourceKind.OLLAMA)
    assert layer.file == "license" and layer.role is LicenseRole.WEIGHTS
    assert any(e.file == "license" and e.term == "derivative_naming" for e in analysis.evidence)


def test_card_names_a_known_licence_but_the_file_is_another(tmp_path: Path) -> None:
    """apache-2.0 on the card, a custom restrictive LICENSE in the folder: the text governs the weights."""
    files = {"README.md": card("license: apache-2.0\n"), "LICENSE": CUSTOM}
    analysis = analyse_file(folder(tmp_path / "k", files))
    assert analysis.identity is not None
    assert (analysis.identity.id, analysis.identity.name, analysis.identity.osi_approved) == (
        None,
        "Fjord Model Licence",
        False,
    )
    assert analysis.terms is not None and analysis.terms.revenue_cap_usd == 25_000_000
    [conflict] = analysis.conflicts
    assert conflict.kind == "sources-disagree" and "README.md:2 [license]: apache-2.0" in conflict.sources


def test_creative_commons_titles() -> None:
    for title, expected in (
        ("Attribution-NonCommercial 4.0 International", "cc-by-nc-4.0"),
        ("Creative Commons Attribution 4.0 International", "cc-by-4.0"),
    ):
        identity = normalize_identifier(title)
        assert identity is not None and identity.id == expected and not identity.osi_approved
