"""The fixes that worked on one target: what the symptom-not-cause rule counts."""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.adapters.database.tables import Incident, RemediationAttempt
from app.core.enums import ActionKind, AttemptStatus
from app.domain.decisions.fix_history import PastFix

# A fix that ran and that nothing found wanting: reported done, or verified since.
WORKED = (AttemptStatus.SUCCEEDED.value, AttemptStatus.VERIFIED.value)
MAX_FIXES = 50


class FixHistoryRepository:
    def __init__(self, session: Session):
        self.session = session

    def fixes_of_target(
        self,
        identity: dict[str, Any],
        *,
        action: ActionKind,
        since: datetime,
        excluding: int,
    ) -> list[PastFix]:
        """The fixes by ``action`` of the incidents whose ``identity`` columns (from
        ``app.core.targets.identity_columns``) hold these values, started since ``since``,
        oldest first; none of incident ``excluding`` (the one being decided), no dry runs."""
        matches = [
            getattr(Incident, column).is_not_distinct_from(value)
            for column, value in identity.items()
        ]
        stmt = (
            select(
                col(Incident.id),
                col(Incident.created_at),
                col(Incident.failing_tests),
                col(RemediationAttempt.started_at),
                col(RemediationAttempt.finished_at),
                col(RemediationAttempt.actor),
                col(RemediationAttempt.actor_id),
                col(RemediationAttempt.result),
            )
            .join(RemediationAttempt, col(RemediationAttempt.incident_id) == col(Incident.id))
            .where(
                *matches,
                col(Incident.id) != excluding,
                col(RemediationAttempt.action) == action.value,
                col(RemediationAttempt.status).in_(WORKED),
                col(RemediationAttempt.dry_run).is_(False),
                col(RemediationAttempt.started_at) >= since,
            )
            .order_by(col(RemediationAttempt.started_at).desc(), col(RemediationAttempt.id).desc())
            .limit(MAX_FIXES)
        )
        rows = self.session.execute(stmt).all()
        return [
            PastFix.from_attempt(
                incident_id=incident_id,
                action=action,
                failed_at=failed_at,
                fixed_at=finished_at or started_at,
                actor=actor,
                actor_id=actor_id,
                result=result if isinstance(result, dict) else {},
                failing_tests=[str(t) for t in failing_tests or []],
            )
            for (
                incident_id,
                failed_at,
                failing_tests,
                started_at,
                finished_at,
                actor,
                actor_id,
                result,
            ) in reversed(rows)
        ]
