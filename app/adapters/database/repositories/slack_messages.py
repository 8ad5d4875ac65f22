"""slack_messages: the one Slack message of each incident, and the lock that keeps it one."""

from sqlalchemy import select, text, update
from sqlmodel import Session, col

from app.adapters.database.tables import SlackMessage, utcnow

# First key of the two-key advisory lock taken while an incident's message is posted or updated.
SLACK_LOCK_NAMESPACE = 0x51AC


class SlackMessageRepository:
    def __init__(self, session: Session):
        self.session = session

    def try_lock_incident(self, incident_id: int) -> bool:
        """Transaction-scoped: two senders never post the same incident's message at once."""
        return bool(
            self.session.execute(
                text("SELECT pg_try_advisory_xact_lock(:namespace, :key)"),
                {"namespace": SLACK_LOCK_NAMESPACE, "key": incident_id % 2_147_483_647},
            ).scalar_one()
        )

    def for_incident(self, incident_id: int) -> SlackMessage | None:
        return self.session.execute(
            select(SlackMessage).where(col(SlackMessage.incident_id) == incident_id)
        ).scalar_one_or_none()

    def add(self, incident_id: int, *, channel: str, ts: str) -> SlackMessage:
        message = SlackMessage(incident_id=incident_id, channel=channel, ts=ts)
        self.session.add(message)
        self.session.flush()
        return message

    def touch(self, message_id: int) -> None:
        self.session.execute(
            update(SlackMessage).where(col(SlackMessage.id) == message_id).values(updated_at=utcnow())
        )
