"""POST /webhooks/{name}: a source registered in the composition root is served with no
route of its own, verified the way it registered, parsed by its source's parser."""

import json

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from app.adapters.database.tables import Incident
from app.bootstrap import build_webhook_sources
from app.core.enums import IncidentSource
from app.core.security import body_signature
from app.core.webhook_auth import SharedToken, SignedBody, WebhookSource
from app.main import create_app
from tests.support.cluster_api import fixture_json

TOKEN = "pipelines-token-for-tests-0123"
SECRET = "pipelines-secret-for-tests-0123"
BACKOFF = "kubernetes/event-exporter__pod-backoff.warning.json"


@pytest.fixture
def http(container):
    """The app with two extra sources: a plain token header and a body signature."""
    sources = build_webhook_sources(container.settings)
    sources["pipelines"] = WebhookSource(
        IncidentSource.KUBERNETES,
        SharedToken("x-pipelines-token", SecretStr(TOKEN), "PIPELINES_TOKEN", scheme=None),
    )
    sources["signed"] = WebhookSource(
        IncidentSource.KUBERNETES,
        SignedBody("x-signature", SecretStr(SECRET), "SIGNED_SECRET", prefix="sha256="),
    )
    sources["unset"] = WebhookSource(
        IncidentSource.KUBERNETES, SharedToken("x-token", None, "UNSET_TOKEN", scheme=None)
    )
    container.overrides["webhook_sources"] = sources
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield client


def body() -> bytes:
    return json.dumps(fixture_json(BACKOFF)).encode()


def incidents(container) -> int:
    with container.db.session() as session:
        return session.execute(select(func.count()).select_from(Incident)).scalar_one()


def test_a_registered_source_with_its_token_is_stored_by_its_parser(http, container):
    response = http.post(
        "/webhooks/pipelines", content=body(), headers={"X-Pipelines-Token": TOKEN}
    )
    assert response.status_code == 202, response.text
    assert response.json()["incident_ids"]
    assert incidents(container) == 1


def test_a_registered_source_without_its_token_is_refused_unread(http, container):
    response = http.post("/webhooks/pipelines", content=body(), headers={"X-Pipelines-Token": "no"})
    assert response.status_code == 401
    assert "x-pipelines-token" in response.json()["detail"]
    assert incidents(container) == 0


def test_a_signed_source_accepts_the_body_its_signature_covers(http, container):
    signature = body_signature(SECRET, body(), "sha256=")
    response = http.post("/webhooks/signed", content=body(), headers={"X-Signature": signature})
    assert response.status_code == 202, response.text
    assert incidents(container) == 1


def test_a_signed_source_refuses_a_wrong_signature(http, container):
    signature = body_signature("another-secret", body(), "sha256=")
    response = http.post("/webhooks/signed", content=body(), headers={"X-Signature": signature})
    assert response.status_code == 401
    assert incidents(container) == 0


def test_a_source_whose_token_is_not_configured_accepts_nothing(http, container):
    response = http.post("/webhooks/unset", content=body(), headers={"X-Token": ""})
    assert response.status_code == 401
    assert "UNSET_TOKEN is not configured" in response.json()["detail"]


def test_an_unregistered_name_is_404(http):
    response = http.post("/webhooks/gitlab", content=body())
    assert response.status_code == 404
    assert "gitlab" in response.json()["detail"]


def test_the_named_routes_keep_precedence_over_the_registered_ones(http):
    response = http.post("/webhooks/kubernetes", content=body())
    assert response.status_code == 401
    assert "K8S_WEBHOOK_TOKEN" in response.json()["detail"]
