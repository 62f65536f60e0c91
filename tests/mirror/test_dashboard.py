"""The mirror's catalogue, intake queue and refused-pulls trail in the dashboard, the REST API and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.mirror.helpers import recorded
from typer.testing import CliRunner

from weighbridge.cli.main import app as cli
from weighbridge.core.mirror import PullOutcome, PullRecord, RefusalKind
from weighbridge.core.registry import DecisionAction
from weighbridge.mirror import BlobStore, Gate, publish_folder
from weighbridge.mirror.state import Caller, MirrorState, log_pull
from weighbridge.registry import open_registry
from weighbridge.web import create_app


def _fill(tmp_path: Path) -> tuple[str, BlobStore]:
    db = str(tmp_path / "registry.db")
    store = BlobStore(tmp_path / "store")
    with open_registry(db) as reg:
        recorded(reg, tmp_path / "ok", "acme/served")
        publish_folder(reg, store, "acme/served", tmp_path / "ok")
        recorded(reg, tmp_path / "held", "acme/held", action=DecisionAction.REVOKE)
        state = MirrorState(registry=reg, store=store, gate=Gate(reg, store), allow_anonymous_pull=True)
        who = Caller(client="10.1.2.3", user="ci-bot", token_sent=True)
        for _ in range(2):
            served = state.gate.resolve("acme/served")
            log_pull(
                state,
                who,
                protocol="hf",
                repo="acme/served",
                revision="main",
                path="config.json",
                result=served,
            )  # type: ignore[arg-type]
        refusal = state.gate.resolve("acme/held")
        log_pull(state, who, protocol="hf", repo="acme/held", revision="main", path=None, result=refusal)  # type: ignore[arg-type]
        reg.mirror.record_pull(
            PullRecord(
                protocol="hf",
                repo="<script>x</script>",
                revision=None,
                path=None,
                outcome=PullOutcome.REFUSED,
                refusal=RefusalKind.MALFORMED,
                reason="<script>alert(1)</script>",
            )
        )
        reg.mirror.claim_intake("hf:acme/next@" + "a" * 40, "hf:acme/next", actor="alice", owner="p1")
    return db, store


def test_dashboard_page_and_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db, store = _fill(tmp_path)
    monkeypatch.setenv("WEIGHBRIDGE_MIRROR_STORE", str(store.root))
    app = create_app(db)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        html = client.get("/mirror").text
        assert "acme/served" in html and "published" in html
        assert "revoked: revoke by test" in html and "10.1.2.3" in html and "ci-bot" in html
        assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)" in html
        assert "hf:acme/next@" in html and "fetching" in html
        doc = client.get("/api/v1/mirror").json()
    app.state.web.registry.close()
    served = next(r for r in doc["catalogue"] if r["model"] == "acme/served")
    assert served["pulls"] == 2 and served["published"] is True and served["protocols"] == ["hf"]
    assert [r["model"] for r in doc["catalogue"]] == ["acme/served"]  # the revoked one is not served
    assert doc["refused"][0]["reason"] == "<script>alert(1)</script>"
    assert doc["refused"][1]["refusal"] == "revoked" and doc["refused"][1]["user"] == "ci-bot"
    assert doc["intake"][0]["state"] == "fetching"


def test_cli_status_verify_and_publish(tmp_path: Path) -> None:
    db, store = _fill(tmp_path)
    runner = CliRunner()
    out = runner.invoke(cli, ["mirror", "status", "--db", db, "--store", str(store.root), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["catalogue"][0]["pulls"] == 2
    out = runner.invoke(cli, ["mirror", "verify", "--db", db, "--store", str(store.root)])
    assert out.exit_code == 0 and "2 blob(s) checked, 0 corrupt" in out.output
    victim = next(iter(store.iter_digests()))
    path = store.path(victim)
    path.chmod(0o644)
    path.write_bytes(b"tampered")
    out = runner.invoke(cli, ["mirror", "verify", "--db", db, "--store", str(store.root)])
    assert out.exit_code == 1 and "1 corrupt (withheld)" in out.output
    with open_registry(db) as reg:
        assert reg.mirror.flagged([victim])
    out = runner.invoke(
        cli,
        [
            "mirror",
            "publish",
            "acme/served",
            "--from",
            str(tmp_path / "ok"),
            "--db",
            db,
            "--store",
            str(store.root),
        ],
    )
    assert out.exit_code == 0 and "1 file(s) stored, 1 already there" in out.output
    with open_registry(db) as reg:
        assert not reg.mirror.flagged([victim])
    out = runner.invoke(
        cli,
        [
            "mirror",
            "publish",
            "acme/held",
            "--from",
            str(tmp_path / "held"),
            "--db",
            db,
            "--store",
            str(store.root),
        ],
    )
    assert out.exit_code == 2 and "not admitted" in out.output
    out = runner.invoke(
        cli,
        [
            "mirror",
            "intake",
            "hf:acme/x",
            "--db",
            db,
            "--store",
            str(store.root),
            "--upstream",
            "ftp://nowhere",
        ],
    )
    assert out.exit_code == 2 and "must be an http:// or https:// URL" in out.output


def test_intake_from_the_dashboard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from tests.mirror.fake_hub import APACHE_FILES, fake_hub
    from tests.registry.reports import LENIENT
    from tests.web.test_pages import form_token, sign_in

    db = str(tmp_path / "registry.db")
    with open_registry(db) as reg:
        reg.save_policy("lenient", LENIENT)
        admitter = reg.create_token("intake-admin", ["admit"])
        reader = reg.create_token("reviewer", ["decide"])
    monkeypatch.setenv("WEIGHBRIDGE_MIRROR_STORE", str(tmp_path / "store"))
    app = create_app(db)
    with fake_hub() as hub, TestClient(app, base_url="http://127.0.0.1") as client:
        commit = hub.add("acme/tiny", APACHE_FILES)
        assert "WEIGHBRIDGE_MIRROR_UPSTREAM=URL" in client.get("/mirror").text
        monkeypatch.setenv("WEIGHBRIDGE_MIRROR_UPSTREAM", hub.url)
        sign_in(client, reader)
        denied = client.post(
            "/mirror/intake",
            data={"source": "hf:acme/tiny", "policy": "lenient", "csrf_token": form_token(client, "/mirror")},
        )
        assert denied.status_code == 403  # taking models in needs the admit scope
        sign_in(client, admitter)
        bad = client.post(
            "/mirror/intake", data={"source": "hf:../etc", "csrf_token": form_token(client, "/mirror")}
        )
        assert bad.status_code == 400 and "not a valid Hugging Face repo id" in bad.text
        done = client.post(
            "/mirror/intake",
            data={"source": "hf:acme/tiny", "policy": "lenient", "csrf_token": form_token(client, "/mirror")},
            follow_redirects=False,
        )
        assert done.status_code == 303 and done.headers["location"].endswith("/mirror?done=intake")
        registry = app.state.web.registry
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            row = registry.mirror.intake(f"hf:acme/tiny@{commit}")
            if row is not None and row.state.value not in ("fetching", "inspecting"):
                break
            time.sleep(0.1)
        assert row is not None and row.state.value == "published" and row.requested_by == "intake-admin"
        html = client.get("/mirror").text
        assert "Intake started" not in html and f"hf:acme/tiny@{commit}" in html and "published" in html
    app.state.web.registry.close()
