"""The scheduled sweep and the deploy-time migration through their Lambda handlers."""

import json
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from app import lambda_handler
from app.adapters.database.migrate import head_revision
from app.adapters.database.tables import Incident, ReferenceIncident
from app.core.enums import IncidentStatus
from app.services.reference_memory import load_shipped
from tests.conftest import fixture_bytes
from tests.support.ingest import github_delivery

FAILED_RUN = "github/derived__workflow_run__completed.failure.payload.json"

# The shape AWS documents for an EventBridge (CloudWatch Events) scheduled rule's event.
SCHEDULED_EVENT = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2015-10-08T16:53:06Z",
    "region": "us-east-1",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule"],
    "detail": {},
}


def lambda_context() -> SimpleNamespace:
    return SimpleNamespace(aws_request_id="3f1c0c1e-sweep", function_name="codehealer-sweep")


@pytest.fixture
def served(container):
    lambda_handler.use_container(container)
    yield container
    lambda_handler.reset_container_for_tests()


def ingest_failed_run(container) -> int:
    payload = json.loads(fixture_bytes(FAILED_RUN))
    [outcome] = container.ingest.receive(github_delivery(payload, delivery_id="delivery-sweep"))
    return outcome.incident_id


def test_scheduled_event_runs_the_sweep_and_returns_its_report(served):
    # A received incident whose queue message never arrived: the sweep picks it up.
    incident_id = ingest_failed_run(served)

    report = lambda_handler.handler(dict(SCHEDULED_EVENT), lambda_context())

    assert report["reclaimed"] == 1
    json.dumps(report)  # Lambda returns it as JSON
    with served.db.session() as session:
        incident = session.get(Incident, incident_id)
    assert incident.status != IncidentStatus.RECEIVED
    assert incident.processing_attempts == 1


def test_migrate_handler_reports_the_head_revision(served):
    result = lambda_handler.migrate_handler({}, lambda_context())
    assert result["migrated_to"] == head_revision()


def test_migrate_handler_seeds_the_reference_memory_once(served):
    first = lambda_handler.migrate_handler({}, lambda_context())
    again = lambda_handler.migrate_handler({}, lambda_context())

    assert first["reference_memory"][1:] == ["  seeded for local · local-hash"]
    assert again["reference_memory"][1:] == ["  already seeded for local · local-hash"]
    with served.db.session() as session:
        stored = session.execute(select(func.count()).select_from(ReferenceIncident)).scalar_one()
    assert stored == len(load_shipped().entries)


def test_migrate_handler_leaves_the_reference_memory_out_when_told_to(served):
    served.settings.analysis.seed_reference = False

    result = lambda_handler.migrate_handler({}, lambda_context())

    assert "reference_memory" not in result
    with served.db.session() as session:
        assert (
            session.execute(select(func.count()).select_from(ReferenceIncident)).scalar_one() == 0
        )
