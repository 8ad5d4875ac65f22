"""HTTP events through the Lambda handler (Mangum) against the real database.

Events are AWS's published samples (tests/fixtures/aws_lambda), adapted in memory.
"""

import base64
import copy
import json
import logging
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from sqlalchemy.pool import NullPool

from app import lambda_handler
from app.adapters.database.tables import Incident
from tests.conftest import WEBHOOK_SECRET, fixture_bytes
from tests.support.github_deliveries import signature_of

HTTP_API_V2 = "aws_lambda/powertools__apiGatewayProxyV2Event.json"
REST_API_V1 = "aws_lambda/powertools__apiGatewayProxyEvent.json"
FUNCTION_URL = "aws_lambda/powertools__lambdaFunctionUrlEvent.json"
FAILED_RUN = "github/derived__workflow_run__completed.failure.payload.json"


def lambda_context(request_id: str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef") -> SimpleNamespace:
    return SimpleNamespace(aws_request_id=request_id, function_name="codehealer-api")


def load_event(name: str) -> dict:
    return copy.deepcopy(json.loads(fixture_bytes(name)))


def v2_event(name: str, method: str, path: str, *, body: bytes | None = None, headers=None):
    event = load_event(name)
    event["rawPath"] = path
    event["rawQueryString"] = ""
    event.pop("queryStringParameters", None)
    event["requestContext"]["http"].update(method=method, path=path)
    event["headers"] = {**event.get("headers", {}), **(headers or {})}
    if body is None:
        event.pop("body", None)
        event["isBase64Encoded"] = False
    else:
        event["body"] = base64.b64encode(body).decode()
        event["isBase64Encoded"] = True
    return event


def v1_get(path: str) -> dict:
    event = load_event(REST_API_V1)
    event.update(path=path, resource=path, httpMethod="GET", body=None, isBase64Encoded=False)
    event["requestContext"].update(path=path, resourcePath=path, httpMethod="GET")
    return event


def signed_webhook_event(body: bytes, *, signed_body: bytes | None = None) -> dict:
    signature = signature_of(body if signed_body is None else signed_body)
    headers = {
        "content-type": "application/json",
        "x-github-event": "workflow_run",
        "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        "x-hub-signature-256": signature,
    }
    return v2_event(HTTP_API_V2, "POST", "/webhooks/github", body=body, headers=headers)


def incident_count(container) -> int:
    with container.db.session() as session:
        return session.execute(select(func.count()).select_from(Incident)).scalar_one()


@pytest.fixture
def served(container):
    lambda_handler.use_container(container)
    yield container
    lambda_handler.reset_container_for_tests()


def test_http_api_v2_event_gets_health(served):
    response = lambda_handler.handler(v2_event(HTTP_API_V2, "GET", "/health"), lambda_context())
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"status": "ok"}


def test_rest_api_v1_event_gets_health(served):
    response = lambda_handler.handler(v1_get("/health"), lambda_context())
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"status": "ok"}


def test_function_url_event_gets_health(served):
    response = lambda_handler.handler(v2_event(FUNCTION_URL, "GET", "/health"), lambda_context())
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"status": "ok"}


def test_base64_encoded_signed_webhook_creates_an_incident(served):
    event = signed_webhook_event(fixture_bytes(FAILED_RUN))
    response = lambda_handler.handler(event, lambda_context())
    assert response["statusCode"] == 202, response["body"]
    body = json.loads(response["body"])
    assert body["status"] == "received"
    with served.db.session() as session:
        incident = session.get(Incident, body["incident_id"])
    assert incident is not None
    assert incident.repo == "octo-org/octo-repo"
    assert incident.conclusion == "failure"


def test_tampered_webhook_body_is_refused_with_401(served):
    signed = fixture_bytes(FAILED_RUN)
    tampered = signed.replace(b'"conclusion": "failure"', b'"conclusion": "success"', 1)
    assert tampered != signed
    response = lambda_handler.handler(
        signed_webhook_event(tampered, signed_body=signed), lambda_context()
    )
    assert response["statusCode"] == 401
    assert incident_count(served) == 0


def test_unknown_event_returns_an_error_without_raising(served):
    response = lambda_handler.handler({"hello": "world"}, lambda_context())
    assert "error" in response


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_container_is_built_once_from_the_environment_without_a_pool(
    database_url, monkeypatch, restore_logging
):
    for name in ("SECRETS_ARN", "QUEUE_URL", "DB_PROXY", "DB_NULL_POOL", "ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("LOG_FORMAT", "text")
    lambda_handler.reset_container_for_tests()
    try:
        first = lambda_handler.handler(v2_event(HTTP_API_V2, "GET", "/health"), lambda_context())
        container, adapter = lambda_handler.get_container(), lambda_handler.http_adapter()
        again = lambda_handler.handler(v2_event(HTTP_API_V2, "GET", "/health"), lambda_context())
        assert (first["statusCode"], again["statusCode"]) == (200, 200)
        assert lambda_handler.get_container() is container
        assert lambda_handler.http_adapter() is adapter
        assert container.settings.database.null_pool is True
        assert isinstance(container.db.engine.pool, NullPool)
    finally:
        lambda_handler.reset_container_for_tests()
