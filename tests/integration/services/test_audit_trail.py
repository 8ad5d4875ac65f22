"""Recording an event: its audit row and, as the notifications table says, its Slack posts."""

from sqlalchemy import select

from app.adapters.database.tables import AuditEntry, NotificationOutbox
from app.domain.audit import AuditEvent
from app.domain.notifications.handlers import SlackNotice
from app.services.audit_trail import record_event
from tests.support.incidents import analyzed_incident, insert


def rows(container, table) -> list:
    with container.db.session() as session:
        return list(session.execute(select(table).order_by(table.id)).scalars())


def test_an_event_with_a_reply_queues_the_card_and_the_reply_with_its_audit_row(container):
    [incident_id] = insert(container, analyzed_incident(repo="org/trail", run_id=9710))

    with container.db.session() as session:
        record_event(
            session,
            AuditEvent.REMEDIATION_FAILED,
            incident_id=incident_id,
            actor="auto",
            details={"detail": "403 from GitHub"},
        )

    [entry] = rows(container, AuditEntry)
    assert (entry.event, entry.actor, entry.incident_id) == (
        AuditEvent.REMEDIATION_FAILED,
        "auto",
        incident_id,
    )
    queued = [
        (r.incident_id, r.kind, r.text, r.status) for r in rows(container, NotificationOutbox)
    ]
    assert queued == [
        (incident_id, "message", "", "pending"),
        (incident_id, "reply", "Remediation failed: 403 from GitHub", "pending"),
    ]


def test_an_event_listed_as_not_notified_writes_only_its_audit_row(container):
    [incident_id] = insert(container, analyzed_incident(repo="org/trail", run_id=9711))

    with container.db.session() as session:
        record_event(session, AuditEvent.PROCESSING_RETRY, incident_id=incident_id)

    assert [e.event for e in rows(container, AuditEntry)] == [AuditEvent.PROCESSING_RETRY]
    assert rows(container, NotificationOutbox) == []


def test_an_event_without_an_incident_queues_nothing(container):
    with container.db.session() as session:
        record_event(session, AuditEvent.INCIDENT_ESCALATED, details={"reason": "no incident"})

    assert [e.incident_id for e in rows(container, AuditEntry)] == [None]
    assert rows(container, NotificationOutbox) == []


def test_the_table_given_by_the_caller_decides_what_is_queued(container):
    [incident_id] = insert(container, analyzed_incident(repo="org/trail", run_id=9712))
    table = {AuditEvent.PROCESSING_RETRY: SlackNotice(reply="Retrying: {reason}")}

    with container.db.session() as session:
        record_event(
            session,
            AuditEvent.PROCESSING_RETRY,
            incident_id=incident_id,
            details={"reason": "worker lost"},
            handlers=table,
        )

    assert [(r.kind, r.text) for r in rows(container, NotificationOutbox)] == [
        ("message", ""),
        ("reply", "Retrying: worker lost"),
    ]
