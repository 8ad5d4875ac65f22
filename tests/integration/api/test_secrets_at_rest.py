"""A secret that a sender puts in a delivery is masked before anything is stored, and the read
API masks what it returns: titles, names, keys, details, headers and the stored payload."""

import json

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select, text

from app.adapters.database.tables import AuditEntry, Incident, WebhookDelivery
from app.api.v1 import webhooks
from app.core.redaction import MARK
from app.main import create_app
from tests.conftest import fixture_bytes
from tests.support.cluster_api import fixture_json
from tests.support.github_deliveries import post_github

TOKEN = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0" * 2  # a classic GitHub token's shape
FAILED_RUN = "github/derived__workflow_run__completed.failure.payload.json"
SYNC_FAILED = "argocd/codehealer__on-sync-failed.json"
ARGO_TOKEN = "argocd-webhook-token-for-tests"


def failed_run() -> dict:
    return json.loads(fixture_bytes(FAILED_RUN))


def only(container, table):
    with container.db.session() as session:
        rows = list(session.execute(select(table)).scalars())
    assert len(rows) == 1
    return rows[0]


def test_a_token_in_the_workflow_name_is_masked_in_the_incident_and_its_audit(client, container):
    payload = failed_run()
    payload["workflow_run"]["name"] = f"deploy {TOKEN}"

    assert post_github(client, payload).status_code == 202

    incident, audit = only(container, Incident), only(container, AuditEntry)
    stored = [
        incident.title,
        incident.fingerprint,
        incident.workflow_name,
        json.dumps(audit.details),
    ]
    assert [TOKEN in field for field in stored] == [False] * 4
    assert incident.workflow_name == "deploy [REDACTED:github_token]"


def test_the_read_api_returns_the_masked_title(client):
    payload = failed_run()
    payload["workflow_run"]["name"] = f"deploy {TOKEN}"
    post_github(client, payload)

    listed = client.get("/api/v1/incidents").json()["items"]

    assert "[REDACTED:github_token]" in listed[0]["title"]
    assert TOKEN not in json.dumps(listed)


def test_payload_fields_named_for_secrets_are_masked_in_the_stored_payload(client, container):
    payload = failed_run()
    payload["workflow_run"]["token"] = "plain-value-1"
    payload["client"] = {"password": "plain-value-2", "client_secret": "plain-value-3"}

    assert post_github(client, payload).status_code == 202

    stored = only(container, WebhookDelivery).payload
    assert stored["workflow_run"]["token"] == MARK
    assert stored["client"] == {"password": MARK, "client_secret": MARK}


def test_a_secret_in_the_delivery_header_is_masked_and_its_redelivery_still_recognised(
    client, container
):
    delivery = f"delivery-{TOKEN}"

    first = post_github(client, failed_run(), delivery=delivery)
    again = post_github(client, failed_run(), delivery=delivery)

    stored = only(container, WebhookDelivery)
    assert stored.delivery_id == "delivery-[REDACTED:github_token]"
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json() == {**first.json(), "duplicate": True}


def test_a_secret_in_the_event_header_is_masked_in_the_stored_delivery(client, container):
    response = post_github(client, failed_run(), event=f"push {TOKEN}")

    stored = only(container, WebhookDelivery)
    assert TOKEN not in stored.event_type + (stored.ignored_reason or "")
    assert TOKEN not in response.text


def test_an_argocd_repo_url_with_a_password_is_masked_in_the_incident_details(container):
    container.settings.argocd.webhook_token = SecretStr(ARGO_TOKEN)
    app = create_app(container)
    if not any(getattr(route, "path", None) == "/webhooks/argocd" for route in app.routes):
        app.include_router(webhooks.router)
    body = {**fixture_json(SYNC_FAILED), "repoURL": "https://deploy:hunter2@git.example/app.git"}

    with TestClient(app) as http:
        response = http.post(
            "/webhooks/argocd", json=body, headers={"Authorization": f"Bearer {ARGO_TOKEN}"}
        )

    assert response.status_code == 202
    incident, delivery = only(container, Incident), only(container, WebhookDelivery)
    assert incident.details["repo_url"] == f"https://deploy:{MARK}@git.example/app.git"
    assert "hunter2" not in json.dumps(delivery.payload)


def test_the_read_api_masks_a_row_stored_before_masking_at_rest(client, container):
    post_github(client, failed_run())
    with container.db.engine.begin() as conn:  # as an older version would have stored it
        conn.execute(
            text("UPDATE incidents SET title = :title, details = CAST(:details AS jsonb)"),
            {"title": f"deploy {TOKEN}", "details": json.dumps({"token": "plain-value"})},
        )
    incident_id = only(container, Incident).id

    listed = client.get("/api/v1/incidents").json()
    detail = client.get(f"/api/v1/incidents/{incident_id}").json()

    for answer in (listed, detail):
        assert TOKEN not in json.dumps(answer)
        assert "plain-value" not in json.dumps(answer)
