"""Schemathesis against the app's own OpenAPI document: generated requests to every /api/v1 operation, over
a registry pre-filled with a few versions. No server error, and every response conforms to the schema
(status code documented, content type, headers, body).

The schema is loaded from ``openapi_document()`` (the same routes, no registry) at import time, and each
case is sent to a per-test app over a copy of the pre-filled registry (``call_and_validate(app=…)``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis import checks
from tests.web.conftest import Filled

from weighbridge.registry import open_registry
from weighbridge.web import create_app
from weighbridge.web.app import openapi_document

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]

schema = schemathesis.openapi.from_dict(openapi_document())


@pytest.fixture
def fuzz_target(filled: Filled) -> Iterator[tuple[FastAPI, dict[str, str]]]:
    """The app, and headers with a token that may decide and store policies but not admit: admitting
    inspects a path taken from the request, which generated data must not point at this machine's folders
    (the admit operation is exercised for its 403 and validation answers)."""
    with open_registry(filled.url()) as reg:
        secret = reg.create_token("fuzz", ["decide", "policy"])
    app = create_app(filled.url())
    yield app, {"Authorization": f"Bearer {secret}"}
    app.state.web.registry.close()


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_api_conforms_to_its_schema(case: Any, fuzz_target: tuple[FastAPI, dict[str, str]]) -> None:
    app, headers = fuzz_target
    case.call_and_validate(app=app, headers=headers, checks=CHECKS)
