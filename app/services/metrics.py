"""The KPIs of self-healing, computed in one place for the API, the dashboard and the report."""

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.adapters.database.engine import Database
from app.adapters.database.tables import Approval, Feedback, Incident, RemediationAttempt, utcnow
from app.core.enums import Actor, AttemptStatus, IncidentKind, IncidentStatus

EXECUTED = (
    AttemptStatus.SUCCEEDED,
    AttemptStatus.VERIFIED,
    AttemptStatus.VERIFICATION_FAILED,
    AttemptStatus.FAILED,
    AttemptStatus.RUNNING,
)
FALSE_POSITIVE = (AttemptStatus.VERIFICATION_FAILED, AttemptStatus.FAILED)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _count(session: Session, stmt) -> int:
    return int(session.execute(stmt).scalar_one())


def incidents_since(since: datetime):
    return (
        select(func.count())
        .select_from(Incident)
        .where(col(Incident.created_at) >= since, col(Incident.kind) != IncidentKind.STORM_GROUP)
    )


def auto_fix_figures(session: Session, since: datetime) -> dict[str, Any]:
    """Auto-resolution and false-positive rates over executed automatic fixes."""
    auto = select(col(RemediationAttempt.incident_id), col(RemediationAttempt.status)).where(
        col(RemediationAttempt.actor) == Actor.AUTO,
        col(RemediationAttempt.dry_run).is_(False),
        col(RemediationAttempt.started_at) >= since,
        col(RemediationAttempt.status).in_([s.value for s in EXECUTED]),
    )
    rows = session.execute(auto).all()
    disliked = {
        i for (i,) in session.execute(select(col(Feedback.incident_id)).where(col(Feedback.value) < 0))
    }
    resolved = {
        i
        for (i,) in session.execute(
            select(col(Incident.id)).where(
                col(Incident.status) == IncidentStatus.RESOLVED, col(Incident.created_at) >= since
            )
        )
    }
    fixed_ids = {i for i, _ in rows}
    wrong = {i for i, status in rows if status in FALSE_POSITIVE} | (fixed_ids & disliked)
    total = _count(session, incidents_since(since))
    auto_resolved = len(fixed_ids & resolved - disliked)
    return {
        "auto_fixes": len(fixed_ids),
        "auto_resolved": auto_resolved,
        "auto_resolution_rate": _rate(auto_resolved, total),
        "false_positives": len(wrong),
        "false_positive_rate": _rate(len(wrong), len(fixed_ids)),
    }


def summary(
    session: Session,
    *,
    now: datetime | None = None,
    since: timedelta = timedelta(days=7),
    max_fixes_per_hour: int = 10,
) -> dict[str, Any]:
    """The KPI tiles: volumes, rates, MTTR, pending approvals, hourly budget used."""
    now = now or utcnow()
    start = now - since
    mttr = session.execute(
        select(func.avg(Incident.mttr_seconds)).where(
            col(Incident.resolved_at) >= start, col(Incident.mttr_seconds).is_not(None)
        )
    ).scalar_one()
    pending = _count(
        session,
        select(func.count())
        .select_from(Approval)
        .where(col(Approval.status) == "pending", col(Approval.expires_at) > now),
    )
    used = _count(
        session,
        select(func.count())
        .select_from(RemediationAttempt)
        .where(
            col(RemediationAttempt.started_at) >= now - timedelta(hours=1),
            col(RemediationAttempt.status).not_in(
                [AttemptStatus.SKIPPED.value, AttemptStatus.DEFERRED.value]
            ),
        ),
    )
    return {
        "window_days": since.days,
        "incidents_24h": _count(session, incidents_since(now - timedelta(hours=24))),
        "incidents_7d": _count(session, incidents_since(now - timedelta(days=7))),
        "incidents_in_window": _count(session, incidents_since(start)),
        **auto_fix_figures(session, start),
        "mttr_seconds": round(float(mttr), 1) if mttr is not None else None,
        "pending_approvals": pending,
        "remediations_last_hour": used,
        "hourly_budget": max_fixes_per_hour,
    }


class MetricsSummary(BaseModel):
    """The KPIs of one window (``window_days``); a rate is null when nothing was counted."""

    window_days: int
    incidents_24h: int
    incidents_7d: int
    incidents_in_window: int
    auto_fixes: int
    auto_resolved: int
    auto_resolution_rate: float | None
    false_positives: int
    false_positive_rate: float | None
    mttr_seconds: float | None
    pending_approvals: int
    remediations_last_hour: int
    hourly_budget: int


class KpiQuery:
    """The KPIs as ``GET /api/v1/metrics/summary`` answers them."""

    def __init__(self, db: Database, *, max_fixes_per_hour: int):
        self.db = db
        self.max_fixes_per_hour = max_fixes_per_hour

    def summary(self, *, days: int) -> dict[str, Any]:
        """The KPIs over the last ``days`` days."""
        with self.db.session() as session:
            return summary(
                session, since=timedelta(days=days), max_fixes_per_hour=self.max_fixes_per_hour
            )
