"""audit_log: the repository writes audit rows and nothing else."""

from sqlalchemy import func, select

from app.adapters.database.repositories.audit import AuditRepository
from app.adapters.database.tables import AuditEntry, NotificationOutbox
from app.domain.audit import AuditEvent
from app.domain.notifications.handlers import EVENT_HANDLERS
from tests.support.incidents import analyzed_incident, insert


def test_appending_an_event_that_posts_to_slack_writes_the_audit_row_and_queues_nothing(
    container,
):
    assert AuditEvent.INCIDENT_ESCALATED in EVENT_HANDLERS
    [incident_id] = insert(container, analyzed_incident(repo="org/audit", run_id=9700))

    with container.db.session() as session:
        AuditRepository(session).append(
            AuditEvent.INCIDENT_ESCALATED, incident_id=incident_id, details={"reason": "gone"}
        )

    with container.db.session() as session:
        [entry] = session.execute(select(AuditEntry)).scalars()
        queued = session.execute(select(func.count()).select_from(NotificationOutbox))
        assert (entry.event, entry.details) == (AuditEvent.INCIDENT_ESCALATED, {"reason": "gone"})
        assert queued.scalar_one() == 0
