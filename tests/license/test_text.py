"""Sentences that remember their lines, numbers and territories as licences write them, and the output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from weighbridge.core.findings import WeighbridgeError
from weighbridge.license import (
    LicenseText,
    analyse_file,
    analyse_text,
    render_license_json,
    render_license_table,
)
from weighbridge.license.amounts import money, numbers
from weighbridge.license.regions import jurisdiction_code, regions_in


def test_wrapped_paragraphs_become_sentences_with_lines() -> None:
    doc = LicenseText.from_str(
        "TITLE\n\nFirst sentence runs\nover two lines. Second one\nstarts on line 4.\n"
        "1. An item\n2. Another item\n",
        "L",
    )
    texts = [(s.text, s.line) for s in doc.sentences]
    assert texts == [
        ("TITLE", 1),
        ("First sentence runs over two lines.", 3),
        ("Second one starts on line 4.", 4),
        ("1. An item", 6),
        ("2. Another item", 7),
    ]
    second = doc.sentences[2]
    assert second.line_at(0) == 4 and second.line_at(len("Second one ")) == 5
    assert [s.list_item for s in doc.sentences] == [False, False, False, True, True]


def test_abbreviations_do_not_end_sentences() -> None:
    doc = LicenseText.from_str("Meta Platforms, Inc. and the U.S. Department apply, e.g. here. Next.", "L")
    assert [s.text for s in doc.sentences] == [
        "Meta Platforms, Inc. and the U.S. Department apply, e.g. here.",
        "Next.",
    ]


def test_long_quotes_are_trimmed_around_the_clause() -> None:
    filler = "word " * 120
    doc = LicenseText.from_str(f"{filler}you must display KEY PHRASE here {filler}", "L")
    sentence = doc.sentences[0]
    start = sentence.text.index("KEY PHRASE")
    quote, line = sentence.quote(start, start + 10)
    assert (
        len(quote) <= 300
        and "KEY PHRASE" in quote
        and quote.startswith("\u2026")
        and quote.endswith("\u2026")
    )
    assert line == 1


def test_spdx_xml_is_read_as_text_with_its_attributes() -> None:
    xml = (
        '<?xml version="1.0"?>\n<SPDXLicenseCollection><license isOsiApproved="true" licenseId="MIT"\n'
        ' name="MIT License"><text>\n<p>Line four.</p>\n</text></license></SPDXLicenseCollection>\n'
    )
    doc = LicenseText.from_str(xml, "x.xml")
    assert doc.xml_attributes == {"isOsiApproved": "true", "licenseId": "MIT", "name": "MIT License"}
    assert [(s.text, s.line) for s in doc.sentences] == [("Line four.", 4)]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("700 million", 700_000_000),
        ("100,000,000", 100_000_000),
        ("50M", 50_000_000),
        ("1.5 billion", 1_500_000_000),
        ("fifty million", 50_000_000),
        ("one hundred (100) million", 100_000_000),
        ("250k", 250_000),
    ],
)
def test_numbers(text: str, value: int) -> None:
    assert numbers(text)[0][0] == value


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("US$10M", 10_000_000, "USD"),
        ("$1,000,000", 1_000_000, "USD"),
        ("USD 5 million", 5_000_000, "USD"),
        ("20 million US dollars", 20_000_000, "USD"),
        ("€3M", 3_000_000, "EUR"),
        ("2 million euros", 2_000_000, "EUR"),
    ],
)
def test_money(text: str, amount: int, currency: str) -> None:
    [found] = money(text)
    assert (found.amount, found.currency) == (amount, currency)


def test_regions_and_jurisdictions() -> None:
    assert [c for c, _ in regions_in("the European Union, United Kingdom and South Korea")] == [
        "EU",
        "UK",
        "KR",
    ]
    assert [c for c, _ in regions_in("let us talk about North Korea")] == ["KP"]
    assert jurisdiction_code("the State of California") == "US-CA"
    assert jurisdiction_code("the mainland of the People's Republic of China") == "CN"


def test_json_has_the_issue_shape() -> None:
    text = "Tiny Licence\nYou must not use the model for military purposes.\n"
    doc = json.loads(render_license_json(analyse_text(text, "LICENSE")))
    assert doc["schema"] == "weighbridge.license/1"
    lic = doc["license"]
    assert {"id", "name", "osi_approved", "terms", "evidence"} <= set(lic)
    assert {
        "commercial_use",
        "user_cap",
        "revenue_cap_usd",
        "attribution",
        "derivative_naming",
        "acceptable_use_policy",
        "outputs_train_other_models",
        "geographic_restrictions",
        "field_of_use_restrictions",
        "remote_restriction",
    } <= set(lic["terms"])
    assert lic["terms"]["field_of_use_restrictions"] is True
    assert {
        "term": "field_of_use_restrictions",
        "quote": "You must not use the model for military purposes.",
        "file": "LICENSE",
        "line": 2,
    } in lic["evidence"]


def test_table_lists_terms_evidence_and_conflicts() -> None:
    table = render_license_table(analyse_text("Tiny Licence\nYou must not use it for weapons.\n", "LICENSE"))
    assert "licence: Tiny Licence [unrecognised] (not OSI-approved)" in table
    assert "field_of_use_restrictions" in table and "LICENSE:2" in table


def test_input_errors(tmp_path: Path) -> None:
    with pytest.raises(WeighbridgeError, match="no such file"):
        analyse_file(tmp_path / "missing")
    big = tmp_path / "weights.bin"
    big.write_bytes(b"\0" * (1 << 20 | 1))
    with pytest.raises(WeighbridgeError, match="not a licence text"):
        analyse_file(big)
