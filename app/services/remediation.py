"""Remediation step: execute the planned attempt of a ``remediating`` incident exactly once.

The attempt row exists before any call (written with the decision). Before calling, it is
marked ``running`` and committed; a worker that dies after the call, or a call that times
out, leaves it ``running``, and the retry's pre-validation sees the run already advanced and
records success instead of calling again.
"""

import logging
from collections.abc import Mapping
from datetime import timedelta

from pydantic import ValidationError
from sqlmodel import Session

from app.adapters.database.engine import Database
from app.adapters.database.repositories.attempts import AttemptRepository
from app.adapters.database.repositories.incidents import IncidentRepository
from app.adapters.database.tables import RemediationAttempt
from app.core.enums import ActionKind, AttemptStatus, IncidentStatus
from app.core.errors import IntegrationError, RetryLater
from app.core.metrics import Metrics, NullMetrics
from app.core.redaction import mask_secrets
from app.domain.audit import REMEDIATION_EVENTS, AuditEvent
from app.domain.escalation import EscalationReason
from app.domain.remediators.base import RemediationResult, RemediationStatus, Remediator
from app.services.audit_trail import record_event
from app.services.storm_approvals import report_skipped

log = logging.getLogger(__name__)

ATTEMPT_STATUS = {
    RemediationStatus.SUCCEEDED: AttemptStatus.SUCCEEDED,
    RemediationStatus.ALREADY_DONE: AttemptStatus.SUCCEEDED,
    RemediationStatus.FAILED: AttemptStatus.FAILED,
    RemediationStatus.ABORTED: AttemptStatus.SKIPPED,
    RemediationStatus.DEFERRED: AttemptStatus.DEFERRED,
}
INCIDENT_STATUS = {
    RemediationStatus.SUCCEEDED: IncidentStatus.VERIFYING,
    RemediationStatus.ALREADY_DONE: IncidentStatus.VERIFYING,
    RemediationStatus.FAILED: IncidentStatus.ESCALATED,
    RemediationStatus.ABORTED: IncidentStatus.ESCALATED,
}
ESCALATION_KEY = {
    RemediationStatus.FAILED: EscalationReason.REMEDIATION_FAILED,
    RemediationStatus.ABORTED: EscalationReason.REMEDIATION_ABORTED,
}
MAX_DEFERRALS = 5


class RemediationService:
    def __init__(
        self,
        db: Database,
        registry: Mapping[ActionKind, Remediator],
        *,
        by_source: Mapping[tuple[str, ActionKind], Remediator] | None = None,
        metrics: Metrics | None = None,
    ):
        self.db = db
        self.registry = dict(registry)
        # A source's own way of doing an action, run for its incidents instead of the default.
        self.by_source = dict(by_source or {})
        self.metrics = metrics or NullMetrics()

    def __call__(self, incident_id: int) -> None:
        """Pipeline step: run the open attempt of a ``remediating`` incident."""
        opened = self._open_attempt(incident_id)
        if opened is None:
            return
        source, attempt = opened
        remediator = self.remediator_for(source, ActionKind(attempt.action))
        if remediator is None:
            self._finish(
                incident_id,
                attempt,
                RemediationResult(
                    status=RemediationStatus.ABORTED, detail=f"no remediator for {attempt.action}"
                ),
            )
            return
        try:
            params = remediator.params_model.model_validate(attempt.params)
        except ValidationError as exc:
            self._finish(
                incident_id,
                attempt,
                RemediationResult(
                    status=RemediationStatus.ABORTED,
                    detail=f"invalid parameters: {_invalid_fields(exc)}",
                ),
            )
            return
        result = self._run(remediator, params, attempt)
        self._finish(incident_id, attempt, result)

    def remediator_for(self, source: str, action: ActionKind) -> Remediator | None:
        """The source's own remediator of the action, else the action's default one."""
        return self.by_source.get((source, action)) or self.registry.get(action)

    def _open_attempt(self, incident_id: int) -> tuple[str, RemediationAttempt] | None:
        with self.db.session() as session:
            incident = IncidentRepository(session).get(incident_id)
            if incident is None or incident.status != IncidentStatus.REMEDIATING:
                return None
            attempt = AttemptRepository(session).latest(incident_id)
            if (
                attempt is None
                or attempt.dry_run
                or attempt.status
                not in (AttemptStatus.PLANNED, AttemptStatus.RUNNING, AttemptStatus.DEFERRED)
            ):
                return None
            return incident.source, attempt

    def _run(
        self, remediator: Remediator, params, attempt: RemediationAttempt
    ) -> RemediationResult:
        try:
            stop = remediator.prevalidate(params)
            if stop is not None:
                return stop
            self._mark_running(attempt)
            return remediator.execute(params)
        except IntegrationError as exc:
            if exc.retryable and exc.retry_after is not None:
                return RemediationResult(
                    status=RemediationStatus.DEFERRED, detail=str(exc), retry_after=exc.retry_after
                )
            if exc.retryable:
                # Down, hung or behind its open circuit: the processor puts the incident back to
                # wait. The attempt row stays open (``running`` if the call went out, perhaps
                # acted on), and the retry pre-validates again before any call.
                raise
            return RemediationResult(status=RemediationStatus.FAILED, detail=str(exc))

    def _mark_running(self, attempt: RemediationAttempt) -> None:
        with self.db.session() as session:
            AttemptRepository(session).set_status(attempt.id, AttemptStatus.RUNNING)

    def _finish(
        self, incident_id: int, attempt: RemediationAttempt, result: RemediationResult
    ) -> None:
        detail = mask_secrets(result.detail)
        key = ESCALATION_KEY.get(result.status)
        with self.db.session() as session:
            attempts, incidents = AttemptRepository(session), IncidentRepository(session)
            if result.status is RemediationStatus.DEFERRED:
                deferrals = attempts.defer(attempt.id, detail=detail)
                if deferrals < MAX_DEFERRALS:
                    record_event(
                        session,
                        AuditEvent.REMEDIATION_DEFERRED,
                        incident_id=incident_id,
                        details={"reason": detail},
                    )
                    session.commit()
                    raise RetryLater(
                        detail, delay=timedelta(seconds=max(30.0, result.retry_after or 0))
                    )
                result = RemediationResult(
                    status=RemediationStatus.FAILED,
                    detail=f"gave up after {deferrals} deferrals: {detail}",
                )
                key = EscalationReason.REMEDIATION_DEFERRED
            attempts.finish(
                attempt.id,
                status=ATTEMPT_STATUS[result.status],
                result={"detail": detail, **result.data},
                error=detail if result.status is RemediationStatus.FAILED else None,
            )
            to = INCIDENT_STATUS[result.status]
            incidents.transition(
                incident_id,
                expected=IncidentStatus.REMEDIATING,
                to=to,
                claimed_at=None,
                claimed_by=None,
                **(
                    {
                        "decision_reason": f"remediation {result.status.value}: {detail}",
                        "escalation_reason": key.value if key else None,
                    }
                    if to is IncidentStatus.ESCALATED
                    else {}
                ),
            )
            record_event(
                session,
                REMEDIATION_EVENTS[result.status],
                incident_id=incident_id,
                actor=attempt.actor,
                details={"action": attempt.action, "detail": detail, **result.data},
            )
            if result.status is RemediationStatus.ABORTED:
                _report_to_storm_group(session, incident_id, detail, actor=attempt.actor_id)
        self.metrics.count(
            "remediation_outcomes", action=attempt.action, status=result.status.value
        )
        log.info("incident %s remediation %s: %s", incident_id, result.status.value, detail)


def _report_to_storm_group(
    session: Session, incident_id: int, reason: str, *, actor: str | None
) -> None:
    """A storm member its pre-validation stopped is reported on its group as well, where the
    person who approved the group reads how each member went."""
    member = IncidentRepository(session).get(incident_id)
    if member is not None and member.parent_id is not None:
        report_skipped(session, member.parent_id, member, reason, actor=actor or "auto")


def _invalid_fields(exc: ValidationError) -> str:
    """Which parameters failed and why, without their values (they come from payloads)."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'params'} ({error['msg']})"
        for error in exc.errors(include_input=False)[:5]
    )
