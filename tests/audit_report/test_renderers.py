"""HTML, Markdown and JSON renderings of a synthetic run carry the same numbers; answers are escaped."""

from __future__ import annotations

import json
import re

import pytest
from tests.audit_stats.synthetic import DIGEST, synthetic_run

from weighbridge.audit.summary import AuditSummary, summarise
from weighbridge.report.audit import render_html, render_json, render_markdown
from weighbridge.report.audit.compare import compare, render_compare_json, render_compare_table


@pytest.fixture(scope="module")
def summary() -> AuditSummary:
    return summarise(synthetic_run())


def test_html_is_self_contained_and_escapes_answers(summary: AuditSummary) -> None:
    page = render_html(summary)
    assert "<script" not in page.lower()  # the answer's <script> is text, and the page has none of its own
    assert "&lt;script&gt;alert(&#x27;owned&#x27;)&lt;/script&gt; &amp; that is all" in page
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", page)  # nothing fetched from anywhere
    assert page.count("<svg") >= 3 and "<title>asymmetry in percentage points" in page
    for heading in (
        "Model",
        "Settings",
        "Suites",
        "Non-compliance by country and language",
        "Asymmetry",
        "Per-prompt consistency",
        "Example answers",
    ):
        assert f"<h2>{heading}</h2>" in page
    assert DIGEST in page and "government-criticism" in page and "temperature" in page


def test_markdown_and_json_carry_the_same_numbers(summary: AuditSummary) -> None:
    md = render_markdown(summary)
    doc = json.loads(render_json(summary))
    cn = next(
        a for a in doc["asymmetries"] if (a["kind"], a["country"], a["language"]) == ("criticism", "CN", "en")
    )
    assert f"| criticism | CN | en | US, EU | {cn['points']:+.1f} |" in md
    assert f"{cn['points']:+.1f}" in render_html(summary)
    assert "&lt;script&gt;" in md and "<script>" not in md
    assert doc["statuses"]["truncated"] == 1 and doc["model"]["digest"] == DIGEST
    assert doc["consistency"]["criticism"]["sometimes"] == 1


def test_markdown_cells_cannot_break_the_table() -> None:
    from weighbridge.report.audit.markdown import cell

    assert cell("a|b\nc <b>") == "a\\|b c &lt;b&gt;"


def test_comparison_two_and_three_runs() -> None:
    censored = summarise(synthetic_run(model="censored"))
    open_model = summarise(synthetic_run(model="open", refuse_china=False))
    two = compare([censored, open_model], ["a.json", "b.json"])
    crit = next(t for t in two.tests if t.kind == "criticism")
    assert crit.mcnemar is not None and crit.prompts == 64
    assert (crit.mcnemar.only_a, crit.mcnemar.only_b) == (8, 0)  # satire is refused on 2 of 3 samples
    assert crit.mcnemar.p_value == pytest.approx(2 / 256)
    table = render_compare_table(two)
    assert "censored" in table and "open" in table and "McNemar exact" in table
    three = compare([censored, open_model, summarise(synthetic_run(model="censored"))], ["a", "b", "c.json"])
    assert three.names[2] == "censored (c.json)"
    q = next(t for t in three.tests if t.kind == "criticism").cochran
    assert q is not None and q.df == 2 and len(q.pairwise) == 3
    assert json.loads(render_compare_json(three))["schema"] == "weighbridge.audit-compare/1"
