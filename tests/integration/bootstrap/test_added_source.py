"""A source added with one entry in the table of sources (app/bootstrap/sources.py): its
endpoint, its parser, its client, its log source and its own remediator are all wired from
that entry, with no line in any other builder."""

import json

import pytest
from fastapi.testclient import TestClient

from app.adapters.database.repositories.attempts import AttemptRepository
from app.adapters.database.tables import Incident, RemediationAttempt
from app.core.enums import ActionKind, AttemptStatus, IncidentStatus
from app.main import create_app
from tests.support.added_source import (
    LABEL,
    PIPELINES_TOKEN,
    WITH_PIPELINES,
    PipelinesClient,
    pipeline_hook,
)


@pytest.fixture
def http(container):
    container.overrides["sources"] = WITH_PIPELINES
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield client


def post_pipeline(http, pipeline_id: int, *, token: str = PIPELINES_TOKEN):
    body = json.dumps(pipeline_hook(pipeline_id)).encode()
    return http.post("/webhooks/pipelines", content=body, headers={"X-Gitlab-Token": token})


def test_its_endpoint_stores_a_failed_pipeline_through_its_parser(http, container):
    response = post_pipeline(http, 41)
    assert response.status_code == 202, response.text
    [incident_id] = response.json()["incident_ids"]
    with container.db.session() as session:
        incident = session.get(Incident, incident_id)
        assert (incident.repo, incident.run_id) == ("acme/api", 41)


def test_its_endpoint_checks_the_token_it_registered(http, container):
    response = post_pipeline(http, 41, token="not-the-token")
    assert response.status_code == 401
    assert "x-gitlab-token" in response.json()["detail"]


def test_its_client_is_built_from_its_entry_and_closed_with_the_container(http, container):
    client = container.clients.by_source[LABEL]
    assert isinstance(client, PipelinesClient)
    container.close()
    assert client.closed


def test_the_analysis_reads_its_log_through_its_log_source(http, container):
    [incident_id] = post_pipeline(http, 42).json()["incident_ids"]
    with container.db.session() as session:
        session.get(Incident, incident_id).status = IncidentStatus.ANALYZING
    container.analyzer(incident_id)
    assert container.clients.by_source[LABEL].logs_read == [42]
    with container.db.session() as session:
        assert "ECONNRESET" in session.get(Incident, incident_id).excerpt


def test_its_incidents_are_remediated_by_its_own_remediator(http, container):
    [incident_id] = post_pipeline(http, 43).json()["incident_ids"]
    with container.db.session() as session:
        session.get(Incident, incident_id).status = IncidentStatus.REMEDIATING
        AttemptRepository(session).add(
            incident_id=incident_id,
            action=ActionKind.RERUN_FAILED_JOBS,
            params={"repo": "acme/api", "run_id": 43},
            target="acme/api",
        )
    container.remediation(incident_id)
    assert container.clients.by_source[LABEL].retried == [("acme/api", 43)]
    with container.db.session() as session:
        attempt = session.query(RemediationAttempt).one()
        assert attempt.status == AttemptStatus.SUCCEEDED
