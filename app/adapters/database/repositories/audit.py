"""audit_log: append-only."""

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from app.adapters.database.repositories.outbox import OutboxRepository
from app.adapters.database.tables import AuditEntry


class AuditRepository:
    def __init__(self, session: Session):
        self.session = session

    def append(
        self,
        event: str,
        *,
        incident_id: int | None = None,
        actor: str = "system",
        details: dict[str, Any] | None = None,
    ) -> None:
        details = details or {}
        self.session.add(
            AuditEntry(incident_id=incident_id, actor=actor, event=event, details=details)
        )
        # What a person should see in Slack is queued in the same transaction (the outbox).
        OutboxRepository(self.session).queue_for_event(
            event, incident_id=incident_id, actor=actor, details=details
        )
        self.session.flush()

    def for_incident(self, incident_id: int) -> list[AuditEntry]:
        stmt = (
            select(AuditEntry)
            .where(AuditEntry.incident_id == incident_id)
            .order_by(AuditEntry.at, AuditEntry.id)
        )
        return list(self.session.execute(stmt).scalars())
