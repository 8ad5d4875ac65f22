"""How the processor ends an incident a step gives up on: escalated, with the runbook's key."""

import pytest
from sqlalchemy import select, text

from app.adapters.database.tables import AuditEntry, Incident
from app.core.enums import IncidentStatus
from app.core.errors import EscalateIncident
from app.domain.audit import AuditEvent
from app.domain.escalation import EscalationReason
from app.services.pipeline import EventProcessor
from tests.support.incidents import analyzed_incident, insert


@pytest.fixture
def claimed(container):
    """An incident a worker holds in ``analyzing`` after five tries."""
    incident = analyzed_incident(repo="org/pipeline", run_id=9900)
    incident.status = IncidentStatus.ANALYZING
    incident.processing_attempts = 5
    [incident_id] = insert(container, incident)
    return incident_id


def test_a_step_that_escalates_records_its_key(container, claimed):
    def refuse(incident_id: int) -> None:
        raise EscalateIncident("cannot read logs: nowhere", key=EscalationReason.NO_LOG_SOURCE)

    EventProcessor(container.db, [refuse]).process(claimed)

    with container.db.session() as session:
        incident = session.get(Incident, claimed)
        audit = session.execute(
            select(AuditEntry).where(AuditEntry.event == AuditEvent.INCIDENT_ESCALATED)
        ).scalar_one()
    assert incident.status == "escalated"
    assert incident.escalation_reason == "no_log_source"
    assert audit.details["key"] == "no_log_source"


def test_a_step_that_keeps_crashing_escalates_as_processing_gave_up(container, claimed):
    def crash(incident_id: int) -> None:
        raise RuntimeError("embedding service answered nonsense")

    EventProcessor(container.db, [crash], max_attempts=5).process(claimed)

    with container.db.session() as session:
        incident = session.get(Incident, claimed)
    assert incident.status == "escalated"
    assert incident.decision_reason.startswith("gave up after 5 tries")
    assert incident.escalation_reason == "processing_gave_up"


def test_an_incident_whose_row_holds_a_date_python_cannot_hold_still_escalates(container, claimed):
    # What a delivery with run_started_at 0001-01-01T00:00:00+14:00 stored before dates were
    # checked: every read of the row failed, so the worker re-claimed it forever.
    with container.db.engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE incidents SET run_started_at = '0001-12-31 10:00:00+00 BC' WHERE id = :id"
            ),
            {"id": claimed},
        )

    def crash(incident_id: int) -> None:
        raise RuntimeError("the same failure every time")

    EventProcessor(container.db, [crash], max_attempts=5).process(claimed)

    with container.db.session() as session:
        incident = session.get(Incident, claimed)
    assert incident.status == "escalated"
    assert incident.escalation_reason == "processing_gave_up"
    assert incident.run_started_at is None
