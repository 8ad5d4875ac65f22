"""The verification recorder on the real database: every kind of evidence, one way of recording
the outcome (incident status, the attempt's verdict, the audit trail)."""

from datetime import timedelta

from sqlalchemy import select

from app.adapters.database.repositories.attempts import AttemptRepository
from app.adapters.database.tables import AuditEntry, Incident, RemediationAttempt, utcnow
from app.core.enums import AttemptStatus, IncidentStatus
from app.core.events.models import RunCompleted
from app.domain.audit import AuditEvent
from app.domain.verification import FailureCleared, FixChecked, RunAttemptConcluded
from app.services.verification import VerificationRecorder
from tests.support.github_api import REPO, RUN_ID, run_webhook
from tests.support.github_deliveries import post_github
from tests.support.incidents import analyzed_incident, insert


def fixed(container, status: IncidentStatus = IncidentStatus.VERIFYING) -> int:
    """An incident of attempt 1 of the run whose re-run succeeded and now waits for its verdict."""
    incident = analyzed_incident(repo=REPO, run_id=RUN_ID)
    incident.status = status
    [incident_id] = insert(container, incident)
    with container.db.session() as session:
        AttemptRepository(session).add(
            incident_id=incident_id,
            action="rerun_failed_jobs",
            status=AttemptStatus.SUCCEEDED,
            finished_at=utcnow(),
            result={"detail": "re-run requested"},
        )
    return incident_id


def record(container, observation) -> int | None:
    with container.db.session() as session:
        return VerificationRecorder().record(session, observation)


def attempt_two(conclusion: str) -> RunAttemptConcluded:
    event = RunCompleted(repo=REPO, run_id=RUN_ID, run_attempt=2, conclusion=conclusion)
    return RunAttemptConcluded.completed(event, at=utcnow())


def state(container, incident_id: int) -> tuple[Incident, RemediationAttempt]:
    with container.db.session() as session:
        incident = session.get(Incident, incident_id)
        attempt = AttemptRepository(session).latest(incident_id)
        return incident, attempt


def audit(container, incident_id: int) -> list[tuple[str, dict]]:
    with container.db.session() as session:
        rows = session.execute(
            select(AuditEntry.event, AuditEntry.details)
            .where(AuditEntry.incident_id == incident_id)
            .order_by(AuditEntry.id)
        )
        return [(event, details) for event, details in rows]


def test_a_later_attempt_that_succeeded_resolves_the_incident_and_verifies_the_fix(container):
    incident_id = fixed(container)

    assert record(container, attempt_two("success")) == incident_id

    incident, attempt = state(container, incident_id)
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.resolved_at is not None and incident.mttr_seconds >= 0
    assert attempt.status == AttemptStatus.VERIFIED
    assert attempt.result == {"detail": "re-run requested", "verification": "attempt 2 succeeded"}
    [(event, details)] = audit(container, incident_id)
    assert event == AuditEvent.INCIDENT_RESOLVED
    assert details["run_attempt"] == 2 and details["was"] == "verifying"


def test_a_later_attempt_that_failed_fails_the_fix(container):
    incident_id = fixed(container)

    assert record(container, attempt_two("failure")) == incident_id

    incident, attempt = state(container, incident_id)
    assert incident.status == IncidentStatus.FAILED
    assert incident.escalation_reason == "fix_did_not_work"
    assert incident.decision_reason == "fix did not work: attempt 2 concluded 'failure'"
    assert attempt.status == AttemptStatus.VERIFICATION_FAILED
    assert [event for event, _ in audit(container, incident_id)] == [AuditEvent.INCIDENT_FIX_FAILED]


def test_a_later_attempt_of_a_run_with_no_fix_waiting_records_nothing(container):
    incident_id = fixed(container, status=IncidentStatus.ESCALATED)

    assert record(container, attempt_two("success")) is None

    incident, attempt = state(container, incident_id)
    assert incident.status == IncidentStatus.ESCALATED
    assert attempt.status == AttemptStatus.SUCCEEDED
    assert audit(container, incident_id) == []


def test_a_failing_retry_delivered_by_webhook_fails_the_fix_and_links_the_new_incident(
    container, client
):
    incident_id = fixed(container)
    body = run_webhook(attempt=2, conclusion="failure")

    answer = post_github(client, body)

    new_id = answer.json()["incident_id"]
    assert new_id != incident_id
    incident, attempt = state(container, incident_id)
    assert incident.status == IncidentStatus.FAILED
    assert f"failed again — see incident #{new_id}" in incident.decision_reason
    assert attempt.status == AttemptStatus.VERIFICATION_FAILED
    [(_, failed)] = audit(container, incident_id)
    assert failed["follow_up_incident"] == new_id
    linked = [details for event, details in audit(container, new_id) if "previous" in event]
    assert linked == [{"previous_incident": incident_id, "previous_excerpt": incident.excerpt}]


def test_a_cleared_failure_resolves_an_incident_still_waiting_for_a_person(container):
    incident_id = fixed(container, status=IncidentStatus.AWAITING_APPROVAL)

    cleared = FailureCleared(incident_id, "alert resolved", utcnow())
    assert record(container, cleared) == incident_id

    incident, attempt = state(container, incident_id)
    assert incident.status == IncidentStatus.RESOLVED
    assert attempt.status == AttemptStatus.SUCCEEDED  # only a fix being verified gets a verdict
    [(event, details)] = audit(container, incident_id)
    assert (event, details["was"], details["reason"]) == (
        AuditEvent.INCIDENT_RESOLVED,
        "awaiting_approval",
        "alert resolved",
    )


def test_a_cleared_failure_leaves_an_incident_whose_fix_is_running_alone(container):
    incident_id = fixed(container, status=IncidentStatus.REMEDIATING)

    assert record(container, FailureCleared(incident_id, "alert resolved", utcnow())) is None

    assert state(container, incident_id)[0].status == IncidentStatus.REMEDIATING
    assert audit(container, incident_id) == []


def test_a_check_after_another_source_closed_the_incident_records_nothing_more(container):
    incident_id = fixed(container)
    record(container, FailureCleared(incident_id, "app Healthy", utcnow()))

    late = FixChecked(incident_id, False, "Degraded", utcnow() + timedelta(minutes=10))
    assert record(container, late) is None

    incident, attempt = state(container, incident_id)
    assert incident.status == IncidentStatus.RESOLVED
    assert attempt.status == AttemptStatus.VERIFIED
    assert [event for event, _ in audit(container, incident_id)] == [AuditEvent.INCIDENT_RESOLVED]
