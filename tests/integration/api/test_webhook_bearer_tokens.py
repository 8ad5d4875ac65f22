"""Bearer tokens of /webhooks/kubernetes and /webhooks/argocd: blank is unset, bytes are exact.

Requests go through httpx's ASGI transport, which hands the header bytes to the app as sent (the
test client re-encodes non-ASCII header values, which would hide what a real server delivers).
"""

import asyncio
import json

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.adapters.database.tables import WebhookDelivery
from app.main import create_app
from tests.conftest import make_settings
from tests.support.cluster_api import fixture_json

TOKEN = "cluster-webhook-token-0123456789"
BODIES = {
    "/webhooks/kubernetes": "kubernetes/event-exporter__pod-backoff.warning.json",
    "/webhooks/argocd": "argocd/codehealer__on-sync-failed.json",
}
SETTING = {"/webhooks/kubernetes": "k8s_webhook_token", "/webhooks/argocd": "argocd_webhook_token"}


@pytest.fixture
def cluster_app(container, database_url):
    """The app with cluster tokens read from settings, as `codehealer serve` reads them."""

    def make(**tokens) -> FastAPI:
        container.settings = make_settings(database_url, **tokens)
        return create_app(container)

    return make


def deliver(app: FastAPI, path: str, authorization: bytes) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://codehealer") as http:
            return await http.post(
                path,
                content=json.dumps(fixture_json(BODIES[path])).encode(),
                headers={"Authorization": authorization, "Content-Type": "application/json"},
            )

    return asyncio.run(send())


def stored(app: FastAPI) -> int:
    with app.state.container.db.session() as session:
        return session.execute(select(func.count()).select_from(WebhookDelivery)).scalar_one()


@pytest.mark.parametrize("path", BODIES)
@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_token_accepts_nothing(cluster_app, path, blank):
    app = cluster_app(**{SETTING[path]: blank})
    for header in (b"Bearer \xa0", b"Bearer ", b"Bearer " + blank.encode() + b"\xa0"):
        assert deliver(app, path, header).status_code == 401
    assert stored(app) == 0


@pytest.mark.parametrize("path", BODIES)
def test_a_token_with_a_trailing_non_breaking_space_is_refused(cluster_app, path):
    app = cluster_app(**{SETTING[path]: TOKEN})
    assert deliver(app, path, b"Bearer " + TOKEN.encode() + b"\xa0").status_code == 401
    assert stored(app) == 0


@pytest.mark.parametrize("path", BODIES)
def test_the_exact_bearer_header_is_accepted(cluster_app, path):
    app = cluster_app(**{SETTING[path]: TOKEN})
    assert deliver(app, path, b"Bearer " + TOKEN.encode()).status_code == 202
