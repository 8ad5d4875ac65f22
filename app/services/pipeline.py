"""The processing pipeline the worker runs for each claimed incident.

Steps raise to say what should happen next; the processor turns that into a state change.
Adding a stage is a line in the composition root, not an edit here.

An outside service that is down, hung or behind its open circuit (a retryable
``IntegrationError`` from any step) does not escalate the incident: it goes back to wait and is
tried again later, with a growing delay, until it has waited ``WaitPolicy.give_up_after`` for
that service; the whole incident runs within a time budget, so no call holds a worker for long.
"""

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta

from sqlalchemy import func

from app.adapters.database.engine import Database
from app.adapters.database.repositories.incidents import IncidentRepository
from app.adapters.database.tables import Incident, merge_json, utcnow, without_json_key
from app.core.deadline import time_budget
from app.core.enums import WORKING_STATUSES, IncidentStatus
from app.core.errors import EscalateIncident, IntegrationError, RetryLater
from app.core.logs import incident_id_var
from app.core.redaction import mask_secrets
from app.domain.audit import AuditEvent
from app.domain.dependency_waits import RECORD_KEY, DependencyWait, WaitPolicy, describe_outage
from app.domain.escalation import EscalationReason
from app.services.audit_trail import record_event

log = logging.getLogger(__name__)

PipelineStep = Callable[[int], None]


class EventProcessor:
    """Runs the steps in order for one incident and records how it ended."""

    def __init__(
        self,
        db: Database,
        steps: Sequence[PipelineStep],
        *,
        max_attempts: int = 5,
        waits: WaitPolicy | None = None,
        deadline_seconds: float | None = None,
    ):
        self.db = db
        self.steps = list(steps)
        self.max_attempts = max_attempts
        self.waits = waits or WaitPolicy()
        self.deadline_seconds = deadline_seconds

    def process(self, incident_id: int) -> None:
        token = incident_id_var.set(incident_id)  # every log line of this work carries the id
        try:
            with time_budget(self.deadline_seconds):
                self._run(incident_id)
        finally:
            incident_id_var.reset(token)

    def _run(self, incident_id: int) -> None:
        try:
            for step in self.steps:
                step(incident_id)
        except RetryLater as exc:
            self._retry_or_escalate(incident_id, str(exc), exc.delay)
        except EscalateIncident as exc:
            self._escalate(incident_id, str(exc), exc.key)
        except Exception as exc:  # a crash must leave the incident claimable, never lost
            if isinstance(exc, IntegrationError) and exc.retryable:
                self._wait_for_dependency(incident_id, exc)
                return
            log.exception("processing incident %s failed", incident_id)
            self._retry_or_escalate(
                incident_id, f"{type(exc).__name__}: {exc}", timedelta(seconds=60)
            )

    def _retry_or_escalate(self, incident_id: int, reason: str, delay: timedelta) -> None:
        reason = mask_secrets(reason)
        with self.db.session() as session:
            incident = IncidentRepository(session).get(incident_id)
            if incident is not None and incident.processing_attempts >= self.max_attempts:
                self._escalate(
                    incident_id,
                    f"gave up after {incident.processing_attempts} tries: {reason}",
                    EscalationReason.PROCESSING_GAVE_UP,
                )
                return
            released = IncidentRepository(session).release_for_retry(
                incident_id,
                error=reason,
                not_before=utcnow() + delay,
                details=without_json_key(Incident.details, RECORD_KEY),  # not waiting any more
            )
            if released:
                record_event(
                    session,
                    AuditEvent.PROCESSING_RETRY,
                    incident_id=incident_id,
                    details={"reason": reason},
                )

    def _wait_for_dependency(self, incident_id: int, exc: IntegrationError) -> None:
        """Put the incident back to wait for the service, or escalate once it waited too long.

        The try is given back: a service being down says nothing about the incident, so it
        does not count towards ``max_attempts``."""
        error = mask_secrets(str(exc))
        now = utcnow()
        with self.db.session() as session:
            incidents = IncidentRepository(session)
            incident = incidents.get(incident_id)
            if incident is None or incident.status not in WORKING_STATUSES:
                return
            wait = self.waits.record(
                DependencyWait.from_details(incident.details),
                service=exc.service,
                stage=incident.status,
                now=now,
            )
            if not self.waits.exhausted(wait, now):
                asked = timedelta(seconds=exc.retry_after or 0)  # a server's own Retry-After
                not_before = now + max(self.waits.delay(wait), asked)
                released = incidents.release_for_retry(
                    incident_id,
                    error=error,
                    not_before=not_before,
                    details=merge_json(Incident.details, {RECORD_KEY: wait.to_json()}),
                    processing_attempts=func.greatest(Incident.processing_attempts - 1, 0),
                )
                if released:
                    record_event(
                        session,
                        AuditEvent.PROCESSING_WAITING,
                        incident_id=incident_id,
                        details={**wait.to_json(), "until": not_before.isoformat(), "error": error},
                    )
                    log.warning(
                        "incident %s waits for %s until %s (%s)",
                        incident_id,
                        exc.service,
                        not_before.isoformat(timespec="seconds"),
                        error,
                    )
                return
        outage = describe_outage(exc.service, now - wait.since, upstream_status=exc.upstream_status)
        self._escalate(incident_id, f"{outage}: {error}", EscalationReason.INTEGRATION_UNAVAILABLE)

    def _escalate(self, incident_id: int, reason: str, key: EscalationReason) -> None:
        reason = mask_secrets(reason)
        with self.db.session() as session:
            moved = IncidentRepository(session).transition(
                incident_id,
                expected=(
                    IncidentStatus.ANALYZING,
                    IncidentStatus.ANALYZED,
                    IncidentStatus.REMEDIATING,
                ),
                to=IncidentStatus.ESCALATED,
                decision_reason=reason,
                escalation_reason=key.value,
                last_error=reason,
            )
            if moved:
                record_event(
                    session,
                    AuditEvent.INCIDENT_ESCALATED,
                    incident_id=incident_id,
                    details={"reason": reason, "key": key.value},
                )
        log.warning("incident %s escalated: %s", incident_id, reason)
