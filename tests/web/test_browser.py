"""Headless Chromium (Debian's /usr/bin/chromium through Playwright) against uvicorn on a free 127.0.0.1
port: inventory → model page → sign in → approve → revoke → fleet summary, with screenshots in test-artifacts/web/."""

from __future__ import annotations

from typing import Any

from tests.web.browser import chromium_page, screenshot
from tests.web.conftest import Filled
from tests.web.server import serve_in_thread

from weighbridge.web import create_app

MODEL = "hostile-card"  # quarantined in the fixture, and its card and licence carry a <script>


def test_inventory_model_approve_revoke(filled: Filled) -> None:
    dialogs: list[str] = []
    app = create_app(filled.url())
    with serve_in_thread(app) as base, chromium_page() as page_obj:
        page: Any = page_obj
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{base}/")
        assert page.inner_text("h1") == "Inventory"
        assert page.locator("table.inventory tbody tr").count() == 4
        page.fill("input[name=q]", "card")
        with page.expect_navigation():  # a form post: wait for the page it leads to
            page.click("form.filters button[type=submit]")
        assert page.locator("table.inventory tbody tr").count() == 1
        page.goto(f"{base}/")
        screenshot(page, "inventory.png")

        page.click(f"text={MODEL}")
        assert page.inner_text("#decision") == "quarantined"
        assert "<script>alert(1)</script>" in page.inner_text("#licence")  # shown as text, never run
        assert page.locator("#files tbody tr").count() >= 6
        screenshot(page, "model.png")

        page.click("text=Sign in with a token")
        page.fill("input[name=token]", filled.tokens["decide"])
        with page.expect_navigation():  # a form post: wait for the page it leads to
            page.click("form button[type=submit]")
        assert "signed in as" in page.inner_text("header")

        page.goto(f"{base}/models/{MODEL}")
        page.fill("form.decide-approve input[name=reason]", "card reviewed: the script is inert text")
        with page.expect_navigation():  # a form post: wait for the page it leads to
            page.click("form.decide-approve button[type=submit]")
        assert page.inner_text("#decision") == "admitted"
        assert "card reviewed" in page.inner_text("#history")
        screenshot(page, "after-approve.png")

        page.fill("form.decide-revoke input[name=reason]", "publisher withdrew the licence")
        with page.expect_navigation():  # a form post: wait for the page it leads to
            page.click("form.decide-revoke button[type=submit]")
        assert page.inner_text("#decision") == "revoked"
        rows = page.locator("#history tbody tr")
        assert rows.count() == 4  # admit, quarantine, approve, revoke (newest first)
        assert "publisher withdrew" in rows.nth(0).inner_text()
        screenshot(page, "after-revoke.png")

        page.click("header >> text=Fleet")
        assert "Fleet summary" in page.inner_text("h1")
        assert page.locator("svg").count() >= 1 and "tampered-checkpoint" in page.inner_text("main")
        screenshot(page, "fleet.png")
    assert dialogs == []  # no alert() ever ran
