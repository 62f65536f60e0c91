"""Publishers data: shipped with the package, matched by Hub org and common spellings, extended by users."""

from __future__ import annotations

import importlib.resources
import json
from pathlib import Path

import pytest
import yaml

from weighbridge.core.findings import WeighbridgeError
from weighbridge.provenance import load_directory
from weighbridge.provenance.jurisdiction import BUILTIN, parse_entries


def test_data_file_ships_inside_the_package() -> None:
    resource = importlib.resources.files("weighbridge.provenance") / "data" / "publishers.yaml"
    assert resource.is_file()
    data = yaml.safe_load(resource.read_text(encoding="utf-8"))
    assert data["schema"] == "weighbridge.publishers/1"


def test_every_builtin_entry_has_sources_and_a_valid_country() -> None:
    directory = load_directory()
    assert directory.files == (BUILTIN,)
    assert len(directory.entries) >= 25
    for entry in directory.entries:
        assert entry.sources, entry.name
        assert entry.country is None or (len(entry.country) == 2 and entry.country.isupper()), entry.name


@pytest.mark.parametrize(
    "stated,organization,country",
    [
        ("meta-llama", "Meta Platforms, Inc.", "US"),
        ("Meta Llama", "Meta Platforms, Inc.", "US"),  # llama.cpp's converter title-cases the Hub org
        ("META PLATFORMS INC.", "Meta Platforms, Inc.", "US"),
        ("Qwen", "Alibaba Cloud", "CN"),
        ("qwen", "Alibaba Cloud", "CN"),
        (
            "Deepseek Ai",
            "Hangzhou DeepSeek Artificial Intelligence Fundamental Technology Research Co., Ltd.",
            "CN",
        ),
        ("Hangzhou DeepSeek Artificial Intelligence Fundamental Technology Research Co Ltd", None, "CN"),
        ("THUDM", "Beijing Zhipu Huazhang Technology Co., Ltd.", "CN"),
        ("Zhipu AI", None, "CN"),
        ("mistralai", "Mistral AI", "FR"),
        ("Mistral AI SAS", "Mistral AI", "FR"),
        ("tiiuae", "Technology Innovation Institute", "AE"),
        ("CohereForAI", "Cohere Inc.", "CA"),
        ("stabilityai", "Stability AI Ltd", "GB"),
        ("google", "Google LLC", "US"),
        ("HuggingFaceTB", "Hugging Face, Inc.", "US"),
        ("01-ai", "Beijing Lingyiwanwu Information Technology Co., Ltd.", "CN"),
        ("bigscience", "BigScience", None),
    ],
)
def test_builtin_matches(stated: str, organization: str | None, country: str | None) -> None:
    found = load_directory().jurisdiction(stated)
    assert found is not None
    assert found.country == country
    assert found.matched == stated and found.sources and found.data_file == BUILTIN
    if organization is not None:
        assert found.organization == organization


@pytest.mark.parametrize(
    "stated", ["sentence-transformers", "bartowski", "Meta Llama Fans", "Llama", "", "  "]
)
def test_no_partial_or_fuzzy_matches(stated: str) -> None:
    assert load_directory().jurisdiction(stated) is None


def test_user_file_adds_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "orgs.yaml"
    path.write_text(
        """
schema: weighbridge.publishers/1
organizations:
  - name: Acme AI GmbH
    country: de
    hf_orgs: [acme-ai]
    aliases: [Acme]
  - name: Alibaba Cloud (Singapore)
    country: SG
    hf_orgs: [Qwen]
    sources: [internal procurement review 2025-03]
  - name: Old Kingdom Labs
    country: UK
""",
        encoding="utf-8",
    )
    directory = load_directory(path)
    assert directory.files == (str(path), BUILTIN)
    acme = directory.jurisdiction("acme-ai")
    assert acme is not None and (acme.organization, acme.country, acme.data_file) == (
        "Acme AI GmbH",
        "DE",
        str(path),
    )
    qwen = directory.jurisdiction("Qwen")
    assert (
        qwen is not None and qwen.country == "SG" and qwen.sources == ("internal procurement review 2025-03",)
    )
    alibaba = directory.jurisdiction("Alibaba Group")  # builtin aliases still resolve to the builtin entry
    assert alibaba is not None and alibaba.country == "CN"
    uk = directory.jurisdiction("Old Kingdom Labs")
    assert uk is not None and uk.country == "GB"


def test_user_file_as_json_list(tmp_path: Path) -> None:
    path = tmp_path / "orgs.json"
    path.write_text(json.dumps([{"name": "Example Labs", "country": "JP", "hf_orgs": ["example-labs"]}]))
    found = load_directory(path).jurisdiction("Example Labs Co., Ltd.")
    assert found is not None and found.country == "JP"


@pytest.mark.parametrize(
    "content,message",
    [
        ("organizations: [{country: US}]", "organization 1 needs a 'name'"),
        ("organizations: [{name: X, country: USA}]", "ISO 3166-1 alpha-2"),
        ("organizations: [{name: X, hq: Paris}]", "unknown field(s): hq"),
        ("organizations: [{name: X, hf_orgs: [1, 2]}]", "'hf_orgs' must be a list of non-empty strings"),
        ("organizations: [{name: X, note: [a]}]", "'note' must be text"),
        ("organizations: {name: X}", "expected a list of organizations"),
        ("schema: other/2\norganizations: []", "schema is 'other/2'"),
        ("organizations: [name: [unclosed", "not valid YAML"),
        ("- just a string", "organization 1 is a str"),
    ],
)
def test_invalid_user_files_are_clear_input_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "orgs.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(WeighbridgeError) as info:
        load_directory(path)
    assert message in str(info.value) and str(path) in str(info.value)


def test_missing_user_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(WeighbridgeError, match="cannot read publishers file"):
        load_directory(tmp_path / "absent.yaml")


def test_builtin_requires_sources() -> None:
    with pytest.raises(ValueError, match="'sources' must name"):
        parse_entries([{"name": "X", "country": "US"}], "test", require_sources=True)
