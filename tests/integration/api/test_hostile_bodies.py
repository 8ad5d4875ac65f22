"""Bodies JSON parsers accept but nothing after them can hold: a 400 on every webhook route and
on Slack interactions, with one log line and nothing stored.

Each hostile document is a real payload of the endpoint with one thing added, so that only the
hostile part can be the reason for the answer. Requests are correctly signed: the decoding
step, not authentication, is what is tested.
"""

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from urllib.parse import quote_from_bytes

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from app.adapters.database.tables import Incident, WebhookDelivery
from app.domain.notifications.blocks import RUNBOOK_ACTION
from app.main import create_app
from tests.conftest import fixture_bytes
from tests.integration.api.test_slack_interactions import block_actions
from tests.support.github_deliveries import post_github

K8S_TOKEN = "k8s-webhook-token-for-hostile-body-tests"
ARGO_TOKEN = "argocd-webhook-token-for-hostile-body-tests"
SLACK_SECRET = "slack-signing-secret-for-hostile-body-tests"


def github(client: TestClient, document: bytes):
    return post_github(client, document)


def bearer(path: str, token: str) -> Callable:
    def send(client: TestClient, document: bytes):
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        return client.post(path, content=document, headers=headers)

    return send


def slack(client: TestClient, document: bytes):
    body = b"payload=" + quote_from_bytes(document).encode()
    timestamp = str(int(time.time()))
    digest = hmac.new(SLACK_SECRET.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": "v0=" + digest.hexdigest(),
    }
    return client.post("/slack/interactions", content=body, headers=headers)


# endpoint → (how to send a JSON document to it, a real document it accepts)
ENDPOINTS = {
    "github": (
        github,
        fixture_bytes("github/derived__workflow_run__completed.failure.payload.json"),
    ),
    "argocd": (
        bearer("/webhooks/argocd", ARGO_TOKEN),
        fixture_bytes("argocd/codehealer__on-sync-failed.json"),
    ),
    "kubernetes": (
        bearer("/webhooks/kubernetes", K8S_TOKEN),
        fixture_bytes("kubernetes/event-exporter__pod-backoff.warning.json"),
    ),
    # A click on the runbook link button: recorded as ignored, so the real one answers 200.
    "slack": (slack, json.dumps(block_actions("U0READER1", RUNBOOK_ACTION, "")).encode()),
}


def with_member(document: bytes, raw_value: str) -> bytes:
    """The document with ``"hostile": <raw_value>`` as its first member, as JSON text."""
    text = document.decode().lstrip()
    assert text.startswith("{")
    return ('{"hostile": ' + raw_value + ", " + text[1:]).encode()


# class of hostile body → how to make one from a real document
HOSTILE: dict[str, Callable[[bytes], bytes]] = {
    "nesting-100k": lambda d: with_member(d, "[" * 100_000 + "]" * 100_000),
    "nesting-200": lambda d: with_member(d, "[" * 200 + "]" * 200),
    "integer-5000-digits": lambda d: with_member(d, "9" * 5000),
    "integer-past-64-bits": lambda d: with_member(d, str(2**64)),
    "float-1e1000000": lambda d: with_member(d, "1e1000000"),
    "nan": lambda d: with_member(d, "NaN"),
    "infinity": lambda d: with_member(d, "-Infinity"),
    "lone-high-surrogate": lambda d: with_member(d, '"\\ud800"'),
    "lone-low-surrogate-key": lambda d: with_member(d, '{"\\udc00": 1}'),
    "nul-character": lambda d: with_member(d, '"a\\u0000b"'),
    "utf-16": lambda d: d.decode().encode("utf-16"),
    "utf-16-le-no-bom": lambda d: d.decode().encode("utf-16-le"),
    "utf-32": lambda d: d.decode().encode("utf-32"),
    "utf-8-bom": lambda d: b"\xef\xbb\xbf" + d,
    "invalid-utf-8": lambda d: with_member(d, '"caf_"').replace(b"caf_", b"caf\xff"),
}


@pytest.fixture
def http(container):
    settings = container.settings
    settings.kubernetes.webhook_token = SecretStr(K8S_TOKEN)
    settings.argocd.webhook_token = SecretStr(ARGO_TOKEN)
    settings.slack.signing_secret = SecretStr(SLACK_SECRET)
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield client


def stored(container) -> tuple[int, int]:
    with container.db.session() as session:
        count = lambda table: session.execute(select(func.count()).select_from(table)).scalar_one()  # noqa: E731
        return count(WebhookDelivery), count(Incident)


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_the_real_document_is_accepted(http, endpoint):
    send, document = ENDPOINTS[endpoint]
    assert send(http, document).status_code in (200, 202)


@pytest.mark.parametrize("hostile", sorted(HOSTILE))
@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_a_hostile_body_is_a_400_with_one_log_line_and_nothing_stored(
    http, container, caplog, endpoint, hostile
):
    send, document = ENDPOINTS[endpoint]
    caplog.set_level(logging.INFO)
    response = send(http, HOSTILE[hostile](document))
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "BadRequestError"
    assert response.json()["detail"]
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1
    assert stored(container) == (0, 0)
