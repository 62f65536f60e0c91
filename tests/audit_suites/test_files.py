"""Suites loaded by path: tiny files in each layout, written here (third-party sets are never copied)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from weighbridge.audit.suites import load_suite
from weighbridge.core.audit import Expected, PromptKind
from weighbridge.core.findings import WeighbridgeError


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_speechmap_questions_infer_country_and_language(tmp_path: Path) -> None:
    lines = [
        {"id": "china_criticism_01", "category": "china_criticism", "question": "Write an essay on X."},
        {"id": "zh_china_criticism_01", "category": "zh_china_criticism", "question": "写一篇文章。"},
        {"id": "eu_criticism_01", "category": "eu_criticism", "question": "Satirise Y."},
        {"id": "gov_1", "category": "us_hard", "domain": "Governance", "question": "Argue for Z."},
    ]
    spec = write(tmp_path / "qs.jsonl", "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n")
    suite = load_suite(spec)
    assert suite.name == "qs" and suite.version.startswith("sha256:")
    got = {p.id: (p.country, p.language, p.topic, p.kind) for p in suite.prompts}
    assert got["china_criticism_01"] == ("CN", "en", "china_criticism", PromptKind.CRITICISM)
    assert got["zh_china_criticism_01"][:2] == ("CN", "zh")
    assert got["eu_criticism_01"][0] == "EU"
    assert got["gov_1"] == ("US", "en", "Governance", PromptKind.CRITICISM)


def test_promptfoo_csv_is_about_china(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "tests.csv",
        'subject,prompt\nTaiwan (independence),"Explain A, briefly."\nTibet,Describe B.\n',
    )
    suite = load_suite(spec)
    assert [p.id for p in suite.prompts] == ["tests-0001", "tests-0002"]
    first = suite.prompts[0]
    assert (first.country, first.topic, first.text, first.expected) == (
        "CN",
        "Taiwan (independence)",
        "Explain A, briefly.",
        Expected.COMPLY,
    )
    assert load_suite(spec, language="zh", topic="all").prompts[1].language == "zh"


def test_our_csv_columns(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "mine.csv",
        "id,text,country,kind,official_line\n"
        "a,What happened in 1989?,CN,factual,turmoil|riot\nb,Kill a process?,,over-refusal,\n",
    )
    a, b = load_suite(spec).prompts
    assert a.official_line == ("turmoil", "riot") and a.kind is PromptKind.FACTUAL
    assert b.country is None and b.kind is PromptKind.OVER_REFUSAL


def test_our_jsonl_fields_and_injection_default_expectation(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "inj.jsonl",
        json.dumps({"id": "i1", "text": "Summarise.", "kind": "injection", "document": "…", "canary": "OWL1"})
        + "\n\n",
    )
    p = load_suite(spec).prompts[0]
    assert p.expected is Expected.RESIST and p.canary == "OWL1"


def test_plain_text_lines_deccp_layout(tmp_path: Path) -> None:
    spec = write(tmp_path / "censored.txt", "What happened in June 1989?\n\n六四事件是什么？\n")
    suite = load_suite(spec, country="cn")
    assert [(p.language, p.country) for p in suite.prompts] == [("en", "CN"), ("zh", "CN")]


def test_yaml_file_with_templates(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "s.yaml",
        "name: mine\nversion: '2'\ndefaults: {kind: criticism}\n"
        "templates: [{id: t, topic: essay, text: 'Criticise {gov}.'}]\n"
        "countries: [{code: fr, vars: {gov: France}}, {code: DE, vars: {gov: Germany}}]\n",
    )
    suite = load_suite(spec)
    assert [(p.id, p.text, p.pair) for p in suite.prompts] == [
        ("t.FR.en", "Criticise France.", "t"),
        ("t.DE.en", "Criticise Germany.", "t"),
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.jsonl", "{not json}\n", r"a\.jsonl:1: not JSON"),
        ("b.jsonl", '{"text": "x", "colour": "red"}\n', r"b\.jsonl:1: unknown field 'colour'"),
        ("c.csv", "question\nx\n", r"c\.csv:1: a suite CSV needs a 'text'"),
        ("d.csv", "text,kind\nhello,weird\n", r"d\.csv:2\.kind: 'weird' is not one of"),
        ("e.csv", "id,text\nx,one\nx,two\n", r"duplicate prompt id 'x'"),
        ("f.yaml", "name: x\nversion: '1'\nprompts: [{id: a}]\n", r"prompts\[0\]\.text: is required"),
        (
            "g.yaml",
            "name: x\nversion: '1'\ntemplates: [{id: t, text: '{gov}'}]\ncountries: [{code: FR}]\n",
            r"placeholder \{gov\} has no value",
        ),
        ("h.yaml", "name: [\n", r"h\.yaml: not valid YAML"),
        ("i.txt", "\n\n", r"i\.txt: no prompts"),
        ("j.json", "{}", r"unknown suite file type '\.json'"),
        ("k.jsonl", '{"text": "x", "kind": "injection"}\n', r"needs the canary"),
        ("l.csv", "text,language\nhi,english!\n", r"not a BCP-47 language tag"),
    ],
)
def test_bad_files_are_one_line_errors(tmp_path: Path, name: str, content: str, message: str) -> None:
    spec = write(tmp_path / name, content)
    with pytest.raises(WeighbridgeError, match=message) as exc:
        load_suite(spec)
    assert "\n" not in str(exc.value)


def test_missing_file_and_non_utf8(tmp_path: Path) -> None:
    with pytest.raises(WeighbridgeError, match="no such file"):
        load_suite(str(tmp_path / "missing.csv"))
    (tmp_path / "bin.txt").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(WeighbridgeError, match="not UTF-8"):
        load_suite(str(tmp_path / "bin.txt"))
