"""The HTML report as a browser shows it: Debian's Chromium (never a downloaded browser), headless, file://."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.audit_stats.synthetic import synthetic_run
from tests.services import unavailable

from weighbridge.audit.summary import summarise
from weighbridge.report.audit import render_html

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.mark.slow  # launches Chromium: ~5 s alone, longer on a busy machine
@pytest.mark.timeout(120)
def test_report_renders_in_chromium(tmp_path: Path) -> None:
    if not Path(CHROMIUM).is_file() and shutil.which("chromium") is None:
        unavailable(f"Chromium not found at {CHROMIUM}: install Debian's chromium package to run this test")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (python) is not installed")
    page_file = tmp_path / "report.html"
    page_file.write_text(render_html(summarise(synthetic_run())), encoding="utf-8")
    ARTIFACTS.mkdir(exist_ok=True)
    png = ARTIFACTS / "audit-report.png"
    png.unlink(missing_ok=True)
    requests: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(page_file.as_uri())
            headings = page.locator("h2").all_inner_texts()
            svg_count = page.locator("svg.chart").count()
            answer = page.locator(".answer", has_text="<script>").first.inner_text()
            page.screenshot(path=str(png), full_page=True)
        finally:
            browser.close()
    assert png.is_file() and png.stat().st_size > 20_000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for heading in (
        "Model",
        "Settings",
        "Non-compliance by country and language",
        "Asymmetry",
        "Per-prompt consistency",
        "Example answers",
    ):
        assert heading in headings
    assert svg_count >= 3
    assert "<script>alert('owned')</script>" in answer and dialogs == []  # shown as text, never run
    assert all(u.startswith("file://") for u in requests)  # the page fetches nothing
