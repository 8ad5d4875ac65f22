"""notification_outbox: Slack work queued in the same transaction as the change it reports."""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session, col

from app.adapters.database.rows import rows_changed
from app.adapters.database.tables import NotificationOutbox, utcnow
from app.domain.notifications.handlers import SlackPost


class OutboxRepository:
    def __init__(self, session: Session):
        self.session = session

    def queue(self, incident_id: int | None, posts: Iterable[SlackPost]) -> None:
        """Queue ``posts`` for the incident (None: messages of their own), in order, in the
        caller's transaction."""
        rows = [
            NotificationOutbox(incident_id=incident_id, kind=p.kind, text=p.text) for p in posts
        ]
        if rows:
            self.session.add_all(rows)
            self.session.flush()

    def due(self, *, limit: int, now: datetime | None = None) -> list[NotificationOutbox]:
        """Pending rows whose time has come, oldest first, locked so two senders never share."""
        stmt = (
            select(NotificationOutbox)
            .where(
                col(NotificationOutbox.status) == "pending",
                col(NotificationOutbox.next_attempt_at) <= (now or utcnow()),
            )
            .order_by(col(NotificationOutbox.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(self.session.execute(stmt).scalars())

    def mark_sent(self, row_id: int) -> None:
        self.session.execute(
            update(NotificationOutbox)
            .where(col(NotificationOutbox.id) == row_id)
            .values(status="sent", sent_at=utcnow())
        )

    def mark_failed(self, row_id: int, *, error: str, retry_at: datetime, give_up: bool) -> None:
        self.session.execute(
            update(NotificationOutbox)
            .where(col(NotificationOutbox.id) == row_id)
            .values(
                attempts=col(NotificationOutbox.attempts) + 1,
                last_error=error,
                next_attempt_at=retry_at,
                status="failed" if give_up else "pending",
            )
        )

    def skip_all_pending(self) -> int:
        """Slack is not configured: nothing will ever send these."""
        stmt = (
            update(NotificationOutbox)
            .where(col(NotificationOutbox.status) == "pending")
            .values(status="skipped")
        )
        return rows_changed(self.session, stmt)
