"""POST /webhooks/github against the real database, with GitHub's published payloads."""

import json
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select, text

from app.adapters.database.tables import Incident, WebhookDelivery
from tests.conftest import fixture_bytes
from tests.support.github_deliveries import SIGNATURE_HEADER, github_headers, post_github

FAILED_RUN = "github/derived__workflow_run__completed.failure.payload.json"
SUCCESS_RUN = "github/octokit__workflow_run__completed.payload.json"
FAILED_JOB = "github/octokit__workflow_job__completed.failure.with-organization.payload.json"


def post(
    client,
    body: bytes,
    *,
    event: str = "workflow_run",
    delivery: str | None = None,
    signature: str | None = "sign",
    headers: dict | None = None,
):
    replaced = {} if signature == "sign" else {SIGNATURE_HEADER: signature}
    return post_github(
        client, body, event=event, delivery=delivery, headers={**replaced, **(headers or {})}
    )


def count(container, table) -> int:
    with container.db.session() as session:
        return session.execute(select(func.count()).select_from(table)).scalar_one()


def test_failed_run_creates_a_received_incident(client, container):
    response = post(client, fixture_bytes(FAILED_RUN))
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "received"
    with container.db.session() as session:
        incident = session.get(Incident, body["incident_id"])
    assert incident.repo == "octo-org/octo-repo"
    assert incident.run_id == 289782451
    assert incident.run_attempt == 1
    assert incident.conclusion == "failure"


def test_incident_is_listed_by_the_read_api(client):
    incident_id = post(client, fixture_bytes(FAILED_RUN)).json()["incident_id"]
    listed = client.get("/api/v1/incidents", params={"repo": "octo-org/octo-repo"}).json()
    assert [i["id"] for i in listed["items"]] == [incident_id]
    assert listed["total"] == 1


def test_redelivery_answers_200_with_the_original_incident(client, container):
    body = fixture_bytes(FAILED_RUN)
    first = post(client, body, delivery="delivery-1")
    again = post(client, body, delivery="delivery-1")
    assert again.status_code == 200
    assert again.json()["incident_id"] == first.json()["incident_id"]
    assert count(container, WebhookDelivery) == 1


def test_new_delivery_of_the_same_run_attempt_reuses_the_incident(client, container):
    body = fixture_bytes(FAILED_RUN)
    first = post(client, body).json()["incident_id"]
    second = post(client, body).json()["incident_id"]
    assert first == second
    assert count(container, Incident) == 1


def test_one_byte_change_is_rejected_with_401_and_nothing_stored(client, container):
    body = fixture_bytes(FAILED_RUN)
    signature = github_headers(body)[SIGNATURE_HEADER]
    tampered = body.replace(b"octo-repo", b"octo-repp", 1)
    response = post(client, tampered, signature=signature)
    assert response.status_code == 401
    assert count(container, WebhookDelivery) == 0
    assert count(container, Incident) == 0


def test_missing_signature_is_rejected(client, container):
    assert post(client, fixture_bytes(FAILED_RUN), signature=None).status_code == 401
    assert count(container, WebhookDelivery) == 0


def test_sha1_signature_alone_is_not_accepted(client):
    response = post(
        client,
        fixture_bytes(FAILED_RUN),
        signature=None,
        headers={"X-Hub-Signature": "sha1=0123456789abcdef0123456789abcdef01234567"},
    )
    assert response.status_code == 401


def test_ping_answers_200(client):
    response = post(client, fixture_bytes("github/octokit__ping__payload.json"), event="ping")
    assert response.status_code == 200


def test_successful_run_is_recorded_but_ignored(client, container):
    response = post(client, fixture_bytes(SUCCESS_RUN))
    assert response.status_code == 202
    assert "ignored" in response.json()
    assert count(container, WebhookDelivery) == 1
    assert count(container, Incident) == 0


def test_unhandled_event_type_is_ignored_with_reason(client):
    response = post(client, fixture_bytes("github/octokit__push__payload.json"), event="push")
    assert response.status_code == 202
    assert "push" in response.json()["ignored"]


def test_failed_job_before_its_run_creates_the_incident_and_records_the_job(client, container):
    job_response = post(client, fixture_bytes(FAILED_JOB), event="workflow_job")
    assert job_response.status_code == 202
    with container.db.session() as session:
        incident = session.get(Incident, job_response.json()["incident_id"])
    assert incident.failed_jobs == [
        {
            "id": 289782451,
            "name": "linters",
            "html_url": "https://github.com/octo-org/octo-repo/runs/1291536064",
        }
    ]


def test_failed_job_attaches_to_its_runs_incident(client, container):
    payload = json.loads(fixture_bytes(FAILED_RUN))
    job = json.loads(fixture_bytes(FAILED_JOB))
    job["workflow_job"]["run_id"] = payload["workflow_run"]["id"]
    job["repository"]["full_name"] = payload["repository"]["full_name"]
    run_id = post(client, fixture_bytes(FAILED_RUN)).json()["incident_id"]
    job_id = post(client, json.dumps(job).encode(), event="workflow_job").json()["incident_id"]
    assert run_id == job_id
    with container.db.session() as session:
        incident = session.get(Incident, run_id)
    assert [j["name"] for j in incident.failed_jobs] == ["linters"]
    assert incident.workflow_id == payload["workflow_run"]["workflow_id"]


def test_non_json_body_is_400(client, container):
    assert post(client, b"not json{").status_code == 400
    assert count(container, WebhookDelivery) == 0


def test_json_with_a_value_the_database_cannot_store_is_400_and_nothing_stored(client, container):
    # jsonb has no NaN/Infinity and no NUL character, though Python's json module reads both.
    assert post(client, b'{"action": "completed", "n": NaN}').status_code == 400
    assert post(client, b'{"action": "completed", "s": "a\\u0000b"}').status_code == 400
    assert count(container, WebhookDelivery) == 0


def test_an_escaped_backslash_before_u0000_text_is_not_taken_for_a_nul(client, container):
    body = json.loads(fixture_bytes(FAILED_RUN))
    body["note"] = "a literal \\u0000 in text"
    assert post(client, json.dumps(body).encode()).status_code == 202


def test_json_that_is_not_an_object_is_400(client):
    assert post(client, b"[1, 2, 3]").status_code == 400


def test_missing_event_header_is_400(client):
    body = fixture_bytes(FAILED_RUN)
    response = post(client, body, delivery="x", headers={"X-GitHub-Event": None})
    assert response.status_code == 400


def test_missing_delivery_header_is_400(client):
    body = fixture_bytes(FAILED_RUN)
    response = post(client, body, headers={"X-GitHub-Delivery": None})
    assert response.status_code == 400


def test_workflow_run_without_repository_is_400_not_500(client, container):
    payload = json.loads(fixture_bytes(FAILED_RUN))
    del payload["repository"]
    response = post(client, json.dumps(payload).encode())
    assert response.status_code == 400
    assert count(container, WebhookDelivery) == 0


def test_unknown_fields_are_ignored(client):
    payload = json.loads(fixture_bytes(FAILED_RUN))
    payload["workflow_run"]["brand_new_field"] = {"x": 1}
    payload["status"] = "resolved"
    response = post(client, json.dumps(payload).encode())
    assert response.status_code == 202
    assert response.json()["status"] == "received"


def test_body_over_the_limit_is_413_from_content_length(client, container):
    container.settings.server.max_body_bytes = 1024
    response = post(client, b"{" + b" " * 5000 + b"}")
    assert response.status_code == 413


def test_a_run_start_python_cannot_hold_is_dropped_and_every_read_answers_200(client, container):
    payload = json.loads(fixture_bytes(FAILED_RUN))
    payload["workflow_run"]["run_started_at"] = "0001-01-01T00:00:00+14:00"  # year 0 in UTC
    response = post(client, json.dumps(payload).encode())
    assert response.status_code == 202
    incident_id = response.json()["incident_id"]
    with container.db.session() as session:
        incident = session.get(Incident, incident_id)
    assert incident.run_started_at is None
    assert incident.details["dropped_fields"][0].startswith("run_started_at 0001-01-01")
    assert client.get("/api/v1/incidents").status_code == 200
    assert client.get(f"/api/v1/incidents/{incident_id}").status_code == 200
    assert client.get("/dashboard").status_code == 200


def kill_backend_waiting_on(container, statement_start: str) -> None:
    """Terminate the backend whose statement (starting with ``statement_start``) waits on a lock."""
    query = text(
        "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND datname = current_database() AND left(ltrim(query, E' \\n'), :n) = :start"
    )
    with container.db.engine.connect() as admin:
        for _ in range(500):
            pids = admin.execute(query, {"n": len(statement_start), "start": statement_start})
            pid = pids.scalar()
            admin.rollback()  # pg_stat_activity is read once per transaction
            if pid is not None:
                admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                return
            time.sleep(0.01)
    raise AssertionError(f"no statement starting {statement_start!r} waited on a lock")


def test_a_connection_lost_during_the_ingest_statement_is_answered_503_and_nothing_stored(
    client, container
):
    # The table is locked, so the ingest statement waits on it; its backend is then killed, as
    # a database failover or an administrator would.
    with container.db.engine.connect() as locker:
        locker.execute(text("LOCK TABLE webhook_deliveries IN ACCESS EXCLUSIVE MODE"))
        with ThreadPoolExecutor(1) as pool:
            answer = pool.submit(post, client, fixture_bytes(FAILED_RUN))
            try:
                kill_backend_waiting_on(container, "WITH incident AS")
            finally:
                locker.rollback()
            response = answer.result(timeout=30)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert count(container, WebhookDelivery) == 0
    assert post(client, fixture_bytes(FAILED_RUN)).status_code == 202  # a new connection


def test_an_event_header_longer_than_its_column_is_400_and_nothing_stored(client, container):
    response = post(client, fixture_bytes(FAILED_RUN), event="e" * 101)
    assert response.status_code == 400
    assert count(container, WebhookDelivery) == 0
