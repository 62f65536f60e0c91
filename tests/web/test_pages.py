"""The dashboard through TestClient: pages, escaping of hostile model content, sign-in cookie, CSRF, forms."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from tests.web import models
from tests.web.conftest import CLEAN, Filled

from weighbridge.web import csrf


def form_token(client: TestClient, page: str = "/") -> str:
    html = client.get(page).text
    match = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def sign_in(client: TestClient, secret: str) -> None:
    token = form_token(client, "/login")
    response = client.post("/login", data={"token": secret, "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303, response.text


def test_inventory_page_and_filters(client: TestClient, filled: Filled) -> None:
    html = client.get("/").text
    for name in (CLEAN, "tampered-checkpoint", "hostile-card", "support-bot"):
        assert f">{name}</a>" in html
    assert filled.digests[CLEAN][:12] in html
    only = client.get("/", params={"decision": "rejected"}).text
    assert "tampered-checkpoint" in only and f">{CLEAN}</a>" not in only
    severe = client.get("/", params={"severity": "critical", "q": "tamp"}).text
    assert "1 of 4 models" in severe
    assert client.get("/", params={"decision": "bogus"}).status_code == 422


def test_model_page_shows_files_findings_quotes_lineage(client: TestClient, filled: Filled) -> None:
    page = client.get(f"/models/{CLEAN}")
    assert page.status_code == 200
    html = page.text
    assert "model.safetensors" in html and re.search(r"[0-9a-f]{64}</td>", html)
    assert '<svg class="lineage"' in html and "support-bot" in html
    assert "apache-2.0" in html
    tampered = client.get("/models/tampered-checkpoint").text
    assert "WB-PKL-001" in tampered and "builtins exec.__call__" in tampered
    bot = client.get("/models/support-bot").text
    assert "Obligations carried from parents" in bot
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert client.get("/models/nobody/here").status_code == 404


def test_hostile_card_and_licence_quotes_are_escaped(client: TestClient) -> None:
    html = client.get("/models/hostile-card").text
    assert models.SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # the quoted clauses are there, as text
    assert "must not use the outputs of the Model to train any other model &lt;script&gt;" in html
    assert models.SCRIPT not in client.get("/").text


def test_sign_in_sets_an_httponly_strict_cookie(client: TestClient, filled: Filled) -> None:
    token = form_token(client, "/login")
    response = client.post(
        "/login", data={"token": filled.tokens["decide"], "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    cookie = next(
        v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith("wb_token=")
    )
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "signed in as <strong>decide-token</strong>" in client.get("/").text
    bad = client.post("/login", data={"token": "wbt_wrong", "csrf_token": token})
    assert bad.status_code == 401


def test_form_post_without_csrf_is_rejected(client: TestClient, filled: Filled) -> None:
    sign_in(client, filled.tokens["decide"])
    url = f"/models/{CLEAN}/decisions"
    missing = client.post(url, data={"action": "revoke", "reason": "no csrf"})
    assert missing.status_code == 403 and "CSRF" in missing.text
    forged = client.post(url, data={"action": "revoke", "reason": "forged", "csrf_token": "0" * 64})
    assert forged.status_code == 403
    other_browser = csrf.form_token(b"another secret", "another browser")
    assert (
        client.post(url, data={"action": "revoke", "reason": "x", "csrf_token": other_browser}).status_code
        == 403
    )
    assert "csrf" not in client.get(f"/api/v1/models/{CLEAN}/history").text  # nothing recorded
    assert client.get(f"/api/v1/models/{CLEAN}/history").json()[-1]["action"] == "admit"


def test_decide_form_needs_sign_in_and_the_scope(client: TestClient, filled: Filled) -> None:
    url = f"/models/{CLEAN}/decisions"
    anonymous = client.post(
        url, data={"action": "revoke", "reason": "x", "csrf_token": form_token(client, "/login")}
    )
    assert anonymous.status_code == 401 and "Sign in" in anonymous.text
    sign_in(client, filled.tokens["admit"])
    wrong_scope = client.post(url, data={"action": "revoke", "reason": "x", "csrf_token": form_token(client)})
    assert wrong_scope.status_code == 403


def test_decide_form_revokes_with_a_reason(client: TestClient, filled: Filled) -> None:
    sign_in(client, filled.tokens["decide"])
    url = f"/models/{CLEAN}/decisions"
    token = form_token(client, f"/models/{CLEAN}")
    blank = client.post(url, data={"action": "revoke", "reason": "  ", "csrf_token": token})
    assert blank.status_code == 422
    done = client.post(
        url,
        data={
            "action": "revoke",
            "reason": "licence changed",
            "csrf_token": token,
            "version": filled.digests[CLEAN],
        },
        follow_redirects=False,
    )
    assert done.status_code == 303 and "done=revoke" in done.headers["location"]
    page = client.get(done.headers["location"]).text
    assert 'id="decision">revoked<' in page and "licence changed" in page and "Revoked." in page


def test_policy_upload_form(client: TestClient, filled: Filled, tmp_path: Path) -> None:
    sign_in(client, filled.tokens["policy"])
    token = form_token(client, "/policies")
    text = "name: lab-<b>bold</b>\nrules:\n  remote_code: forbid\n"
    response = client.post(
        "/policies", data={"name": "lab2", "yaml_text": text, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    html = client.get("/policies/lab2").text
    assert "name: lab-&lt;b&gt;bold&lt;/b&gt;" in html
    escape = client.post(
        "/policies", data={"name": "../escape", "yaml_text": "name: x\n", "csrf_token": token}
    )
    assert escape.status_code == 400
    assert not list(tmp_path.rglob("escape*")) and not list(tmp_path.parent.glob("escape*"))
    uploaded = client.post(
        "/policies",
        data={"name": "from-file", "csrf_token": token},
        files={"file": ("p.yaml", b"name: from-file\nrules:\n  osi_only: true\n", "text/yaml")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303
    assert "osi_only: true" in client.get("/policies/from-file").text


def test_admit_form(client: TestClient, filled: Filled, tmp_path: Path) -> None:
    sign_in(client, filled.tokens["admit"])
    folder = models.clean(tmp_path / "incoming", "web-admitted")
    (folder / "notes.txt").write_text("different bytes\n", encoding="utf-8")
    token = form_token(client, "/admit")
    assert "research-lab" in client.get("/admit").text
    response = client.post(
        "/admit",
        data={"target": str(folder), "policy": "research-lab", "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"]).text
    assert "web-admitted" in page and 'id="decision">admitted<' in page and "admit-token" in page


def test_fleet_and_policy_pages(client: TestClient) -> None:
    fleet = client.get("/fleet").text
    assert "Fleet summary" in fleet and "tampered-checkpoint" in fleet and "<svg" in fleet
    assert "research-lab" in client.get("/policies").text
    assert "max_scan_severity" in client.get("/policies/research-lab").text


def test_model_page_charts_audit_rates_by_country_and_language(client: TestClient) -> None:
    html = client.get("/models/hostile-card").text
    assert "criticism: non-compliance by country and language" in html
    assert "CN · en" in html and "<svg" in html
    assert "headline rate per kind" in html
    assert "No audit recorded" in client.get("/models/tampered-checkpoint").text
