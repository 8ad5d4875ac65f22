"""incidents: upsert from a parsed event, claim for work, conditional state changes, queries."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Numeric, case, cast, func, or_, select, update
from sqlmodel import Session, col

from app.adapters.database.rows import rows_changed
from app.adapters.database.tables import Incident, utcnow
from app.core.enums import WORKING_STATUSES, IncidentStatus

# In the details of incidents that came several to one delivery (an Alertmanager group):
# each one's place among them (1, 2, ...), so that the claim order lets deliveries take turns.
DELIVERY_RANK_KEY = "delivery_rank"


@dataclass(frozen=True)
class IncidentFilter:
    status: str | None = None
    source: str | None = None
    repo: str | None = None
    category: str | None = None


class IncidentRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, incident_id: int) -> Incident | None:
        return self.session.get(Incident, incident_id)

    def page(
        self, filters: IncidentFilter, *, limit: int, offset: int
    ) -> tuple[list[Incident], int]:
        stmt = select(Incident)
        for column, value in (
            (col(Incident.status), filters.status),
            (col(Incident.source), filters.source),
            (col(Incident.repo), filters.repo),
            (col(Incident.category), filters.category),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        total = self.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
        page = (
            stmt.order_by(col(Incident.created_at).desc(), col(Incident.id).desc())
            .limit(limit)
            .offset(offset)
        )
        return list(self.session.execute(page).scalars()), total

    def claim(self, *, worker_id: str, limit: int, stale_after: timedelta) -> list[int]:
        """Claim up to ``limit`` incidents for work and return their ids.

        Claimable: ``received`` ones and unclaimed ones with work left (released to wait)
        past ``not_before``, and ones in a working state whose claim is older than
        ``stale_after`` (their worker died). ``received`` becomes ``analyzing``; others keep
        their status, so their work resumes where it was. SKIP LOCKED lets many workers
        claim at once.

        Fair order: deliveries take turns. An incident's place among those its delivery
        created comes first (the first of every delivery, oldest first, then the second of
        each, ...), then its age; so a 2,000-alert Alertmanager body does not hold back the
        GitHub failure or the Kubernetes delivery that comes after it.
        """
        now = utcnow()
        candidates = (
            select(col(Incident.id))
            .where(_claimable(now, stale_after))
            .order_by(_delivery_rank(), col(Incident.created_at), col(Incident.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(Incident)
            .where(col(Incident.id).in_(candidates.scalar_subquery()))
            .values(**_claim_values(now, worker_id))
            .returning(col(Incident.id))
        )
        return list(self.session.execute(stmt).scalars())

    def claim_one(self, incident_id: int, *, worker_id: str, stale_after: timedelta) -> bool:
        """Claim one named incident (a queue message names it); False if it is not claimable."""
        now = utcnow()
        stmt = (
            update(Incident)
            .where(col(Incident.id) == incident_id, _claimable(now, stale_after))
            .values(**_claim_values(now, worker_id))
        )
        return rows_changed(self.session, stmt) == 1

    def transition(
        self,
        incident_id: int,
        *,
        expected: IncidentStatus | tuple[IncidentStatus, ...],
        to: IncidentStatus,
        **values: Any,
    ) -> bool:
        """Change status only if it is still ``expected``; False means someone else moved it."""
        allowed = (expected,) if isinstance(expected, IncidentStatus) else expected
        stmt = (
            update(Incident)
            .where(col(Incident.id) == incident_id, col(Incident.status).in_([s.value for s in allowed]))
            .values(status=to, updated_at=utcnow(), **values)
        )
        return rows_changed(self.session, stmt) == 1

    def update_fields(self, incident_id: int, **values: Any) -> None:
        stmt = (
            update(Incident).where(col(Incident.id) == incident_id).values(updated_at=utcnow(), **values)
        )
        self.session.execute(stmt)

    def release_for_retry(
        self, incident_id: int, *, error: str, not_before: datetime, **values: Any
    ) -> bool:
        """Let go of a claimed incident so it is tried again after ``not_before``: analysis
        starts over, a decision or a remediation resumes where it was."""
        stmt = (
            update(Incident)
            .where(col(Incident.id) == incident_id, col(Incident.status).in_(list(WORKING_STATUSES)))
            .values(
                **values,
                status=case(
                    (col(Incident.status) == IncidentStatus.ANALYZING, IncidentStatus.RECEIVED.value),
                    else_=col(Incident.status),
                ),
                last_error=error,
                not_before=not_before,
                claimed_at=None,
                claimed_by=None,
                updated_at=utcnow(),
            )
        )
        return rows_changed(self.session, stmt) == 1


def _work_left():
    """Working states with something left to do (a dry-run plan is decided and done)."""
    return or_(
        Incident.status.in_([IncidentStatus.ANALYZING, IncidentStatus.REMEDIATING]),
        (Incident.status == IncidentStatus.ANALYZED) & Incident.decision.is_(None),
    )


def _claimable(now: datetime, stale_after: timedelta):
    ready = or_(col(Incident.not_before).is_(None), col(Incident.not_before) <= now)
    return or_(
        (col(Incident.status) == IncidentStatus.RECEIVED) & ready,
        _work_left() & col(Incident.claimed_at).is_(None) & ready,
        _work_left() & (col(Incident.claimed_at) < now - stale_after),
    )


def _delivery_rank():
    """The incident's place among those its delivery created; 1 when it came alone."""
    rank = Incident.details[DELIVERY_RANK_KEY]
    return case(
        (func.jsonb_typeof(rank) == "number", cast(rank.astext, Numeric)),
        else_=1,
    )


def _claim_values(now: datetime, worker_id: str) -> dict[str, Any]:
    return {
        "status": case(
            (col(Incident.status) == IncidentStatus.RECEIVED, IncidentStatus.ANALYZING.value),
            else_=col(Incident.status),
        ),
        "claimed_at": now,
        "claimed_by": worker_id,
        "processing_attempts": Incident.processing_attempts + 1,
        "updated_at": now,
    }
