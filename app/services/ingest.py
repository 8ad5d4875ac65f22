"""Ingest: one delivery → one short transaction (delivery row + incident upsert) → enqueue.

No outbound call happens here: this runs on the webhook's request path.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from app.adapters.database.engine import Database
from app.adapters.database.repositories.audit import AuditRepository
from app.adapters.database.repositories.deliveries import DeliveryRepository
from app.adapters.database.repositories.incidents import IncidentRepository
from app.core.enums import IncidentSource
from app.core.errors import IntegrationError
from app.core.events.models import (
    FailureObserved,
    Ignored,
    IncidentDraft,
    ParsedEvent,
    Ping,
    RunCompleted,
)
from app.core.metrics import Metrics, NullMetrics
from app.core.ports import Queue
from app.core.redaction import mask_mapping

log = logging.getLogger(__name__)

EventParser = Callable[[str, dict[str, Any]], ParsedEvent]


class Correlator(Protocol):
    """Closes the loop on earlier remediations from what a new delivery says."""

    def run_completed(self, session: Any, event: RunCompleted) -> int | None: ...

    def run_failed_again(
        self, session: Any, draft: IncidentDraft, new_incident_id: int
    ) -> None: ...


@dataclass(frozen=True)
class IngestOutcome:
    """What the webhook answers. ``duplicate`` means this delivery id was seen before."""

    incident_id: int | None = None
    status: str | None = None
    ignored: str | None = None
    ping: bool = False
    duplicate: bool = False
    created: bool = False


class IngestService:
    def __init__(
        self,
        db: Database,
        queue: Queue,
        parsers: dict[IncidentSource, EventParser],
        *,
        correlator: Correlator | None = None,
        metrics: Metrics | None = None,
    ):
        self.db = db
        self.queue = queue
        self.parsers = parsers
        self.correlator = correlator
        self.metrics = metrics or NullMetrics()

    def parse(
        self, source: IncidentSource, event_type: str, payload: dict[str, Any]
    ) -> ParsedEvent:
        """Parse before touching the database, so malformed payloads store nothing."""
        return self.parsers[source](event_type, payload)

    def ingest(
        self,
        *,
        source: IncidentSource,
        delivery_id: str,
        event_type: str,
        payload: dict[str, Any],
        event: ParsedEvent,
    ) -> IngestOutcome:
        with self.db.session() as session:
            deliveries = DeliveryRepository(session)
            delivery_pk = deliveries.insert_once(
                source=source.value,
                delivery_id=delivery_id,
                event_type=event_type,
                # The raw payload is kept for replay, but never with a secret in it.
                payload=mask_mapping(payload),
            )
            if delivery_pk is None:
                return self._redelivery(session, source, delivery_id)
            outcome = self._apply(session, event)
            deliveries.record_outcome(
                delivery_pk,
                outcome=_outcome_name(outcome),
                incident_id=outcome.incident_id,
                ignored_reason=outcome.ignored,
            )
        if outcome.incident_id is not None and outcome.status == "received":
            self._enqueue(outcome.incident_id)
        return outcome

    def _enqueue(self, incident_id: int) -> None:
        """The incident is stored: a queue failure must not fail the delivery. Workers and
        the sweep claim ``received`` incidents from the database, so it is only delayed."""
        try:
            self.queue.enqueue(incident_id)
        except IntegrationError as exc:
            log.warning(
                "incident %s stored but not enqueued (%s); the sweep will pick it up",
                incident_id,
                exc,
            )

    def _apply(self, session, event: ParsedEvent) -> IngestOutcome:
        if isinstance(event, Ping):
            return IngestOutcome(ping=True)
        if isinstance(event, Ignored):
            return IngestOutcome(ignored=event.reason)
        if isinstance(event, RunCompleted):
            return self._run_completed(session, event)
        assert isinstance(event, FailureObserved)
        result = IncidentRepository(session).upsert(event.draft)
        if result.created:
            self.metrics.count("incidents_created", source=event.draft.source.value)
            AuditRepository(session).append(
                "incident.created",
                incident_id=result.incident_id,
                actor=event.draft.source.value,
                details={"dedup_key": event.draft.dedup_key, "title": event.draft.title},
            )
            if self.correlator is not None:
                self.correlator.run_failed_again(session, event.draft, result.incident_id)
        return IngestOutcome(
            incident_id=result.incident_id, status=result.status, created=result.created
        )

    def _run_completed(self, session, event: RunCompleted) -> IngestOutcome:
        if self.correlator is not None:
            incident_id = self.correlator.run_completed(session, event)
            if incident_id is not None:
                incident = IncidentRepository(session).get(incident_id)
                return IngestOutcome(incident_id=incident_id, status=incident.status)
        return IngestOutcome(ignored=f"workflow_run concluded {event.conclusion!r}")

    @staticmethod
    def _redelivery(session, source: IncidentSource, delivery_id: str) -> IngestOutcome:
        original = DeliveryRepository(session).find(source=source.value, delivery_id=delivery_id)
        log.info("redelivery of %s delivery %s", source.value, delivery_id)
        incident = (
            IncidentRepository(session).get(original.incident_id) if original.incident_id else None
        )
        return IngestOutcome(
            incident_id=original.incident_id,
            status=incident.status if incident else None,
            ignored=original.ignored_reason,
            ping=original.outcome == "ping",
            duplicate=True,
        )


def _outcome_name(outcome: IngestOutcome) -> str:
    if outcome.ping:
        return "ping"
    if outcome.ignored is not None:
        return "ignored"
    return "incident"
