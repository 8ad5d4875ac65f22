"""Read models of incidents for the API and the dashboard.

Rows become responses here, one at a time: a value that cannot be shown (NaN, which JSON has
not, or one that does not serialize) is shown as null and logged, so one bad row never takes
the list, the incident page or the dashboard down. Values Python cannot read at all are
already None when they get here (app/adapters/database/lenient.py).
"""

import logging
import math
from typing import Any

from pydantic_core import PydanticSerializationError
from sqlalchemy import select
from sqlmodel import SQLModel

from app.adapters.database.engine import Database
from app.adapters.database.repositories.audit import AuditRepository
from app.adapters.database.repositories.deliveries import DeliveryRepository
from app.adapters.database.repositories.incidents import IncidentFilter, IncidentRepository
from app.adapters.database.tables import Approval, Feedback, Incident, RemediationAttempt
from app.core.redaction import mask_mapping

log = logging.getLogger(__name__)

_HIDDEN = frozenset({"embedding"})


def rendered(row: SQLModel, *, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The row as a response carries it, with every value that cannot be shown as None."""
    try:
        data = row.model_dump(mode="json", exclude=set(exclude))
        failed = []
    except PydanticSerializationError:
        data, failed = _field_by_field(row, exclude)
    not_numbers = [k for k, v in data.items() if isinstance(v, float) and not math.isfinite(v)]
    for key in not_numbers:
        data[key] = None
    if failed or not_numbers:
        log.warning(
            "%s %s shown with %s empty: not representable in JSON",
            type(row).__name__,
            getattr(row, "id", "?"),
            ", ".join(failed + not_numbers),
        )
    return data


def _field_by_field(row: SQLModel, exclude: frozenset[str]) -> tuple[dict[str, Any], list[str]]:
    data: dict[str, Any] = {}
    failed: list[str] = []
    for name in type(row).model_fields:
        if name in exclude:
            continue
        try:
            data.update(row.model_dump(mode="json", include={name}))
        except PydanticSerializationError:
            data[name] = None
            failed.append(name)
    return data, failed


def incident_summary(incident: Incident) -> dict[str, Any]:
    data = rendered(incident, exclude=_HIDDEN)
    data["has_embedding"] = incident.embedding is not None
    data["confidence_parts"] = {
        "classifier": data["confidence_classifier"],
        "similarity": data["confidence_similarity"],
        "history": data["confidence_history"],
        "total": data["confidence"],
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
                rendered(d, exclude=frozenset({"payload"}))
                for d in DeliveryRepository(session).for_incident(incident_id)
            ]
            data["attempts"] = _rows(
                session, RemediationAttempt, incident_id, RemediationAttempt.id
            )
            data["approvals"] = _rows(session, Approval, incident_id, Approval.id)
            data["feedback"] = _rows(session, Feedback, incident_id, Feedback.id)
            data["audit"] = [
                rendered(a) for a in AuditRepository(session).for_incident(incident_id)
            ]
            return mask_mapping(data)


def _rows(session, table, incident_id: int, order) -> list[dict[str, Any]]:
    stmt = select(table).where(table.incident_id == incident_id).order_by(order)
    return [rendered(row) for row in session.execute(stmt).scalars()]
