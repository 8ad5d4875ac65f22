"""The ingest statement: one delivery row, one incident, one audit entry; a delivery seen
before changes nothing."""

import json

from sqlalchemy import func, select

from app.adapters.database.repositories.ingest import DeliveryRow, IngestRepository
from app.adapters.database.tables import AuditEntry, Incident, WebhookDelivery
from app.core.events.github import parse_github_event
from tests.support.github_api import run_webhook


def failure(run_id: int, delivery_id: str):
    body = run_webhook(run_id=run_id)
    draft = parse_github_event("workflow_run", json.loads(body)).draft
    return DeliveryRow("github", delivery_id, "workflow_run", body.decode()), draft


def counts(container) -> tuple[int, int, int]:
    with container.db.session() as session:
        return tuple(
            session.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (WebhookDelivery, Incident, AuditEntry)
        )


def test_a_failure_is_one_delivery_one_incident_and_one_audit_entry(container):
    delivery, draft = failure(81_000, "d-1")
    with container.db.autocommit() as connection:
        recorded = IngestRepository(connection).record_failure(delivery, draft)
    assert recorded.created and recorded.status == "received"
    assert counts(container) == (1, 1, 1)
    with container.db.session() as session:
        stored = session.execute(select(WebhookDelivery)).scalar_one()
        incident = session.get(Incident, recorded.incident_id)
    assert (stored.incident_id, stored.outcome) == (recorded.incident_id, "incident")
    assert stored.payload == json.loads(delivery.payload_json)
    assert (incident.run_id, incident.workflow_id, incident.failed_jobs) == (81_000, 2823525, [])


def test_a_delivery_seen_before_leaves_the_incident_untouched(container):
    delivery, draft = failure(81_001, "d-2")
    with container.db.autocommit() as connection:
        first = IngestRepository(connection).record_failure(delivery, draft)
    with container.db.session() as session:
        before = session.get(Incident, first.incident_id).updated_at

    with container.db.autocommit() as connection:
        again = IngestRepository(connection).record_failure(delivery, draft)

    assert again is None
    assert counts(container) == (1, 1, 1)
    with container.db.session() as session:
        assert session.get(Incident, first.incident_id).updated_at == before


def test_a_second_delivery_of_the_same_run_joins_its_incident_without_a_new_audit_entry(container):
    delivery, draft = failure(81_002, "d-3")
    other, _ = failure(81_002, "d-4")
    with container.db.autocommit() as connection:
        first = IngestRepository(connection).record_failure(delivery, draft)
        second = IngestRepository(connection).record_failure(other, draft)
    assert (second.incident_id, second.created) == (first.incident_id, False)
    assert counts(container) == (2, 1, 1)


def test_the_creation_entry_written_by_the_statement_needs_no_slack_message():
    # The statement writes its audit entry itself, not through AuditRepository.append, which
    # also queues the Slack work an audit event calls for: there must be none for this event.
    from app.adapters.database.repositories.ingest import AUDIT_EVENT_CREATED
    from app.adapters.database.repositories.outbox import REPLIES

    assert AUDIT_EVENT_CREATED not in REPLIES
