"""approvals: one pending request per awaiting incident; the first valid click wins."""

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import Session, col

from app.adapters.database.rows import rows_changed
from app.adapters.database.tables import Approval, utcnow


class ApprovalRepository:
    def __init__(self, session: Session):
        self.session = session

    def request(self, incident_id: int, *, ttl: timedelta) -> Approval:
        now = utcnow()
        approval = Approval(
            incident_id=incident_id,
            nonce=secrets.token_urlsafe(18),
            status="pending",
            requested_at=now,
            expires_at=now + ttl,
        )
        self.session.add(approval)
        self.session.flush()
        return approval

    def by_nonce(self, nonce: str) -> Approval | None:
        return self.session.execute(
            select(Approval).where(col(Approval.nonce) == nonce)
        ).scalar_one_or_none()

    def pending_for(self, incident_id: int) -> Approval | None:
        stmt = (
            select(Approval)
            .where(col(Approval.incident_id) == incident_id, col(Approval.status) == "pending")
            .order_by(col(Approval.id).desc())
            .limit(1)
        )
        return self.session.execute(stmt).scalar_one_or_none()

    def latest_for(self, incident_id: int) -> Approval | None:
        """The incident's most recent request, whatever became of it."""
        stmt = (
            select(Approval)
            .where(col(Approval.incident_id) == incident_id)
            .order_by(col(Approval.id).desc())
            .limit(1)
        )
        return self.session.execute(stmt).scalar_one_or_none()

    def decide(
        self, nonce: str, *, incident_id: int, status: str, user: str, now: datetime
    ) -> bool:
        """Conditional update: only a pending, unexpired request of this incident moves."""
        stmt = (
            update(Approval)
            .where(
                col(Approval.nonce) == nonce,
                col(Approval.incident_id) == incident_id,
                col(Approval.status) == "pending",
                col(Approval.expires_at) > now,
            )
            .values(status=status, decided_by=user, decided_at=now)
        )
        return rows_changed(self.session, stmt) == 1

    def expire(self, nonce: str, *, incident_id: int, user: str, now: datetime) -> bool:
        stmt = (
            update(Approval)
            .where(
                col(Approval.nonce) == nonce,
                col(Approval.incident_id) == incident_id,
                col(Approval.status) == "pending",
                col(Approval.expires_at) <= now,
            )
            .values(status="expired", decided_by=user, decided_at=now)
        )
        return rows_changed(self.session, stmt) == 1

    def set_message(self, approval_id: int, *, channel: str, ts: str) -> None:
        self.session.execute(
            update(Approval)
            .where(col(Approval.id) == approval_id)
            .values(slack_channel=channel, slack_ts=ts)
        )
