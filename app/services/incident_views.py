"""Read models of incidents for the API (and later the dashboard)."""

from typing import Any

from sqlalchemy import select

from app.adapters.database.engine import Database
from app.adapters.database.repositories.audit import AuditRepository
from app.adapters.database.repositories.deliveries import DeliveryRepository
from app.adapters.database.repositories.incidents import IncidentFilter, IncidentRepository
from app.adapters.database.tables import Approval, Feedback, Incident, RemediationAttempt
from app.core.redaction import mask_mapping

_HIDDEN = {"embedding"}


def incident_summary(incident: Incident) -> dict[str, Any]:
    data = incident.model_dump(mode="json", exclude=_HIDDEN)
    data["has_embedding"] = incident.embedding is not None
    data["confidence_parts"] = {
        "classifier": incident.confidence_classifier,
        "similarity": incident.confidence_similarity,
        "history": incident.confidence_history,
        "total": incident.confidence,
    }
    return data


class IncidentQuery:
    """Every answer is masked: rows stored before masking at rest, or by a path that missed
    it, never show a secret (cheap: the strings seen clean before are not checked again)."""

    def __init__(self, db: Database):
        self.db = db

    def page(
        self,
        *,
        status: str | None,
        source: str | None,
        repo: str | None,
        category: str | None,
        limit: int,
        offset: int,
    ) -> dict[str, Any]:
        filters = IncidentFilter(status=status, source=source, repo=repo, category=category)
        with self.db.session() as session:
            items, total = IncidentRepository(session).page(filters, limit=limit, offset=offset)
            return mask_mapping(
                {
                    "items": [incident_summary(i) for i in items],
                    "total": total,
                    "limit": limit,
                    "offset": offset,
                }
            )

    def detail(self, incident_id: int) -> dict[str, Any] | None:
        with self.db.session() as session:
            incident = IncidentRepository(session).get(incident_id)
            if incident is None:
                return None
            data = incident_summary(incident)
            data["deliveries"] = [
                d.model_dump(mode="json", exclude={"payload"})
                for d in DeliveryRepository(session).for_incident(incident_id)
            ]
            data["attempts"] = _rows(
                session, RemediationAttempt, incident_id, RemediationAttempt.id
            )
            data["approvals"] = _rows(session, Approval, incident_id, Approval.id)
            data["feedback"] = _rows(session, Feedback, incident_id, Feedback.id)
            data["audit"] = [
                a.model_dump(mode="json")
                for a in AuditRepository(session).for_incident(incident_id)
            ]
            return mask_mapping(data)


def _rows(session, table, incident_id: int, order) -> list[dict[str, Any]]:
    stmt = select(table).where(table.incident_id == incident_id).order_by(order)
    return [row.model_dump(mode="json") for row in session.execute(stmt).scalars()]
