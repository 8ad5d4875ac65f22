"""Schemathesis against the app's own OpenAPI: no 5xx and no schema violations, with signed
webhook deliveries (bounded examples per operation)."""

import json

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from app.main import create_app
from tests.support.github_deliveries import SIGNATURE_HEADER, signature_of

# The schema is read from the routes; each test attaches its own container (real database).
APP = create_app(None)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture
def app(container):
    APP.state.container = container
    yield APP
    APP.state.container = None


def signed_delivery(case) -> tuple[bytes, dict[str, str]]:
    body = (
        b""
        if case.body is None or not isinstance(case.body, dict | list)
        else json.dumps(case.body).encode()
    )
    headers = {k: str(v) for k, v in (case.headers or {}).items()}
    headers["Content-Type"] = "application/json"
    headers[SIGNATURE_HEADER] = signature_of(body)
    return body, headers


@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples every run: CI results do not depend on luck
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_no_5xx_and_responses_match_the_schema(case, app):
    if case.path == "/webhooks/github":
        body, headers = signed_delivery(case)
        with TestClient(app, raise_server_exceptions=False) as http:
            response = http.post(case.formatted_path, content=body, headers=headers)
        assert response.status_code < 500, response.text
        return
    response = case.call()
    assert response.status_code < 500, response.text
    case.validate_response(response)
