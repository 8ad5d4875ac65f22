"""SQS batches through the worker Lambda against the real database.

The batch is AWS's published two-record sample (tests/fixtures/aws_lambda), with bodies
replaced in memory; incidents are created through the ingest path.
"""

import copy
import json
import logging
from types import SimpleNamespace

import pytest

from app import lambda_handler
from app.adapters.database.tables import Incident
from app.adapters.queue.sqs import incident_message
from app.core.enums import IncidentStatus
from app.core.logs import RedactingFilter, request_id_var
from tests.conftest import fixture_bytes
from tests.support.ingest import github_delivery

SQS_BATCH = "aws_lambda/powertools__sqsEvent.json"
FAILED_RUN = "github/derived__workflow_run__completed.failure.payload.json"
REQUEST_ID = "19dd0b57-b21e-4ac1-bd88-01bbb068cb78"


def lambda_context() -> SimpleNamespace:
    return SimpleNamespace(aws_request_id=REQUEST_ID, function_name="codehealer-worker")


def sqs_batch(*bodies: str) -> dict:
    """The published batch with its record bodies replaced (one record per body)."""
    event = json.loads(fixture_bytes(SQS_BATCH))
    records = event["Records"]
    assert len(bodies) <= len(records)
    event["Records"] = [
        dict(copy.deepcopy(r), body=b) for r, b in zip(records, bodies, strict=False)
    ]
    return event


def ingest_failed_run(container, *, run_id_offset: int = 0) -> int:
    payload = json.loads(fixture_bytes(FAILED_RUN))
    payload["workflow_run"]["id"] += run_id_offset
    [outcome] = container.ingest.receive(github_delivery(payload, delivery_id=f"delivery-{run_id_offset}"))
    assert outcome.status == "received"
    return outcome.incident_id


def load_incident(container, incident_id: int) -> Incident:
    with container.db.session() as session:
        return session.get(Incident, incident_id)


def message_ids(event: dict) -> list[str]:
    return [record["messageId"] for record in event["Records"]]


@pytest.fixture
def served(container):
    lambda_handler.use_container(container)
    yield container
    lambda_handler.reset_container_for_tests()


def test_only_the_poison_message_is_reported_as_failed(served):
    incident_id = ingest_failed_run(served)
    published_poison = json.loads(fixture_bytes(SQS_BATCH))["Records"][1]["body"]
    event = sqs_batch(incident_message(incident_id), published_poison)
    _, poison_id = message_ids(event)

    result = lambda_handler.worker_handler(event, lambda_context())

    assert result == {"batchItemFailures": [{"itemIdentifier": poison_id}]}
    incident = load_incident(served, incident_id)
    assert incident.status != IncidentStatus.RECEIVED
    assert incident.processing_attempts == 1


def test_sqs_batch_sent_to_the_api_handler_is_routed_to_the_worker(served):
    incident_id = ingest_failed_run(served)
    event = sqs_batch(incident_message(incident_id))

    assert lambda_handler.handler(event, lambda_context()) == {"batchItemFailures": []}
    assert load_incident(served, incident_id).processing_attempts == 1


def test_redelivered_message_is_acknowledged_and_not_processed_twice(served):
    incident_id = ingest_failed_run(served)
    event = sqs_batch(incident_message(incident_id))
    assert lambda_handler.worker_handler(event, lambda_context()) == {"batchItemFailures": []}
    before = load_incident(served, incident_id)

    redelivered = copy.deepcopy(event)
    redelivered["Records"][0]["attributes"]["ApproximateReceiveCount"] = "2"
    result = lambda_handler.worker_handler(redelivered, lambda_context())

    assert result == {"batchItemFailures": []}
    after = load_incident(served, incident_id)
    assert after.processing_attempts == before.processing_attempts == 1
    assert after.claimed_at == before.claimed_at


def test_an_exception_fails_only_its_own_record(served, monkeypatch):
    healthy_id = ingest_failed_run(served)
    broken_id = ingest_failed_run(served, run_id_offset=1)
    build_worker = served.new_worker

    def new_worker(worker_id=None):
        worker = build_worker(worker_id)
        process = worker.process_incident

        def process_or_fail(incident_id: int) -> bool:
            if incident_id == broken_id:
                raise ConnectionError("database connection lost")
            return process(incident_id)

        worker.process_incident = process_or_fail
        return worker

    monkeypatch.setattr(served, "new_worker", new_worker)
    event = sqs_batch(incident_message(healthy_id), incident_message(broken_id))
    _, broken_message = message_ids(event)

    result = lambda_handler.worker_handler(event, lambda_context())

    assert result == {"batchItemFailures": [{"itemIdentifier": broken_message}]}
    assert load_incident(served, healthy_id).processing_attempts == 1
    assert load_incident(served, broken_id).status == IncidentStatus.RECEIVED


def test_log_lines_carry_the_lambda_request_id(served, caplog):
    caplog.handler.addFilter(RedactingFilter())
    event = sqs_batch("not json")

    with caplog.at_level(logging.INFO, logger="app.lambda_handler"):
        lambda_handler.worker_handler(event, lambda_context())

    poison_lines = [r for r in caplog.records if "poison message" in r.getMessage()]
    assert poison_lines
    assert {r.request_id for r in poison_lines} == {REQUEST_ID}
    assert request_id_var.get() is None
