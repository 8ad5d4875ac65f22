"""Recording what happened: the audit row, then the Slack posts the notifications table lists.

Every service records its events here, so what goes out to Slack is decided in one place
(``app.domain.notifications.handlers.EVENT_HANDLERS``), never as a side effect of a repository.
"""

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from app.adapters.database.repositories.audit import AuditRepository
from app.adapters.database.repositories.outbox import OutboxRepository
from app.domain.audit import AuditEvent
from app.domain.notifications.handlers import (
    EVENT_HANDLERS,
    OutboxKind,
    SlackNotice,
    slack_posts,
)


def record_event(
    session: Session,
    event: AuditEvent,
    *,
    incident_id: int | None = None,
    actor: str = "system",
    details: dict[str, Any] | None = None,
    handlers: Mapping[AuditEvent, SlackNotice] = EVENT_HANDLERS,
) -> None:
    """Write the event's audit row and queue its Slack posts, in the caller's transaction."""
    details = details or {}
    AuditRepository(session).append(event, incident_id=incident_id, actor=actor, details=details)
    posts = slack_posts(event, actor=actor, details=details, handlers=handlers)
    if incident_id is None:  # without an incident there is no card: only messages of their own
        posts = tuple(post for post in posts if post.kind is OutboxKind.CHANNEL)
    OutboxRepository(session).queue(incident_id, posts)
