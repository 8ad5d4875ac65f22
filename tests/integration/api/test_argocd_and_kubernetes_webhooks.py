"""POST /webhooks/argocd and /webhooks/kubernetes through the HTTP app, on the real database."""

import copy
import json

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from app.adapters.database.tables import AuditEntry, Incident, WebhookDelivery
from app.api.v1 import webhooks
from app.domain.audit import AuditEvent
from app.main import create_app
from tests.support.cluster_api import fixture_json

K8S_TOKEN = "k8s-webhook-token-for-tests"
ARGO_TOKEN = "argocd-webhook-token-for-tests"
BACKOFF = "kubernetes/event-exporter__pod-backoff.warning.json"
SYNC_FAILED = "argocd/codehealer__on-sync-failed.json"
FIRING = "kubernetes/alertmanager__kubepodcrashlooping.firing.json"
RESOLVED = "kubernetes/alertmanager__kubepodcrashlooping.resolved.json"


@pytest.fixture
def http(container):
    """The app with the cluster router, whether or not main.py includes it yet."""
    container.settings.kubernetes.webhook_token = SecretStr(K8S_TOKEN)
    container.settings.argocd.webhook_token = SecretStr(ARGO_TOKEN)
    app = create_app(container)
    if not any(getattr(route, "path", None) == "/webhooks/argocd" for route in app.routes):
        app.include_router(webhooks.router)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def post(http, path: str, body, *, token: str | None = None, raw: bytes | None = None):
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    content = raw if raw is not None else json.dumps(body).encode()
    return http.post(path, content=content, headers=headers)


def k8s(http, body, **kwargs):
    return post(http, "/webhooks/kubernetes", body, token=kwargs.pop("token", K8S_TOKEN), **kwargs)


def argo(http, body, **kwargs):
    return post(http, "/webhooks/argocd", body, token=kwargs.pop("token", ARGO_TOKEN), **kwargs)


def count(container, table, *where) -> int:
    with container.db.session() as session:
        stmt = select(func.count()).select_from(table)
        for clause in where:
            stmt = stmt.where(clause)
        return session.execute(stmt).scalar_one()


def incidents(container) -> list[Incident]:
    with container.db.session() as session:
        return list(session.execute(select(Incident).order_by(Incident.id)).scalars())


def backoff_for(pod: str, n: int) -> dict:
    """The n-th BackOff event of a pod (count and lastTimestamp move, as the kubelet's do)."""
    body = copy.deepcopy(fixture_json(BACKOFF))
    body["involvedObject"]["name"] = pod
    body["involvedObject"]["labels"] = {"app": pod}
    body["metadata"]["name"] = f"{pod}.17c5a9e1d2f0a3b4"
    body["count"] = n
    body["lastTimestamp"] = f"2024-03-12T10:{n // 60 % 60:02d}:{n % 60:02d}Z"
    return body


# --- storms ----------------------------------------------------------------------------------
def test_a_storm_of_backoff_events_for_ten_pods_is_at_most_ten_incidents(http, container):
    pods = [f"web-{k}" for k in range(10)]
    for n in range(100):
        for pod in pods:
            assert k8s(http, backoff_for(pod, n + 1)).status_code == 202
    found = incidents(container)
    assert len(found) <= 10
    assert sum(i.occurrences for i in found) == 1000
    assert count(container, WebhookDelivery) == 1000
    assert container.queue.enqueued == len(found)


def test_an_event_for_an_open_incident_answers_coalesced(http):
    first = k8s(http, backoff_for("web-0", 1)).json()
    second = k8s(http, backoff_for("web-0", 2)).json()
    assert first["coalesced"] is False and first["results"][0]["created"] is True
    assert second["coalesced"] is True
    assert second["incident_ids"] == first["incident_ids"]


def test_the_same_argo_notification_four_times_is_one_incident(http, container):
    body = fixture_json(SYNC_FAILED)
    answers = [argo(http, body) for _ in range(4)]
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["incident_ids"][0] for a in answers}) == 1
    assert [a.json()["results"][0].get("duplicate", False) for a in answers] == [
        False,
        True,
        True,
        True,
    ]
    assert count(container, Incident) == 1
    assert count(container, WebhookDelivery) == 1


def test_argo_notifications_of_one_app_revision_and_phase_coalesce(http, container):
    body = fixture_json(SYNC_FAILED)
    argo(http, body)
    body["finishedAt"] = "2024-03-12T11:07:41Z"  # Argo CD's next automated retry
    again = argo(http, body).json()
    assert again["coalesced"] is True
    [incident] = incidents(container)
    assert incident.occurrences == 2
    assert incident.dedup_key.startswith(
        "argocd:guestbook:53e28ff20cc530b9ada2173fbbd64d48338583ba:Failed#"
    )


def test_argo_healthy_notification_resolves_the_open_app_incident(http, container):
    incident_id = argo(http, fixture_json(SYNC_FAILED)).json()["incident_ids"][0]
    answer = argo(http, fixture_json("argocd/codehealer__on-sync-succeeded.json")).json()
    assert answer["results"][0]["resolved"] == [incident_id]
    [incident] = incidents(container)
    assert incident.status == "resolved" and incident.resolved_at is not None


# --- Alertmanager ----------------------------------------------------------------------------
def test_alertmanager_firing_then_resolved_opens_then_closes_the_incident(http, container):
    opened = k8s(http, fixture_json(FIRING)).json()
    [incident_id] = opened["incident_ids"]
    assert incidents(container)[0].status == "received"
    closed = k8s(http, fixture_json(RESOLVED)).json()
    assert closed["results"][0]["resolved"] == [incident_id]
    [incident] = incidents(container)
    assert incident.status == "resolved"
    assert incident.resolved_at is not None and incident.mttr_seconds is not None
    events = [e.event for e in _audit(container, incident_id)]
    assert events == [AuditEvent.INCIDENT_CREATED, AuditEvent.INCIDENT_RESOLVED]


def test_alertmanager_repeat_of_a_firing_group_is_acknowledged_once(http, container):
    k8s(http, fixture_json(FIRING))
    again = k8s(http, fixture_json(FIRING)).json()
    assert again["results"][0]["duplicate"] is True
    [incident] = incidents(container)
    assert incident.occurrences == 1


def test_alertmanager_group_with_two_alerts_opens_two_incidents(http, container):
    body = fixture_json("kubernetes/alertmanager__kubecontainerwaiting.two-alerts.firing.json")
    answer = k8s(http, body).json()
    assert len(answer["incident_ids"]) == 2
    assert {i.reason for i in incidents(container)} == {
        "ImagePullBackOff",
        "CreateContainerConfigError",
    }
    assert count(container, WebhookDelivery) == 2


def test_a_failure_after_its_incident_resolved_opens_a_new_one(http, container):
    first = k8s(http, fixture_json(FIRING)).json()["incident_ids"][0]
    k8s(http, fixture_json(RESOLVED))
    body = fixture_json(FIRING)
    body["alerts"][0]["startsAt"] = "2024-03-12T12:00:00.000Z"
    second = k8s(http, body).json()["incident_ids"][0]
    assert second != first
    assert [i.status for i in incidents(container)] == ["resolved", "received"]


def test_normal_event_is_recorded_and_ignored(http, container):
    answer = k8s(http, fixture_json("kubernetes/event-exporter__pod-pulling.normal.json"))
    assert answer.status_code == 202
    assert answer.json()["incident_ids"] == []
    assert "Normal" in answer.json()["results"][0]["ignored"]
    assert count(container, Incident) == 0
    assert count(container, WebhookDelivery, WebhookDelivery.outcome == "ignored") == 1


# --- refusals --------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/webhooks/kubernetes", "/webhooks/argocd"])
@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_missing_or_wrong_token_is_401_and_stores_nothing(http, container, path, token):
    body = fixture_json(BACKOFF if path.endswith("kubernetes") else SYNC_FAILED)
    response = post(http, path, body, token=token)
    assert response.status_code == 401
    assert count(container, WebhookDelivery) == 0
    assert count(container, Incident) == 0


def test_unconfigured_token_is_401_saying_so(http, container):
    container.settings.argocd.webhook_token = None
    response = argo(http, fixture_json(SYNC_FAILED))
    assert response.status_code == 401
    assert "ARGOCD_WEBHOOK_TOKEN is not configured" in response.json()["detail"]
    assert count(container, WebhookDelivery) == 0


def test_get_on_the_argocd_webhook_is_405_with_the_template_fix(http):
    response = http.get("/webhooks/argocd")
    assert response.status_code == 405
    assert "method: POST" in response.json()["detail"]
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize("path", ["/webhooks/kubernetes", "/webhooks/argocd"])
def test_non_json_body_is_400(http, path):
    token = K8S_TOKEN if path.endswith("kubernetes") else ARGO_TOKEN
    response = post(http, path, None, token=token, raw=b"not json {")
    assert response.status_code == 400


def test_json_of_neither_kubernetes_shape_is_400_and_stores_nothing(http, container):
    response = k8s(http, {"kind": "Pod", "metadata": {"name": "x"}})
    assert response.status_code == 400
    assert count(container, WebhookDelivery) == 0


def test_body_over_the_limit_is_413(http, container):
    container.settings.server.max_body_bytes = 256
    response = k8s(http, fixture_json(BACKOFF))
    assert response.status_code == 413
    assert count(container, WebhookDelivery) == 0


def _audit(container, incident_id: int) -> list[AuditEntry]:
    with container.db.session() as session:
        stmt = (
            select(AuditEntry).where(AuditEntry.incident_id == incident_id).order_by(AuditEntry.id)
        )
        return list(session.execute(stmt).scalars())
