"""Screening against a user-supplied entity list (CSV), offline: hits on the publisher, on ancestors'
publishers and through alternative names; misses on partial names; clear errors for unusable lists."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from tests.provenance.folders import card, folder, hf

from weighbridge.core.findings import WeighbridgeError
from weighbridge.provenance import analyse

# Columns as in the US Consolidated Screening List CSV export (a subset), with fictional rows besides the
# two organizations the research notes name (Zhipu AI on the BIS Entity List; the DeepSeek legal name is
# only used here to exercise ancestor screening).
CSL_HEADER = [
    "_id",
    "source",
    "entity_number",
    "type",
    "programs",
    "name",
    "title",
    "addresses",
    "federal_register_notice",
    "start_date",
    "alt_names",
    "source_list_url",
]
CSL_ROWS = [
    [
        "a1",
        "Entity List (EL) - Bureau of Industry and Security",
        "",
        "Entity",
        "",
        "Beijing Zhipu Huazhang Technology Co., Ltd.",
        "",
        "Beijing, CN",
        "90 FR 4617",
        "2025-01-16",
        "Zhipu AI; Knowledge Atlas",
        "",
    ],
    [
        "a2",
        "Specially Designated Nationals (SDN)",
        "",
        "Entity",
        "",
        "Example Trading LLC",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "a3",
        "Entity List (EL) - Bureau of Industry and Security",
        "",
        "Entity",
        "",
        "Northwind Holdings",
        "",
        "",
        "",
        "",
        "Acme Labs; Acme Laboratories",
        "",
    ],
    [
        "a4",
        "Test list",
        "",
        "Entity",
        "",
        "Hangzhou DeepSeek Artificial Intelligence Fundamental Technology Research Co Ltd",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "a5",
        "Test list",
        "",
        "Entity",
        "",
        "Meta Platforms Technologies Research Ltd",
        "",
        "",
        "",
        "",
        "Me",
        "",
    ],
]


def _csv(path: Path, header: list[str], rows: list[list[str]], *, bom: bool = False) -> Path:
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_publisher_matched_through_its_legal_name(tmp_path: Path) -> None:
    lst = _csv(tmp_path / "csl.csv", CSL_HEADER, CSL_ROWS)
    root = folder(tmp_path / "glm", {"README.md": card("license: other")})
    prov = analyse(hf(root, "THUDM/glm-4-9b-chat"), screening_csv=lst)
    screening = prov.screening
    assert screening.list_file == str(lst) and screening.rows == len(CSL_ROWS)
    [match] = screening.matches
    assert (match.subject, match.subject_role) == ("THUDM", "publisher")
    assert match.listed_name == "Beijing Zhipu Huazhang Technology Co., Ltd."
    assert match.matched_on == "beijing zhipu huazhang technology"
    assert match.row_number == 2
    assert (
        match.row["source"].startswith("Entity List") and match.row["federal_register_notice"] == "90 FR 4617"
    )
    assert "title" not in match.row  # empty cells are left out


def test_ancestor_publisher_matched(tmp_path: Path) -> None:
    lst = _csv(tmp_path / "csl.csv", CSL_HEADER, CSL_ROWS)
    root = folder(tmp_path / "ft", {"README.md": card("base_model: deepseek-ai/DeepSeek-R1-Distill-Qwen-7B")})
    prov = analyse(hf(root, "example/r1-legal"), screening_csv=lst)
    [match] = prov.screening.matches
    assert match.subject == "deepseek-ai"
    assert match.subject_role == "publisher of ancestor deepseek-ai/DeepSeek-R1-Distill-Qwen-7B"
    assert match.row_number == 5
    assert prov.screening.subjects == ("example", "deepseek-ai")


def test_alternative_names_match(tmp_path: Path) -> None:
    lst = _csv(tmp_path / "csl.csv", CSL_HEADER, CSL_ROWS)
    prov = analyse(
        hf(folder(tmp_path / "m", {"README.md": card("license: mit")}), "acme-labs/model"), screening_csv=lst
    )
    [match] = prov.screening.matches
    assert (match.subject, match.listed_name, match.row_number) == ("acme-labs", "Acme Labs", 4)


def test_misses_partial_names_and_short_aliases(tmp_path: Path) -> None:
    lst = _csv(tmp_path / "csl.csv", CSL_HEADER, CSL_ROWS)
    root = folder(
        tmp_path / "ft", {"README.md": card("base_model: meta-llama/Llama-3.1-8B\nmodel_creator: Me")}
    )
    prov = analyse(hf(root, "example/llama-ft"), screening_csv=lst)
    assert prov.screening.list_file == str(lst)
    assert (
        prov.screening.matches == ()
    )  # "Meta Platforms Technologies Research" is not Meta; "Me" is too short
    assert set(prov.screening.subjects) == {"example", "Me", "meta-llama"}


def test_opensanctions_style_headers_and_bom(tmp_path: Path) -> None:
    lst = _csv(
        tmp_path / "targets.csv",
        ["id", "schema", "caption", "aliases", "countries"],
        [["NK-1", "Company", "Mistral AI", "", "fr"]],
        bom=True,
    )
    prov = analyse(
        hf(folder(tmp_path / "m", {"README.md": "x"}), "mistralai/Mistral-7B-v0.1"), screening_csv=lst
    )
    [match] = prov.screening.matches
    assert match.subject == "mistralai" and match.row == {
        "id": "NK-1",
        "schema": "Company",
        "caption": "Mistral AI",
        "countries": "fr",
    }


def test_no_list_means_not_performed(tmp_path: Path) -> None:
    prov = analyse(hf(folder(tmp_path / "m", {"README.md": "x"}), "Qwen/Qwen2.5-7B"))
    data = prov.screening.to_dict()
    assert data["performed"] is False and data["subjects"] == ["Qwen"] and data["matches"] == []


def test_unusable_lists_are_input_errors(tmp_path: Path) -> None:
    snapshot = hf(folder(tmp_path / "m", {"README.md": "x"}), "Qwen/Qwen2.5-7B")
    no_name = _csv(tmp_path / "bad.csv", ["country", "programs"], [["CN", "EL"]])
    with pytest.raises(WeighbridgeError, match="has no name column"):
        analyse(snapshot, screening_csv=no_name)
    with pytest.raises(WeighbridgeError, match="cannot read screening list"):
        analyse(snapshot, screening_csv=tmp_path / "absent.csv")
    huge_field = tmp_path / "huge.csv"
    huge_field.write_text('name,notes\nX,"' + "y" * 200_000 + '"\n', encoding="utf-8")
    with pytest.raises(WeighbridgeError, match="not valid CSV"):
        analyse(snapshot, screening_csv=huge_field)
