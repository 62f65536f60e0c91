"""The dashboard says how many answers an audit's rates leave out, next to the rates (issue 15)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.audit_stats.synthetic import synthetic_run

from weighbridge.audit.summary import summarise


def test_model_page_says_how_many_answers_the_rates_exclude(client: TestClient) -> None:
    expected = summarise(synthetic_run(samples=2)).excluded
    assert expected is not None and expected.startswith(
        "1 of 256 answers excluded from the rates (truncated 1)"
    )
    html = client.get("/models/hostile-card").text
    audits = html[html.index('id="audits"') :]
    assert expected in audits
    assert audits.index(expected) < audits.index("<svg")  # above the charts it qualifies
