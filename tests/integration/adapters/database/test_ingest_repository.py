"""The ingest statement: one delivery row, one incident, one audit entry; a delivery seen
before changes nothing."""

import json

from sqlalchemy import func, select

from app.adapters.database.repositories.ingest import DeliveryRow, IngestRepository
from app.adapters.database.tables import AuditEntry, Incident, NotificationOutbox, WebhookDelivery
from app.core.events.github import parse_github_event
from app.domain.audit import AuditEvent
from app.domain.notifications.handlers import EVENT_HANDLERS, SlackNotice
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


def outbox(container) -> list[tuple[int, str, str, str]]:
    with container.db.session() as session:
        stmt = select(NotificationOutbox).order_by(NotificationOutbox.id)
        return [(r.incident_id, r.kind, r.text, r.status) for r in session.execute(stmt).scalars()]


# A table under which a new incident is announced, to see the statement follow the table.
ANNOUNCED = {AuditEvent.INCIDENT_CREATED: SlackNotice(reply="New from {actor}")}


def test_the_creation_entry_written_by_the_statement_needs_no_slack_message():
    assert AuditEvent.INCIDENT_CREATED not in EVENT_HANDLERS


def test_an_incident_created_by_the_statement_queues_nothing_under_the_default_table(container):
    delivery, draft = failure(81_003, "d-5")
    with container.db.autocommit() as connection:
        IngestRepository(connection).record_failure(delivery, draft)

    assert outbox(container) == []


def test_an_incident_created_by_the_statement_queues_its_notification_when_the_table_says_so(
    container,
):
    delivery, draft = failure(81_004, "d-6")
    with container.db.autocommit() as connection:
        recorded = IngestRepository(connection, handlers=ANNOUNCED).record_failure(delivery, draft)

    assert recorded.created
    assert outbox(container) == [
        (recorded.incident_id, "message", "", "pending"),
        (recorded.incident_id, "reply", "New from github", "pending"),
    ]


def test_a_delivery_joining_an_incident_queues_no_creation_notification(container):
    delivery, draft = failure(81_005, "d-7")
    other, _ = failure(81_005, "d-8")
    with container.db.autocommit() as connection:
        IngestRepository(connection, handlers=ANNOUNCED).record_failure(delivery, draft)
        IngestRepository(connection, handlers=ANNOUNCED).record_failure(delivery, draft)
        IngestRepository(connection, handlers=ANNOUNCED).record_failure(other, draft)

    assert [kind for _, kind, _, _ in outbox(container)] == ["message", "reply"]
