"""webhook_deliveries: insert-once by (source, delivery_id)."""

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from app.adapters.database.tables import WebhookDelivery


class DeliveryRepository:
    def __init__(self, session: Session):
        self.session = session

    def insert_once(
        self, *, source: str, delivery_id: str, event_type: str, payload: dict[str, Any]
    ) -> int | None:
        """Insert the delivery; return its id, or None when (source, delivery_id) already exists.

        ON CONFLICT waits for a concurrent inserter of the same key to commit, so exactly one
        of N racing requests gets an id.
        """
        stmt = (
            insert(WebhookDelivery)
            .values(source=source, delivery_id=delivery_id, event_type=event_type, payload=payload)
            .on_conflict_do_nothing(constraint="uq_webhook_deliveries_source_delivery")
            .returning(col(WebhookDelivery.id))
        )
        return self.session.execute(stmt).scalar_one_or_none()

    def find(self, *, source: str, delivery_id: str) -> WebhookDelivery | None:
        stmt = select(WebhookDelivery).where(
            col(WebhookDelivery.source) == source, col(WebhookDelivery.delivery_id) == delivery_id
        )
        return self.session.execute(stmt).scalar_one_or_none()

    def record_outcome(
        self,
        delivery_pk: int,
        *,
        outcome: str,
        incident_id: int | None = None,
        ignored_reason: str | None = None,
    ) -> None:
        self.session.execute(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id) == delivery_pk)
            .values(outcome=outcome, incident_id=incident_id, ignored_reason=ignored_reason)
        )

    def for_incident(self, incident_id: int) -> list[WebhookDelivery]:
        stmt = (
            select(WebhookDelivery)
            .where(col(WebhookDelivery.incident_id) == incident_id)
            .order_by(col(WebhookDelivery.received_at))
        )
        return list(self.session.execute(stmt).scalars())
