"""The processing pipeline the worker runs for each claimed incident.

Steps raise to say what should happen next; the processor turns that into a state change.
Adding a stage is a line in the composition root, not an edit here.
"""

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta

from app.adapters.database.engine import Database
from app.adapters.database.repositories.audit import AuditRepository
from app.adapters.database.repositories.incidents import IncidentRepository
from app.adapters.database.tables import utcnow
from app.core.enums import IncidentStatus
from app.core.logs import incident_id_var
from app.core.redaction import mask_secrets
from app.domain.escalation import EscalationReason

log = logging.getLogger(__name__)

PipelineStep = Callable[[int], None]


class RetryLater(Exception):
    """The incident cannot be processed yet (e.g. logs not ready); try again after ``delay``."""

    def __init__(self, reason: str, *, delay: timedelta = timedelta(seconds=30)):
        super().__init__(reason)
        self.delay = delay


class EscalateIncident(Exception):
    """A person must look at this incident; ``reason`` says why, ``key`` names its runbook."""

    def __init__(self, reason: str, *, key: EscalationReason):
        super().__init__(reason)
        self.key = key


class EventProcessor:
    """Runs the steps in order for one incident and records how it ended."""

    def __init__(self, db: Database, steps: Sequence[PipelineStep], *, max_attempts: int = 5):
        self.db = db
        self.steps = list(steps)
        self.max_attempts = max_attempts

    def process(self, incident_id: int) -> None:
        token = incident_id_var.set(incident_id)  # every log line of this work carries the id
        try:
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
                incident_id, error=reason, not_before=utcnow() + delay
            )
            if released:
                AuditRepository(session).append(
                    "processing.retry", incident_id=incident_id, details={"reason": reason}
                )

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
                AuditRepository(session).append(
                    "incident.escalated",
                    incident_id=incident_id,
                    details={"reason": reason, "key": key.value},
                )
        log.warning("incident %s escalated: %s", incident_id, reason)
