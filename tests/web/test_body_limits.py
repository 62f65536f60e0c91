"""Writes are authenticated before their body is read, and every route caps its body (issue 12).

A real uvicorn server on loopback receives bodies streamed from a raw socket; the serving process's resident
memory is sampled while it answers. Before the fix, 100 MB to an API write were buffered (≈ +300 MB) and only
then answered 401.
"""

from __future__ import annotations

import pytest
from tests.web.body_probe import send_body
from tests.web.conftest import Filled
from tests.web.server import serve_in_thread

from weighbridge.web import create_app
from weighbridge.web.limits import BodyLimits, route_rule

MB = 1024 * 1024


@pytest.mark.slow
@pytest.mark.parametrize(
    ("method", "path", "chunked"),
    [
        ("POST", "/api/v1/admit", False),
        ("PUT", "/api/v1/policies/p", False),
        ("POST", "/api/v1/models/acme-ai/clean-chat/decisions", True),
        ("POST", "/admit", False),
        ("POST", "/policies", True),
    ],
)
def test_unauthenticated_100mb_body_is_refused_unread(
    filled: Filled, method: str, path: str, chunked: bool
) -> None:
    with serve_in_thread(create_app(filled.url())) as base:
        probe = send_body(base, method, path, 100 * MB, chunked=chunked)
    assert probe.status == 401
    assert probe.peak_growth < 20 * MB, f"server grew by {probe.peak_growth / MB:.1f} MB"


@pytest.mark.slow
def test_authenticated_oversized_body_is_413(filled: Filled) -> None:
    limits = BodyLimits(json_bytes=64 * 1024, policy_bytes=2 * MB)
    with serve_in_thread(create_app(filled.url(), body_limits=limits)) as base:
        declared = send_body(base, "POST", "/api/v1/admit", 100 * MB, headers=filled.bearer("admit"))
        streamed = send_body(
            base, "PUT", "/api/v1/policies/p", 100 * MB, headers=filled.bearer("policy"), chunked=True
        )
    assert declared.status == 413 and declared.peak_growth < 20 * MB
    assert streamed.status == 413 and streamed.peak_growth < 20 * MB


def test_small_bodies_still_work_and_caps_are_per_route(filled: Filled) -> None:
    from fastapi.testclient import TestClient

    limits = BodyLimits(json_bytes=1000, form_bytes=1000, policy_bytes=5000)
    with TestClient(create_app(filled.url(), body_limits=limits), base_url="http://127.0.0.1") as client:
        policy = "name: p\n# " + "x" * 3000 + "\n"
        ok = client.put("/api/v1/policies/p", json={"yaml_text": policy}, headers=filled.bearer("policy"))
        assert ok.status_code in (200, 400)  # within the policy cap: the registry judges the text
        big = client.post("/api/v1/admit", json={"target": "x" * 3000}, headers=filled.bearer("admit"))
        assert big.status_code == 413 and "limit of 1000 bytes" in big.json()["detail"]
        assert client.post("/api/v1/admit", json={"target": "/x"}).status_code == 401
        assert (
            client.post(
                "/api/v1/admit", json={"target": "/x"}, headers={"Authorization": "Bearer wbt_unknown"}
            ).status_code
            == 401
        )
        # a valid token without the scope passes the gate; the route answers 403 as before
        assert (
            client.post("/api/v1/admit", json={"target": "/x"}, headers=filled.bearer("policy")).status_code
            == 403
        )
        page = client.post("/admit", data={"target": "/x", "csrf_token": "t"})
        assert page.status_code == 401 and "Sign in" in page.text


def test_route_rules() -> None:
    limits = BodyLimits(json_bytes=1, form_bytes=2, policy_bytes=3)
    assert route_rule("GET", "/api/v1/models", limits) == (1, None)
    assert route_rule("PUT", "/api/v1/policies/x", limits) == (3, "bearer")
    assert route_rule("POST", "/api/v1/admit", limits) == (1, "bearer")
    assert route_rule("POST", "/login", limits) == (2, None)
    assert route_rule("POST", "/policies", limits) == (3, "cookie")
    assert route_rule("POST", "/models/a/b/decisions", limits) == (2, "cookie")


def test_policy_cap_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEIGHBRIDGE_MAX_POLICY_BYTES", "123456")
    assert BodyLimits.from_environment().policy_bytes == 123456
    monkeypatch.setenv("WEIGHBRIDGE_MAX_POLICY_BYTES", "nonsense")
    assert BodyLimits.from_environment().policy_bytes == BodyLimits().policy_bytes
