"""The claim order is fair: one huge delivery does not hold back the deliveries after it."""

import copy
import hashlib
import json
import uuid

import pytest
from fastapi.testclient import TestClient

from app.bootstrap import build_container
from app.main import create_app
from tests.conftest import _truncate, fixture_bytes, make_settings
from tests.support.github_api import run_webhook
from tests.support.github_deliveries import post_github

K8S_TOKEN = "k8s-webhook-token-for-tests"
ALERTS = 2000


@pytest.fixture
def app(database_url):
    settings = make_settings(database_url, k8s_webhook_token=K8S_TOKEN)
    container = build_container(settings, database_url=database_url)
    with TestClient(create_app(container)) as http:
        yield container, http
    _truncate(container)
    container.close()


def alert_group(count: int, *, namespace: str = "shop") -> bytes:
    """The published Alertmanager crash-loop group, with ``count`` alerts for distinct pods."""
    group = json.loads(fixture_bytes("kubernetes/alertmanager__kubepodcrashlooping.firing.json"))
    template = group["alerts"][0]
    alerts = []
    for i in range(count):
        alert = copy.deepcopy(template)
        pod = f"checkout-7d9f8b6c5-{i:05d}"
        alert["labels"].update(namespace=namespace, pod=pod, uid=str(uuid.uuid4()))
        alert["annotations"]["description"] = f"Pod {namespace}/{pod} (checkout) is crash looping."
        alert["fingerprint"] = hashlib.sha256(f"{namespace}/{pod}".encode()).hexdigest()[:16]
        alerts.append(alert)
    group["alerts"] = alerts
    group["groupLabels"]["namespace"] = namespace
    group["commonLabels"]["namespace"] = namespace
    group["groupKey"] = group["groupKey"].replace('namespace="shop"', f'namespace="{namespace}"')
    return json.dumps(group).encode()


def post_alerts(http, body: bytes) -> list[int]:
    response = http.post(
        "/webhooks/kubernetes",
        content=body,
        headers={"Authorization": f"Bearer {K8S_TOKEN}", "Content-Type": "application/json"},
    )
    assert response.status_code == 202, response.text
    return response.json()["incident_ids"]


def post_github_failure(http, run_id: int) -> int:
    body = run_webhook(run_id=run_id)
    response = post_github(http, body)
    assert response.status_code in (200, 202), response.text
    return response.json()["incident_id"]


def first_claims(container, count: int) -> list[int]:
    worker = container.new_worker(worker_id="fair")
    claimed = []
    for _ in range(count):
        claimed += worker.claim()
    return claimed


def test_a_github_failure_after_a_2000_alert_body_is_among_the_first_claims(app):
    container, http = app
    assert len(post_alerts(http, alert_group(ALERTS))) == ALERTS
    github_incident = post_github_failure(http, run_id=73_001)

    assert github_incident in first_claims(container, 3)


def test_the_next_kubernetes_delivery_after_a_large_alert_body_is_among_the_first_claims(app):
    container, http = app
    assert len(post_alerts(http, alert_group(300))) == 300
    [next_delivery] = post_alerts(http, alert_group(1, namespace="payments"))

    assert next_delivery in first_claims(container, 3)


def test_deliveries_without_competition_are_claimed_oldest_first(app):
    container, http = app
    ids = [post_github_failure(http, run_id=74_000 + i) for i in range(3)]

    assert first_claims(container, 3) == ids
