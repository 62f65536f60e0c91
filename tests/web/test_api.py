"""The REST API through FastAPI's TestClient: reads, filters, writes with scoped tokens, path safety."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from tests.web import models
from tests.web.conftest import CLEAN, Filled

from weighbridge.web import create_app


def test_inventory_lists_the_newest_version_of_every_model(client: TestClient, filled: Filled) -> None:
    rows = client.get("/api/v1/models").json()
    assert {r["model"] for r in rows} == {CLEAN, "tampered-checkpoint", "hostile-card", "support-bot"}
    by_name = {r["model"]: r for r in rows}
    assert by_name[CLEAN]["decision"] == "admitted" and by_name[CLEAN]["verdict"] == "pass"
    assert by_name["tampered-checkpoint"]["decision"] == "rejected"
    assert by_name["tampered-checkpoint"]["max_severity"] == "critical"
    assert by_name["hostile-card"]["decision"] == "quarantined"
    assert by_name["support-bot"]["derived_from"] == CLEAN
    assert by_name[CLEAN]["manifest_digest"] == filled.digests[CLEAN]


def test_inventory_filters(client: TestClient) -> None:
    def names(**params: str) -> set[str]:
        response = client.get("/api/v1/models", params=params)
        assert response.status_code == 200, response.text
        return {r["model"] for r in response.json()}

    assert names(decision="rejected") == {"tampered-checkpoint"}
    assert names(min_severity="high") == {"tampered-checkpoint"}
    assert names(q="clean") == {CLEAN}
    assert names(license_family="apache") == {CLEAN, "tampered-checkpoint", "support-bot"}
    assert names(jurisdiction="CN") == set()
    assert client.get("/api/v1/models", params={"decision": "maybe"}).status_code == 422
    assert client.get("/api/v1/models", params={"min_severity": "huge"}).status_code == 422


def test_version_detail_by_org_name_and_digest_prefix(client: TestClient, filled: Filled) -> None:
    latest = client.get(f"/api/v1/models/{CLEAN}/versions")
    assert latest.status_code == 200
    doc = latest.json()
    assert doc["model"] == CLEAN
    files = {f["path"]: f for f in doc["files"]}
    assert len(files["model.safetensors"]["sha256"]) == 64 and files["model.safetensors"]["size"] > 0
    assert doc["lineage"]["children"][0]["model"] == "support-bot"
    assert doc["license"]["id"] == "apache-2.0"
    assert [h["action"] for h in doc["history"]] == ["admit"]
    prefix = filled.digests[CLEAN][:12]
    assert (
        client.get(f"/api/v1/models/{CLEAN}/versions/{prefix}").json()["version"]["manifest_digest"]
        == filled.digests[CLEAN]
    )
    assert client.get(f"/api/v1/models/{CLEAN}/versions/deadbeefdead").status_code == 404
    assert client.get("/api/v1/models/no/such/model/versions").status_code == 404


def test_one_model_by_name(client: TestClient, filled: Filled) -> None:
    response = client.get(f"/api/v1/models/{CLEAN}")
    assert response.status_code == 200
    doc = response.json()
    assert doc["model"] == CLEAN and doc["latest"]["manifest_digest"] == filled.digests[CLEAN]
    assert [v["manifest_digest"] for v in doc["versions"]] == [filled.digests[CLEAN]]
    assert doc["latest"]["decision"] == "admitted" and [h["action"] for h in doc["history"]] == ["admit"]
    assert "openness_label" in doc and "publisher" in doc
    assert client.get("/api/v1/models/no/such/model").json() == {
        "detail": "no model named 'no/such/model' in the registry"
    }
    # the routes below a model keep their meaning
    assert client.get(f"/api/v1/models/{CLEAN}/history").json()[0]["action"] == "admit"
    schema = client.get("/openapi.json").json()
    get = schema["paths"]["/api/v1/models/{name}"]["get"]
    assert get["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ModelOverview"
    }
    assert "404" in get["responses"]


def test_derivative_carries_obligations_and_findings_have_evidence(client: TestClient) -> None:
    bot = client.get("/api/v1/models/support-bot/versions").json()
    assert bot["lineage"]["parents"][0]["model"] == CLEAN
    assert bot["obligations"] and bot["obligations"][0]["origin"] == CLEAN
    tampered = client.get("/api/v1/models/tampered-checkpoint/versions").json()
    critical = [f for f in tampered["findings"] if f["severity"] == "critical"]
    assert critical and critical[0]["evidence"]


def test_writes_need_a_token_401(client: TestClient) -> None:
    body = {"action": "approve", "reason": "looks fine"}
    response = client.post(f"/api/v1/models/{CLEAN}/decisions", json=body)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert client.post("/api/v1/admit", json={"target": "/nonexistent"}).status_code == 401
    assert client.put("/api/v1/policies/p", json={"yaml_text": "name: p\n"}).status_code == 401
    wrong = {"Authorization": "Bearer wbt_not-a-real-token"}
    assert client.post(f"/api/v1/models/{CLEAN}/decisions", json=body, headers=wrong).status_code == 401
    assert client.get(f"/api/v1/models/{CLEAN}/history").json()[-1]["action"] == "admit"  # nothing written


def test_admit_token_cannot_decide_403(client: TestClient, filled: Filled) -> None:
    body = {"action": "revoke", "reason": "licence changed"}
    response = client.post(f"/api/v1/models/{CLEAN}/decisions", json=body, headers=filled.bearer("admit"))
    assert response.status_code == 403
    assert "decide" in response.json()["detail"]
    policy_token = filled.bearer("policy")
    assert client.post("/api/v1/admit", json={"target": "/x"}, headers=policy_token).status_code == 403


def test_decide_revoke_then_approve(client: TestClient, filled: Filled) -> None:
    headers = filled.bearer("decide")
    revoked = client.post(
        f"/api/v1/models/{CLEAN}/decisions",
        headers=headers,
        json={"action": "revoke", "reason": "licence changed"},
    )
    assert revoked.status_code == 201, revoked.text
    assert revoked.json()["decision"] == "revoked" and revoked.json()["actor"] == "decide-token"
    approved = client.post(
        f"/api/v1/models/{CLEAN}/decisions",
        headers=headers,
        json={"action": "approve", "reason": "cleared", "version": filled.digests[CLEAN][:10]},
    )
    assert approved.json()["decision"] == "admitted"
    history = client.get(f"/api/v1/models/{CLEAN}/history").json()
    assert [h["action"] for h in history] == ["admit", "revoke", "approve"]
    assert history[1]["reason"] == "licence changed"


def test_decide_validates_its_body(client: TestClient, filled: Filled) -> None:
    headers = filled.bearer("decide")
    url = f"/api/v1/models/{CLEAN}/decisions"
    assert client.post(url, headers=headers, json={"action": "approve", "reason": ""}).status_code == 422
    assert client.post(url, headers=headers, json={"action": "admit", "reason": "x"}).status_code == 422
    assert client.post(url, headers=headers, json={"action": "approve"}).status_code == 422
    missing = client.post(
        "/api/v1/models/ghost/decisions", headers=headers, json={"action": "approve", "reason": "x"}
    )
    assert missing.status_code == 404


def test_admit_through_the_api(client: TestClient, filled: Filled, tmp_path: Path) -> None:
    folder = models.clean(tmp_path / "incoming", "fresh-model")
    (folder / "extra.txt").write_text("a new version\n", encoding="utf-8")
    response = client.post(
        "/api/v1/admit",
        headers=filled.bearer("admit"),
        json={"target": str(folder), "policy": "research-lab", "name": "acme-ai/fresh"},
    )
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["version"]["model"] == "acme-ai/fresh"
    assert result["decision"]["decision"] == "admitted" and result["decision"]["policy"] == "research-lab"
    assert result["decision"]["actor"] == "admit-token"
    bad = client.post(
        "/api/v1/admit", headers=filled.bearer("admit"), json={"target": str(tmp_path / "missing")}
    )
    assert bad.status_code == 400
    unknown_policy = client.post(
        "/api/v1/admit", headers=filled.bearer("admit"), json={"target": str(folder), "policy": "nope"}
    )
    assert unknown_policy.status_code == 404


def test_policies_get_put(client: TestClient, filled: Filled) -> None:
    assert [p["name"] for p in client.get("/api/v1/policies").json()] == ["research-lab"]
    text = "name: strict\nrules:\n  max_scan_severity: medium\n"
    saved = client.put("/api/v1/policies/strict", json={"yaml_text": text}, headers=filled.bearer("policy"))
    assert saved.status_code == 200, saved.text
    assert saved.json()["yaml_text"] == text
    assert client.get("/api/v1/policies/strict").json()["sha256"] == saved.json()["sha256"]
    invalid = client.put(
        "/api/v1/policies/broken", json={"yaml_text": "rules: [unclosed\n"}, headers=filled.bearer("policy")
    )
    assert invalid.status_code == 400
    assert client.get("/api/v1/policies/broken").status_code == 404


def test_policy_names_cannot_leave_the_registry(client: TestClient, filled: Filled, tmp_path: Path) -> None:
    headers = filled.bearer("policy")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    for name in ("../escape", "..%2Fescape", "..%2F..%2Fescape", "a/../../escape", "..", ".hidden", "a..b"):
        response = client.put(f"/api/v1/policies/{name}", json={"yaml_text": "name: x\n"}, headers=headers)
        assert response.status_code in (400, 404, 405, 422), (name, response.status_code)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert not list(tmp_path.parent.glob("escape*"))
    assert [p["name"] for p in client.get("/api/v1/policies").json()] == ["research-lab"]


def test_healthz_and_fleet_summary(client: TestClient) -> None:
    assert client.get("/api/v1/healthz").json()["status"] == "ok"
    summary = client.get("/api/v1/fleet/summary").json()
    assert summary["models"] == 4
    assert summary["by_decision"]["rejected"] == 1
    assert summary["by_max_severity"]["critical"] == 1
    assert any(f["model"] == "tampered-checkpoint" for f in summary["newest_findings"])


def test_reads_need_a_token_when_anonymous_reads_are_off(filled: Filled) -> None:
    with TestClient(create_app(filled.url(), allow_anonymous_read=False)) as c:
        assert c.get("/api/v1/models").status_code == 401
        assert c.get("/").status_code == 401
        assert c.get("/api/v1/models", headers=filled.bearer("admit")).status_code == 200
        assert c.get("/api/v1/healthz").status_code == 200


def test_openapi_documents_errors_and_bearer_auth(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    decide = doc["paths"]["/api/v1/models/{name}/decisions"]["post"]
    assert {"401", "403", "404", "422"} <= set(decide["responses"])
    assert decide["security"] == [{"HTTPBearer": []}]
    assert all(path.startswith("/api/v1/") for path in doc["paths"])  # pages are not part of the API
