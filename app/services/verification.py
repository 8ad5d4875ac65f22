"""The verification recorder: the one place the outcome of a fix is recorded.

Every source feeds it a typed observation (``app.domain.verification``): the GitHub webhook and
the sweep a later attempt of a run, the Kubernetes and Argo CD webhooks a failure cleared, the
cluster sweep a check of the target. It records what follows, in the caller's transaction: the
incident's conditional status change (with MTTR on success), the attempt's verdict (``verified``
or ``verification_failed``, which is what learning counts) and the audit event that tells Slack.
A later attempt of a run that passed, whoever re-ran it, also tells the flaky-test history that
the tests its earlier attempts failed were flaky (app/services/flaky_tests.py).

A later attempt of a run CodeHealer did not act on was a person's re-run: passed or failed
again, it is evidence for ``rerun_failed_jobs`` on that failure (``person_reruns``). After any
evidence it records, the recorder has the autonomy of that failure and action judged again
(app/services/autonomy.py), so a promotion or demotion is recorded with it.
"""

import logging
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from app.adapters.database.repositories.attempts import AttemptRepository
from app.adapters.database.repositories.autonomy import PERSON_RERUN_ACTION, AutonomyRepository
from app.adapters.database.repositories.incidents import IncidentRepository
from app.adapters.database.tables import Incident
from app.core.enums import ActionKind, AttemptStatus, IncidentStatus
from app.domain.audit import AuditEvent
from app.domain.escalation import EscalationReason
from app.domain.verification import (
    CLEARABLE_STATUSES,
    FailureCleared,
    FixChecked,
    FixPullRequestClosed,
    Observation,
    RunAttemptConcluded,
)
from app.services.audit_trail import record_event
from app.services.autonomy import AutonomyService
from app.services.flaky_tests import rerun_passed

log = logging.getLogger(__name__)


class VerificationRecorder:
    def __init__(self, autonomy: AutonomyService | None = None):
        # Judges earned autonomy again after each piece of evidence; without it the evidence is
        # recorded and judged at the next decision.
        self.autonomy = autonomy

    def record(self, session: Session, observation: Observation) -> int | None:
        """Record what ``observation`` says; the incident whose outcome it recorded, or None
        when it concerns no incident in a state to judge (or another writer moved it first)."""
        if isinstance(observation, RunAttemptConcluded):
            return self._run_attempt(session, observation)
        if isinstance(observation, FixPullRequestClosed):
            return self._pull_request_closed(session, observation)
        incident = IncidentRepository(session).get(observation.incident_id)
        if incident is None:
            return None
        if isinstance(observation, FailureCleared):
            moved = self._cleared(session, incident, observation)
        else:
            moved = self._checked(session, incident, observation)
        return incident.id if moved else None

    def _run_attempt(self, session: Session, seen: RunAttemptConcluded) -> int | None:
        if seen.succeeded:  # whoever re-ran it: the tests that failed before were flaky
            rerun_passed(
                session,
                repo=seen.repo,
                run_id=seen.run_id,
                attempt=seen.run_attempt,
                at=seen.observed_at,
            )
        incident = _verifying_earlier_attempt(session, seen.repo, seen.run_id, seen.run_attempt)
        if incident is None:
            self._person_rerun(session, seen)
            return None
        if seen.succeeded:
            self._resolve(
                session,
                incident,
                was=IncidentStatus.VERIFYING,
                reason=seen.detail,
                at=seen.observed_at,
                details={"run_attempt": seen.run_attempt},
            )
        else:
            self._fail(session, incident, seen.detail, follow_up=seen.follow_up_incident)
        return incident.id

    def _pull_request_closed(self, session: Session, seen: FixPullRequestClosed) -> int | None:
        """The verdict on a fix proposed as a pull request: merged, it worked; closed without
        merging, a person judged it wrong. Any other pull request is not ours to judge."""
        attempt = AttemptRepository(session).proposed_as_pull_request(seen.repo, seen.number)
        if attempt is None:
            return None
        incident = IncidentRepository(session).get(attempt.incident_id)
        if incident is None:
            return None
        if seen.merged:
            moved = self._resolve(
                session,
                incident,
                was=IncidentStatus.VERIFYING,
                reason=seen.reason,
                at=seen.observed_at,
                details={"pull_request": seen.number},
            )
        else:
            moved = self._fail(session, incident, seen.reason)
        return incident.id if moved else None

    def _cleared(self, session: Session, incident: Incident, seen: FailureCleared) -> bool:
        was = IncidentStatus(incident.status)
        if was not in CLEARABLE_STATUSES:
            return False
        return self._resolve(session, incident, was=was, reason=seen.reason, at=seen.observed_at)

    def _checked(self, session: Session, incident: Incident, seen: FixChecked) -> bool:
        if seen.worked:
            return self._resolve(
                session,
                incident,
                was=IncidentStatus.VERIFYING,
                reason=seen.reason,
                at=seen.observed_at,
            )
        return self._fail(session, incident, seen.reason)

    def _person_rerun(self, session: Session, seen: RunAttemptConcluded) -> None:
        """A later attempt of a failed attempt CodeHealer did not act on: a person re-ran it."""
        if not (seen.succeeded or seen.failed):
            return  # cancelled, skipped: it says nothing about re-running
        earlier = _earlier_attempt(session, seen.repo, seen.run_id, seen.run_attempt)
        if earlier is None:
            return
        evidence = AutonomyRepository(session)
        if evidence.codehealer_acted_on(earlier.id):
            return
        if not evidence.record_person_rerun(
            earlier.id, run_attempt=seen.run_attempt, succeeded=seen.succeeded, at=seen.observed_at
        ):
            return  # already counted (a redelivery)
        log.info(
            "incident %s: a person's re-run %s (attempt %s)",
            earlier.id,
            "passed" if seen.succeeded else "failed again",
            seen.run_attempt,
        )
        self._judge_again(session, earlier, ActionKind(PERSON_RERUN_ACTION))

    def _judge_again(self, session: Session, incident: Incident, action: ActionKind) -> None:
        if self.autonomy is not None:
            self.autonomy.review(session, incident, action=action)

    # --- the two outcomes --------------------------------------------------------------------
    def _resolve(
        self,
        session: Session,
        incident: Incident,
        *,
        was: IncidentStatus,
        reason: str,
        at: datetime,
        details: dict | None = None,
    ) -> bool:
        mttr = (at - incident.created_at).total_seconds() if incident.created_at else None
        moved = IncidentRepository(session).transition(
            incident.id, expected=was, to=IncidentStatus.RESOLVED, resolved_at=at, mttr_seconds=mttr
        )
        if not moved:
            return False
        if was is IncidentStatus.VERIFYING:
            closed = _close_attempt(session, incident.id, AttemptStatus.VERIFIED, reason)
            if closed is not None:
                self._judge_again(session, incident, closed)
        record_event(
            session,
            AuditEvent.INCIDENT_RESOLVED,
            incident_id=incident.id,
            details={
                "reason": reason,
                "was": was.value,
                "mttr_seconds": round(mttr or 0.0, 1),
                **(details or {}),
            },
        )
        log.info("incident %s resolved (%s), MTTR %.0fs", incident.id, reason, mttr or 0.0)
        return True

    def _fail(
        self, session: Session, incident: Incident, reason: str, *, follow_up: int | None = None
    ) -> bool:
        moved = IncidentRepository(session).transition(
            incident.id,
            expected=IncidentStatus.VERIFYING,
            to=IncidentStatus.FAILED,
            decision_reason=f"fix did not work: {reason}",
            escalation_reason=EscalationReason.FIX_DID_NOT_WORK.value,
        )
        if not moved:
            return False
        closed = _close_attempt(session, incident.id, AttemptStatus.VERIFICATION_FAILED, reason)
        if closed is not None:
            self._judge_again(session, incident, closed)
        record_event(
            session,
            AuditEvent.INCIDENT_FIX_FAILED,
            incident_id=incident.id,
            details={"reason": reason, "follow_up_incident": follow_up},
        )
        if follow_up is not None:
            record_event(
                session,
                AuditEvent.INCIDENT_PREVIOUS_FIX_FAILED,
                incident_id=follow_up,
                details={"previous_incident": incident.id, "previous_excerpt": incident.excerpt},
            )
        log.info("incident %s: the fix did not work (%s)", incident.id, reason)
        return True


def _verifying_earlier_attempt(
    session: Session, repo: str, run_id: int, attempt: int
) -> Incident | None:
    """The latest verifying incident of an earlier attempt of the run, locked for the update."""
    stmt = (
        select(Incident)
        .where(
            col(Incident.repo) == repo,
            col(Incident.run_id) == run_id,
            col(Incident.status) == IncidentStatus.VERIFYING,
            col(Incident.run_attempt) < attempt,
        )
        .order_by(col(Incident.run_attempt).desc())
        .limit(1)
        .with_for_update()
    )
    return session.execute(stmt).scalar_one_or_none()


def _earlier_attempt(session: Session, repo: str, run_id: int, attempt: int) -> Incident | None:
    """The incident of the latest earlier attempt of the run, whatever its state."""
    stmt = (
        select(Incident)
        .where(
            col(Incident.repo) == repo,
            col(Incident.run_id) == run_id,
            col(Incident.run_attempt) < attempt,
        )
        .order_by(col(Incident.run_attempt).desc())
        .limit(1)
    )
    return session.execute(stmt).scalar_one_or_none()


def _close_attempt(
    session: Session, incident_id: int, status: AttemptStatus, detail: str
) -> ActionKind | None:
    """The verdict on the fix that ran: only an attempt that succeeded can be verified.
    Returns the action judged (None when no fix ran)."""
    attempts = AttemptRepository(session)
    attempt = attempts.latest(incident_id)
    if attempt is None or attempt.status != AttemptStatus.SUCCEEDED:
        return None
    attempts.finish(attempt.id, status=status, result={**attempt.result, "verification": detail})
    return ActionKind(attempt.action)
