"""notification_outbox: Slack work queued in the same transaction as the change it reports."""

from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session

from app.adapters.database.tables import NotificationOutbox, utcnow
from app.core.redaction import mask_secrets

# Audit events a person should see in Slack, and the thread reply each one gets
# (None: the incident message is updated in place, no reply).
REPLIES: dict[str, str | None] = {
    "decision.made": None,
    "decision.grouped": None,
    "incident.analyzed": None,
    "incident.escalated": "Escalated: {reason}",
    "approval.approved": "Approved by <@{actor}>.",
    "approval.rejected": "Rejected by <@{actor}>.",
    "approval.expired": "<@{actor}> answered after the request expired: nothing ran.",
    "approval.over_budget": "Approved by <@{actor}>, but the hourly fix budget is used up: nothing ran.",
    "remediation.succeeded": "Executed: {detail}",
    "remediation.already_done": "Already done: {detail}",
    "remediation.failed": "Remediation failed: {detail}",
    "remediation.aborted": "Not executed: {detail}",
    "incident.resolved": "Verified: the next attempt succeeded. MTTR {mttr}.",
    "incident.fix_failed": "The fix did not work: {reason}",
}


class OutboxRepository:
    def __init__(self, session: Session):
        self.session = session

    def queue_for_event(
        self, event: str, *, incident_id: int | None, actor: str, details: dict
    ) -> None:
        if incident_id is None or event not in REPLIES:
            return
        self.session.add(NotificationOutbox(incident_id=incident_id, kind="message"))
        template = REPLIES[event]
        if template is not None:
            text = template.format(
                actor=actor,
                reason=details.get("reason", ""),
                detail=details.get("detail", ""),
                mttr=_duration(details.get("mttr_seconds")),
            )
            self.session.add(
                NotificationOutbox(incident_id=incident_id, kind="reply", text=mask_secrets(text))
            )

    def due(self, *, limit: int, now: datetime | None = None) -> list[NotificationOutbox]:
        """Pending rows whose time has come, oldest first, locked so two senders never share."""
        stmt = (
            select(NotificationOutbox)
            .where(
                NotificationOutbox.status == "pending",
                NotificationOutbox.next_attempt_at <= (now or utcnow()),
            )
            .order_by(NotificationOutbox.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(self.session.execute(stmt).scalars())

    def mark_sent(self, row_id: int) -> None:
        self.session.execute(
            update(NotificationOutbox)
            .where(NotificationOutbox.id == row_id)
            .values(status="sent", sent_at=utcnow())
        )

    def mark_failed(self, row_id: int, *, error: str, retry_at: datetime, give_up: bool) -> None:
        self.session.execute(
            update(NotificationOutbox)
            .where(NotificationOutbox.id == row_id)
            .values(
                attempts=NotificationOutbox.attempts + 1,
                last_error=error,
                next_attempt_at=retry_at,
                status="failed" if give_up else "pending",
            )
        )

    def skip_all_pending(self) -> int:
        """Slack is not configured: nothing will ever send these."""
        stmt = (
            update(NotificationOutbox)
            .where(NotificationOutbox.status == "pending")
            .values(status="skipped")
        )
        return self.session.execute(stmt).rowcount


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes}m" if hours else f"{minutes}m {secs}s"
