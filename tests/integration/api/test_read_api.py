"""Read API, health and readiness."""

import json

import pytest
from pydantic import SecretStr

from app.domain.audit import AuditEvent
from tests.conftest import fixture_bytes
from tests.support.github_deliveries import post_github

FAILED_RUN = "github/derived__workflow_run__completed.failure.payload.json"


def _post_failure(client, run_id: int | None = None) -> int:
    body = fixture_bytes(FAILED_RUN)
    if run_id is not None:
        payload = json.loads(body)
        payload["workflow_run"]["id"] = run_id
        body = json.dumps(payload).encode()
    response = post_github(client, body)
    return response.json()["incident_id"]


def test_health_answers_200(client):
    assert client.get("/health").json() == {"status": "ok"}


def test_ready_answers_200_when_schema_is_at_head(client):
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json()["ready"] is True


def test_detail_includes_deliveries_and_audit_entries(client):
    incident_id = _post_failure(client)
    detail = client.get(f"/api/v1/incidents/{incident_id}").json()
    assert detail["id"] == incident_id
    assert len(detail["deliveries"]) == 1
    assert [a["event"] for a in detail["audit"]] == [AuditEvent.INCIDENT_CREATED]
    assert detail["attempts"] == []
    assert "embedding" not in detail


def test_unknown_incident_is_404(client):
    assert client.get("/api/v1/incidents/999999").status_code == 404


def test_filter_by_status_excludes_others(client):
    _post_failure(client)
    assert client.get("/api/v1/incidents", params={"status": "resolved"}).json()["total"] == 0
    assert client.get("/api/v1/incidents", params={"status": "received"}).json()["total"] == 1


def test_invalid_status_filter_is_4xx(client):
    assert client.get("/api/v1/incidents", params={"status": "bogus"}).status_code == 422


@pytest.mark.parametrize("name", ["repo", "category"])
def test_a_text_filter_holding_a_nul_character_is_422_not_a_database_error(client, name):
    # Found by schemathesis: PostgreSQL text cannot hold NUL, so it must not reach the query.
    assert client.get("/api/v1/incidents", params={name: "a\x00b"}).status_code == 422


def test_pagination_limits_the_page(client):
    ids = [_post_failure(client, run_id) for run_id in (101, 102, 103)]
    page = client.get("/api/v1/incidents", params={"limit": 2, "offset": 1}).json()
    assert page["total"] == 3
    assert [i["id"] for i in page["items"]] == [ids[1], ids[0]]


def test_api_key_is_required_when_set(client, container):
    container.settings.server.api_key = SecretStr("s3cret")
    assert client.get("/api/v1/incidents").status_code == 401
    assert client.get("/api/v1/incidents", headers={"X-API-Key": "wrong"}).status_code == 401
    assert client.get("/api/v1/incidents", headers={"X-API-Key": "s3cret"}).status_code == 200


def test_metrics_summary_counts_the_incidents(client):
    _post_failure(client, 201)
    _post_failure(client, 202)
    summary = client.get("/api/v1/metrics/summary").json()
    assert summary["incidents_24h"] == 2
    assert summary["incidents_7d"] == 2
    assert summary["pending_approvals"] == 0
    assert summary["hourly_budget"] == 10
