"""audit_log: append-only. Writes audit rows only; what an event posts to Slack is queued by
the service that records it (``app.services.audit_trail.record_event``)."""

from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.adapters.database.tables import AuditEntry
from app.domain.audit import AuditEvent


class AuditRepository:
    def __init__(self, session: Session):
        self.session = session

    def append(
        self,
        event: AuditEvent,
        *,
        incident_id: int | None = None,
        actor: str = "system",
        details: dict[str, Any] | None = None,
    ) -> None:
        self.session.add(
            AuditEntry(incident_id=incident_id, actor=actor, event=event, details=details or {})
        )
        self.session.flush()

    def for_incident(self, incident_id: int) -> list[AuditEntry]:
        stmt = (
            select(AuditEntry)
            .where(col(AuditEntry.incident_id) == incident_id)
            .order_by(col(AuditEntry.at), col(AuditEntry.id))
        )
        return list(self.session.execute(stmt).scalars())
