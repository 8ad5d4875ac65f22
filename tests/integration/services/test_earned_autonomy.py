"""Earned autonomy on the real database: the evidence people and fixes leave, fed through the
verification recorder, judged per (signature, action), promoted and demoted with an audit event
and a Slack reply, and used by the next decision."""

import hashlib

import pytest
from sqlalchemy import select

from app.adapters.database.repositories.attempts import AttemptRepository
from app.adapters.database.repositories.autonomy import AutonomyRepository
from app.adapters.database.tables import (
    Approval,
    AuditEntry,
    AutonomyGrant,
    Feedback,
    Incident,
    NotificationOutbox,
    PersonRerun,
    utcnow,
)
from app.bootstrap import build_container
from app.core.enums import AttemptStatus, IncidentStatus
from app.core.events.models import RunCompleted
from app.domain.audit import AuditEvent
from app.domain.learning.autonomy import Record
from app.domain.verification import RunAttemptConcluded
from app.services.verification import VerificationRecorder
from tests.conftest import _truncate, make_settings
from tests.support.incidents import analyzed_incident, insert

REPO = "octo-org/octo-repo"
SIGNATURE = "npm err! code econnreset"
SIGNATURE_HASH = hashlib.sha256(SIGNATURE.encode()).hexdigest()
RERUN = "rerun_failed_jobs"


@pytest.fixture
def live(database_url):
    """Default settings with a token: not a dry run, the slack_first strategy of dev."""
    settings = make_settings(database_url, github_token="ghp_" + "e" * 36, dry_run=False)
    container = build_container(settings, database_url=database_url)
    yield container
    _truncate(container)
    container.close()


def failed_attempt(
    container,
    run_id: int,
    *,
    signature: str = SIGNATURE,
    category: str = "transient_network",
    status: IncidentStatus = IncidentStatus.AWAITING_APPROVAL,
    confidence: float = 0.4,
) -> int:
    """Attempt 1 of run ``run_id`` failed and was decided: by default a person was asked."""
    incident = analyzed_incident(
        repo=REPO, run_id=run_id, signature=signature, category=category, confidence=confidence
    )
    incident.status = status
    incident.evidence = ["npm ERR! code ECONNRESET"]
    [incident_id] = insert(container, incident)
    return incident_id


def later_attempt(container, run_id: int, conclusion: str, *, attempt: int = 2) -> int | None:
    event = RunCompleted(repo=REPO, run_id=run_id, run_attempt=attempt, conclusion=conclusion)
    with container.db.session() as session:
        return container.verifier.record(
            session, RunAttemptConcluded.completed(event, at=utcnow())
        )


def rerun_by_a_person(container, run_id: int, conclusion: str = "success", **failure) -> int:
    incident_id = failed_attempt(container, run_id, **failure)
    later_attempt(container, run_id, conclusion)
    return incident_id


def own_record(container, signature_hash: str = SIGNATURE_HASH) -> Record:
    with container.db.session() as session:
        return AutonomyRepository(session).own(signature_hash, RERUN, since=None)


def events(container, *names: AuditEvent) -> list[AuditEntry]:
    with container.db.session() as session:
        rows = session.execute(
            select(AuditEntry).where(AuditEntry.event.in_(names)).order_by(AuditEntry.id)
        )
        return list(rows.scalars())


def grant(container) -> AutonomyGrant | None:
    with container.db.session() as session:
        return session.get(AutonomyGrant, (SIGNATURE_HASH, RERUN))


def automatic_rerun_that_failed(container, run_id: int) -> int:
    """CodeHealer re-ran attempt 1 by itself, and attempt 2 failed again."""
    incident_id = failed_attempt(container, run_id, status=IncidentStatus.VERIFYING)
    with container.db.session() as session:
        AttemptRepository(session).add(
            incident_id=incident_id,
            action=RERUN,
            status=AttemptStatus.SUCCEEDED,
            actor="auto",
            finished_at=utcnow(),
        )
    later_attempt(container, run_id, "failure")
    return incident_id


# --- evidence --------------------------------------------------------------------------------
def test_a_persons_rerun_that_passed_is_a_success_of_rerun_failed_jobs_for_its_signature(live):
    incident_id = rerun_by_a_person(live, 9001)

    assert own_record(live) == Record(1, 0)
    with live.db.session() as session:
        [row] = session.execute(select(PersonRerun)).scalars()
        assert (row.incident_id, row.run_attempt, row.succeeded) == (incident_id, 2, True)
        # The incident itself is left as the person's question left it.
        assert session.get(Incident, incident_id).status == IncidentStatus.AWAITING_APPROVAL


def test_a_persons_rerun_that_failed_again_counts_against_it(live):
    rerun_by_a_person(live, 9002, "failure")

    assert own_record(live) == Record(0, 1)


def test_a_cancelled_later_attempt_is_no_evidence(live):
    rerun_by_a_person(live, 9003, "cancelled")

    assert own_record(live) == Record(0, 0)


def test_a_redelivered_later_attempt_counts_once(live):
    rerun_by_a_person(live, 9004)
    later_attempt(live, 9004, "success")

    assert own_record(live) == Record(1, 0)


def test_a_rerun_codehealer_made_is_its_fix_not_a_persons_rerun(live):
    incident_id = automatic_rerun_that_failed(live, 9005)

    assert own_record(live) == Record(0, 1)  # the automatic fix that failed verification
    with live.db.session() as session:
        assert session.execute(select(PersonRerun)).first() is None
        assert session.get(Incident, incident_id).status == IncidentStatus.FAILED


def test_rejections_and_thumbs_down_count_against_the_action(live):
    rejected = failed_attempt(live, 9006)
    disliked = failed_attempt(live, 9007, status=IncidentStatus.RESOLVED)
    with live.db.session() as session:
        session.add(Approval(incident_id=rejected, nonce="n-9006", status="rejected"))
        session.add(Feedback(incident_id=disliked, user_id="U1", value=-1))
        session.add(Feedback(incident_id=disliked, user_id="U2", value=-1))

    assert own_record(live) == Record(0, 2)  # one 👎 per incident


def test_the_category_record_leaves_out_the_signature_itself(live):
    rerun_by_a_person(live, 9008)
    rerun_by_a_person(live, 9009, signature="curl: (56) recv failure")
    rerun_by_a_person(live, 9010, "failure", signature="tls handshake timeout")
    rerun_by_a_person(live, 9011, signature="cannot find symbol", category="compile_error")

    with live.db.session() as session:
        around = AutonomyRepository(session).category(
            "transient_network", RERUN, other_than=SIGNATURE_HASH
        )
    assert around == Record(1, 1)


# --- promotion and demotion ------------------------------------------------------------------
def test_ten_passing_reruns_by_people_make_the_rerun_automatic_and_say_so(live):
    incidents = [rerun_by_a_person(live, 9100 + n) for n in range(10)]

    [promoted] = events(live, AuditEvent.AUTONOMY_PROMOTED)
    assert promoted.incident_id == incidents[-1]
    line = promoted.details["detail"]
    assert line.startswith(
        "rerun_failed_jobs for “npm ERR! code ECONNRESET” is now automatic: 10 of 10 re-runs passed"
    )
    assert (promoted.details["lower_bound"], promoted.details["required"]) == (0.7616, 0.75)
    assert grant(live).automatic
    with live.db.session() as session:
        replies = session.execute(
            select(NotificationOutbox.text).where(
                NotificationOutbox.incident_id == incidents[-1], NotificationOutbox.kind == "reply"
            )
        ).scalars()
        assert list(replies) == [line]


def test_nine_passing_reruns_are_not_enough(live):
    for n in range(9):
        rerun_by_a_person(live, 9200 + n)

    assert events(live, AuditEvent.AUTONOMY_PROMOTED) == []
    assert not grant(live).automatic


def test_a_promotion_is_announced_once(live):
    incidents = [rerun_by_a_person(live, 9300 + n) for n in range(11)]
    with live.db.session() as session:
        live.decider.autonomy.review(session, session.get(Incident, incidents[0]))

    assert len(events(live, AuditEvent.AUTONOMY_PROMOTED)) == 1


def test_a_failed_automatic_rerun_takes_the_autonomy_back(live):
    for n in range(10):
        rerun_by_a_person(live, 9400 + n)

    failed = automatic_rerun_that_failed(live, 9410)

    [demoted] = events(live, AuditEvent.AUTONOMY_DEMOTED)
    assert demoted.incident_id == failed
    assert "is no longer automatic: 10 of 11 re-runs passed" in demoted.details["detail"]
    taken_back = grant(live)
    assert not taken_back.automatic and taken_back.demoted_at is not None


# --- decisions -------------------------------------------------------------------------------
def test_the_next_failure_of_an_earned_signature_is_rerun_without_asking(live):
    for n in range(10):
        rerun_by_a_person(live, 9500 + n)
    incident = analyzed_incident(repo=REPO, run_id=9510, signature=SIGNATURE, confidence=0.4)
    [incident_id] = insert(live, incident)

    live.decider(incident_id)

    with live.db.session() as session:
        decided = session.get(Incident, incident_id)
        assert (decided.decision, decided.status) == ("auto_fix", IncidentStatus.REMEDIATING)
        assert decided.decision_reason.startswith(
            "earned autonomy: 10 of 10 re-runs passed (lower bound 0.76 ≥ 0.75, low risk)"
        )


def test_without_evidence_the_same_failure_asks_a_person(live):
    incident = analyzed_incident(repo=REPO, run_id=9600, signature=SIGNATURE, confidence=0.4)
    [incident_id] = insert(live, incident)

    live.decider(incident_id)

    with live.db.session() as session:
        assert session.get(Incident, incident_id).decision == "needs_approval"


def test_evidence_recorded_elsewhere_is_judged_before_the_next_decision(live):
    # The rerun's evidence arrives through a recorder that judges nothing (no autonomy service).
    for n in range(10):
        failed_attempt(live, 9700 + n)
    with live.db.session() as session:
        for n in range(10):
            event = RunCompleted(repo=REPO, run_id=9700 + n, run_attempt=2, conclusion="success")
            VerificationRecorder().record(
                session, RunAttemptConcluded.completed(event, at=utcnow())
            )
    incident = analyzed_incident(repo=REPO, run_id=9710, signature=SIGNATURE, confidence=0.4)
    [incident_id] = insert(live, incident)

    live.decider(incident_id)

    [promoted] = events(live, AuditEvent.AUTONOMY_PROMOTED)
    assert promoted.incident_id == incident_id
