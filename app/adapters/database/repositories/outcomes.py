"""Outcome statistics that feed the history term of the confidence and the calibration.

Every signal counts: a verified fix is a success; a fix that failed or failed verification,
a rejected approval and a 👎 on a remediated incident are failures. Dry-run attempts count
for nothing: they never ran.
"""

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, select
from sqlmodel import Session, col

from app.adapters.database.tables import Approval, Feedback, Incident, RemediationAttempt
from app.core.enums import AttemptStatus

SUCCESS = (AttemptStatus.VERIFIED.value,)
FAILURE = (AttemptStatus.FAILED.value, AttemptStatus.VERIFICATION_FAILED.value)
# Below this many observations of one signature, the category's record is used instead.
MIN_SIGNATURE_OBSERVATIONS = 3


@dataclass(frozen=True)
class OutcomeCounts:
    successes: int
    failures: int

    @property
    def total(self) -> int:
        return self.successes + self.failures


class OutcomeRepository:
    def __init__(self, session: Session):
        self.session = session

    def counts(self, *, category: str, action: str) -> tuple[int, int]:
        """(successes, failures) of ``action`` on incidents of ``category``."""
        found = self._counts(col(Incident.category) == category, action)
        return found.successes, found.failures

    def history(self, *, category: str, action: str, signature_hash: str | None) -> tuple[int, int]:
        """The signature's own record when it has enough of one, else the category's."""
        if signature_hash:
            own = self._counts(col(Incident.signature_hash) == signature_hash, action)
            if own.total >= MIN_SIGNATURE_OBSERVATIONS:
                return own.successes, own.failures
        return self.counts(category=category, action=action)

    def _counts(self, scope: ColumnElement[bool], action: str) -> OutcomeCounts:
        attempts = (
            select(
                func.count().filter(col(RemediationAttempt.status).in_(SUCCESS)),
                func.count().filter(col(RemediationAttempt.status).in_(FAILURE)),
            )
            .join(Incident, col(Incident.id) == col(RemediationAttempt.incident_id))
            .where(
                scope, col(RemediationAttempt.action) == action, col(RemediationAttempt.dry_run).is_(False)
            )
        )
        successes, failures = self.session.execute(attempts).one()
        rejected = self.session.execute(
            select(func.count())
            .select_from(Approval)
            .join(Incident, col(Incident.id) == col(Approval.incident_id))
            .where(scope, col(Incident.action) == action, col(Approval.status) == "rejected")
        ).scalar_one()
        disliked = self.session.execute(
            select(func.count(func.distinct(Feedback.incident_id)))
            .select_from(Feedback)
            .join(Incident, col(Incident.id) == col(Feedback.incident_id))
            .where(and_(scope, col(Incident.action) == action, col(Feedback.value) < 0))
        ).scalar_one()
        return OutcomeCounts(int(successes), int(failures) + int(rejected) + int(disliked))
