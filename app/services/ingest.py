"""Ingest: one delivery → one short transaction (one statement for a failure) → enqueue.

No outbound call happens here: this runs on the webhook's request path.
"""

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from app.adapters.database.engine import Database
from app.adapters.database.repositories.deliveries import DeliveryRepository
from app.adapters.database.repositories.incidents import IncidentRepository
from app.adapters.database.repositories.ingest import (
    DeliveryRow,
    IngestRepository,
    RecordedFailure,
)
from app.adapters.database.tables import utcnow
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
from app.domain.verification import RunAttemptConcluded

log = logging.getLogger(__name__)

EventParser = Callable[[str, dict[str, Any]], ParsedEvent]


class Correlator(Protocol):
    """Closes the loop on earlier remediations from what a new delivery says: the verification
    recorder (``app.services.verification``), fed a later attempt of a run."""

    def record(self, session: Any, observation: RunAttemptConcluded) -> int | None: ...


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
        body: bytes | None = None,
    ) -> IngestOutcome:
        """Store the delivery and what it says in one transaction, then enqueue the incident.

        ``body`` is the payload as it arrived: stored as it is when masking changes nothing.
        """
        # Nothing a sender wrote is stored or answered with a secret in it: the payload (kept
        # for replay), what the parser made of it and the header values, masked in one pass.
        received = (payload, event, delivery_id, event_type)
        masked = mask_mapping(received)
        payload, event, delivery_id, event_type = masked
        delivery = DeliveryRow(
            source=source.value,
            delivery_id=delivery_id,
            event_type=event_type,
            payload_json=_payload_json(payload, body if masked is received else None),
        )
        if _one_statement(event, self.correlator):
            outcome = self._record_failure_alone(delivery, event.draft)
        else:
            outcome = self._record_in_transaction(delivery, event)
        if outcome is None:  # seen before: the first answer stands
            return self._redelivery(source, delivery_id)
        if outcome.created:
            self.metrics.count("incidents_created", source=source.value)
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

    def _record_failure_alone(
        self, delivery: DeliveryRow, draft: IncidentDraft
    ) -> IngestOutcome | None:
        with self.db.autocommit() as connection:
            return _failure_outcome(IngestRepository(connection).record_failure(delivery, draft))

    def _record_in_transaction(
        self, delivery: DeliveryRow, event: ParsedEvent
    ) -> IngestOutcome | None:
        with self.db.session() as session:
            outcome = self._record(session, delivery, event)
            if outcome is None:
                session.rollback()  # whatever this transaction did is undone
        return outcome

    def _record(self, session, delivery: DeliveryRow, event: ParsedEvent) -> IngestOutcome | None:
        """Apply the event and store the delivery with its outcome; None when already stored."""
        statements = IngestRepository(session.connection())
        if isinstance(event, FailureObserved):
            outcome = _failure_outcome(statements.record_failure(delivery, event.draft))
            if outcome is not None and outcome.created and self.correlator is not None:
                later = RunAttemptConcluded.failed_again(
                    event.draft, outcome.incident_id, at=utcnow()
                )
                if later is not None:
                    self.correlator.record(session, later)
            return outcome
        outcome = self._apply(session, event)
        stored = statements.record_delivery(
            delivery,
            outcome=_outcome_name(outcome),
            incident_id=outcome.incident_id,
            ignored_reason=outcome.ignored,
        )
        return outcome if stored else None

    def _apply(self, session, event: ParsedEvent) -> IngestOutcome:
        if isinstance(event, Ping):
            return IngestOutcome(ping=True)
        if isinstance(event, Ignored):
            return IngestOutcome(ignored=event.reason)
        assert isinstance(event, RunCompleted)
        if self.correlator is not None:
            concluded = RunAttemptConcluded.completed(event, at=utcnow())
            incident_id = self.correlator.record(session, concluded)
            if incident_id is not None:
                incident = IncidentRepository(session).get(incident_id)
                return IngestOutcome(incident_id=incident_id, status=incident.status)
        return IngestOutcome(ignored=f"workflow_run concluded {event.conclusion!r}")

    def _redelivery(self, source: IncidentSource, delivery_id: str) -> IngestOutcome:
        log.info("redelivery of %s delivery %s", source.value, delivery_id)
        with self.db.session() as session:
            original = DeliveryRepository(session).find(
                source=source.value, delivery_id=delivery_id
            )
            incident_id = original.incident_id
            incident = IncidentRepository(session).get(incident_id) if incident_id else None
        return IngestOutcome(
            incident_id=incident_id,
            status=incident.status if incident else None,
            ignored=original.ignored_reason,
            ping=original.outcome == "ping",
            duplicate=True,
        )


def _failure_outcome(result: RecordedFailure | None) -> IngestOutcome | None:
    if result is None:
        return None
    return IngestOutcome(
        incident_id=result.incident_id, status=result.status, created=result.created
    )


def _one_statement(event: ParsedEvent, correlator: Correlator | None) -> bool:
    """A run's first failure is one statement, which commits by itself. The failure of a re-run
    may close an earlier fix (the correlator): that must happen in the same transaction."""
    if not isinstance(event, FailureObserved):
        return False
    return correlator is None or (event.draft.run_attempt or 1) <= 1


def _payload_json(payload: dict[str, Any], body: bytes | None) -> str:
    """The payload as JSON text. Payloads almost never hold a secret: then the body that
    arrived is the text, and nothing is serialized again (None: the payload was masked)."""
    if body is None:
        return json.dumps(payload)
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:  # JSON in UTF-16/32, which json.loads also accepts
        return json.dumps(payload)


def _outcome_name(outcome: IngestOutcome) -> str:
    if outcome.ping:
        return "ping"
    if outcome.ignored is not None:
        return "ignored"
    return "incident"
