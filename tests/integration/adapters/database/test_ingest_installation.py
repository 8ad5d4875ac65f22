"""The ingest statement keeps the GitHub App installation that reported a failure."""

import json

from app.adapters.database.repositories.ingest import DeliveryRow, IngestRepository
from app.adapters.database.tables import Incident
from app.core.events.github import parse_github_event
from tests.conftest import fixture_bytes
from tests.support.github_api import run_webhook

FAILED_JOB = "github/octokit__workflow_job__completed.failure.with-organization.payload.json"
INSTALLATION = {"id": 1, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ=="}


def record(container, event: str, payload: dict, delivery_id: str) -> int:
    body = json.dumps(payload)
    draft = parse_github_event(event, payload).draft
    with container.db.autocommit() as connection:
        recorded = IngestRepository(connection).record_failure(
            DeliveryRow("github", delivery_id, event, body), draft
        )
    return recorded.incident_id


def stored_installation(container, incident_id: int) -> int | None:
    with container.db.session() as session:
        return session.get(Incident, incident_id).github_installation_id


def test_the_installation_of_an_app_delivery_is_stored_with_its_incident(container):
    payload = {**json.loads(run_webhook(run_id=82_000)), "installation": INSTALLATION}
    incident_id = record(container, "workflow_run", payload, "d-app-1")
    assert stored_installation(container, incident_id) == 1


def test_a_job_delivery_fills_in_the_installation_its_run_delivery_lacked(container):
    job = {**json.loads(fixture_bytes(FAILED_JOB)), "installation": INSTALLATION}
    run = json.loads(
        run_webhook(run_id=job["workflow_job"]["run_id"], repo=job["repository"]["full_name"])
    )
    first = record(container, "workflow_run", run, "d-app-2")
    assert stored_installation(container, first) is None

    second = record(container, "workflow_job", job, "d-app-3")

    assert second == first
    assert stored_installation(container, first) == 1
