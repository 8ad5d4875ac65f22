"""remediation_attempts: the record written before any call, and the counts the rules read."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlmodel import Session, col

from app.adapters.database.tables import Incident, RemediationAttempt, utcnow
from app.core.enums import AttemptStatus

# Attempts that did not happen do not use the hourly budget.
NOT_EXECUTED = (AttemptStatus.SKIPPED.value, AttemptStatus.DEFERRED.value)
BLAST_RADIUS_LOCK = 0x0C0DE4EA1  # one transaction-scoped advisory lock around check-and-insert


class AttemptRepository:
    def __init__(self, session: Session):
        self.session = session

    def lock_blast_radius(self) -> None:
        """Serialize decide-and-record across every worker until this transaction ends."""
        self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": BLAST_RADIUS_LOCK})

    def count_since(self, since: datetime, *, target: str | None = None) -> int:
        stmt = select(func.count()).where(
            col(RemediationAttempt.started_at) >= since, col(RemediationAttempt.status).not_in(NOT_EXECUTED)
        )
        if target is not None:
            stmt = stmt.where(col(RemediationAttempt.target) == target)
        return self.session.execute(stmt).scalar_one()

    def automatic_reruns_of_run(self, repo: str, run_id: int, actions: list[str]) -> int:
        stmt = (
            select(func.count())
            .select_from(RemediationAttempt)
            .join(Incident, col(Incident.id) == col(RemediationAttempt.incident_id))
            .where(
                col(Incident.repo) == repo,
                col(Incident.run_id) == run_id,
                col(RemediationAttempt.actor) == "auto",
                col(RemediationAttempt.action).in_(actions),
                col(RemediationAttempt.status).not_in(NOT_EXECUTED),
            )
        )
        return self.session.execute(stmt).scalar_one()

    def auto_fixed_incidents_of_signature(
        self, signature_hash: str, *, since: datetime
    ) -> list[int]:
        stmt = (
            select(col(Incident.id))
            .distinct()
            .join(RemediationAttempt, col(RemediationAttempt.incident_id) == col(Incident.id))
            .where(
                col(Incident.signature_hash) == signature_hash,
                col(RemediationAttempt.actor) == "auto",
                col(RemediationAttempt.started_at) >= since,
                col(RemediationAttempt.status).not_in(NOT_EXECUTED),
            )
        )
        return sorted(self.session.execute(stmt).scalars())

    def next_attempt_number(self, incident_id: int, action: str) -> int:
        stmt = select(func.coalesce(func.max(RemediationAttempt.attempt_number), 0)).where(
            col(RemediationAttempt.incident_id) == incident_id, col(RemediationAttempt.action) == action
        )
        return self.session.execute(stmt).scalar_one() + 1

    def add(self, **values: Any) -> RemediationAttempt:
        attempt = RemediationAttempt(**values)
        self.session.add(attempt)
        self.session.flush()
        return attempt

    def proposed_as_pull_request(self, repo: str, number: int) -> RemediationAttempt | None:
        """The attempt whose result is pull request ``number`` of ``repo`` (``result.pull_request``)."""
        proposed = col(RemediationAttempt.result)["pull_request"]
        stmt = (
            select(RemediationAttempt)
            .where(
                proposed["repo"].astext == repo,
                proposed["number"].astext == str(int(number)),
            )
            .order_by(col(RemediationAttempt.id).desc())
            .limit(1)
        )
        return self.session.execute(stmt).scalar_one_or_none()

    def latest(self, incident_id: int) -> RemediationAttempt | None:
        stmt = (
            select(RemediationAttempt)
            .where(col(RemediationAttempt.incident_id) == incident_id)
            .order_by(col(RemediationAttempt.id).desc())
            .limit(1)
        )
        return self.session.execute(stmt).scalar_one_or_none()

    def set_status(self, attempt_id: int, status: AttemptStatus) -> None:
        self.session.execute(
            update(RemediationAttempt)
            .where(col(RemediationAttempt.id) == attempt_id)
            .values(status=status)
        )

    def defer(self, attempt_id: int, *, detail: str) -> int:
        """Mark deferred and return how many times this attempt has been deferred."""
        attempt = self.session.get_one(RemediationAttempt, attempt_id)
        deferrals = int(attempt.result.get("deferrals", 0)) + 1
        attempt.status = AttemptStatus.DEFERRED
        attempt.result = {**attempt.result, "deferrals": deferrals, "last_deferral": detail}
        self.session.flush()
        return deferrals

    def finish(
        self,
        attempt_id: int,
        *,
        status: AttemptStatus,
        result: dict | None = None,
        error: str | None = None,
    ) -> None:
        self.session.execute(
            update(RemediationAttempt)
            .where(col(RemediationAttempt.id) == attempt_id)
            .values(status=status, finished_at=utcnow(), result=result or {}, error=error)
        )


def hour_ago() -> datetime:
    return utcnow() - timedelta(hours=1)
