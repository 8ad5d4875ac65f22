"""Post-validation by correlation: the next run attempt tells whether a re-run fixed it."""

import logging

from sqlalchemy import select
from sqlmodel import Session

from app.adapters.database.repositories.attempts import AttemptRepository
from app.adapters.database.repositories.audit import AuditRepository
from app.adapters.database.repositories.incidents import IncidentRepository
from app.adapters.database.tables import Incident, utcnow
from app.core.enums import AttemptStatus, IncidentStatus
from app.core.events.models import IncidentDraft, RunCompleted
from app.domain.escalation import EscalationReason

log = logging.getLogger(__name__)


class RunVerifier:
    """Closes ``verifying`` incidents when GitHub reports a later attempt of the same run."""

    def run_completed(self, session: Session, event: RunCompleted) -> int | None:
        incident = self._verifying(session, event.repo, event.run_id, event.run_attempt)
        if incident is None:
            return None
        if event.conclusion == "success":
            self._resolve(session, incident, event.run_attempt)
        else:
            self._fail(
                session, incident, f"attempt {event.run_attempt} concluded {event.conclusion!r}"
            )
        return incident.id

    def run_failed_again(
        self, session: Session, draft: IncidentDraft, new_incident_id: int
    ) -> None:
        """A failing attempt n+1 of a run we re-ran: the fix did not work."""
        if draft.repo is None or draft.run_id is None or (draft.run_attempt or 1) <= 1:
            return
        incident = self._verifying(session, draft.repo, draft.run_id, draft.run_attempt or 1)
        if incident is None:
            return
        self._fail(
            session,
            incident,
            f"attempt {draft.run_attempt} failed again — see incident #{new_incident_id}",
            follow_up=new_incident_id,
        )

    @staticmethod
    def _verifying(session: Session, repo: str, run_id: int, attempt: int) -> Incident | None:
        stmt = (
            select(Incident)
            .where(
                Incident.repo == repo,
                Incident.run_id == run_id,
                Incident.status == IncidentStatus.VERIFYING,
                Incident.run_attempt < attempt,
            )
            .order_by(Incident.run_attempt.desc())
            .limit(1)
            .with_for_update()
        )
        return session.execute(stmt).scalar_one_or_none()

    def _resolve(self, session: Session, incident: Incident, attempt: int) -> None:
        now = utcnow()
        mttr = (now - incident.created_at).total_seconds()
        moved = IncidentRepository(session).transition(
            incident.id,
            expected=IncidentStatus.VERIFYING,
            to=IncidentStatus.RESOLVED,
            resolved_at=now,
            mttr_seconds=mttr,
        )
        if not moved:
            return
        self._close_attempt(
            session, incident.id, AttemptStatus.VERIFIED, f"attempt {attempt} succeeded"
        )
        AuditRepository(session).append(
            "incident.resolved",
            incident_id=incident.id,
            details={"run_attempt": attempt, "mttr_seconds": round(mttr, 1)},
        )
        log.info("incident %s resolved by attempt %s (MTTR %.0fs)", incident.id, attempt, mttr)

    def _fail(
        self, session: Session, incident: Incident, reason: str, follow_up: int | None = None
    ) -> None:
        moved = IncidentRepository(session).transition(
            incident.id,
            expected=IncidentStatus.VERIFYING,
            to=IncidentStatus.FAILED,
            decision_reason=f"fix did not work: {reason}",
            escalation_reason=EscalationReason.FIX_DID_NOT_WORK.value,
        )
        if not moved:
            return
        self._close_attempt(session, incident.id, AttemptStatus.VERIFICATION_FAILED, reason)
        AuditRepository(session).append(
            "incident.fix_failed",
            incident_id=incident.id,
            details={"reason": reason, "follow_up_incident": follow_up},
        )
        if follow_up is not None:
            AuditRepository(session).append(
                "incident.previous_fix_failed",
                incident_id=follow_up,
                details={"previous_incident": incident.id, "previous_excerpt": incident.excerpt},
            )

    @staticmethod
    def _close_attempt(
        session: Session, incident_id: int, status: AttemptStatus, detail: str
    ) -> None:
        attempts = AttemptRepository(session)
        attempt = attempts.latest(incident_id)
        if attempt is not None and attempt.status == AttemptStatus.SUCCEEDED:
            attempts.finish(
                attempt.id, status=status, result={**attempt.result, "verification": detail}
            )
