"""Success statistics of remediations, for the history term of the confidence."""

from sqlalchemy import case, func, select
from sqlmodel import Session

from app.adapters.database.tables import Incident, RemediationAttempt
from app.core.enums import AttemptStatus

SUCCESS = (AttemptStatus.VERIFIED.value,)
FAILURE = (AttemptStatus.FAILED.value, AttemptStatus.VERIFICATION_FAILED.value)


class OutcomeRepository:
    def __init__(self, session: Session):
        self.session = session

    def counts(self, *, category: str, action: str) -> tuple[int, int]:
        """(successes, failures) of real (not dry-run) attempts of ``action`` on ``category``."""
        stmt = (
            select(
                func.count(case((RemediationAttempt.status.in_(SUCCESS), 1))),
                func.count(case((RemediationAttempt.status.in_(FAILURE), 1))),
            )
            .join(Incident, Incident.id == RemediationAttempt.incident_id)
            .where(
                Incident.category == category,
                RemediationAttempt.action == action,
                RemediationAttempt.dry_run.is_(False),
            )
        )
        successes, failures = self.session.execute(stmt).one()
        return int(successes), int(failures)
