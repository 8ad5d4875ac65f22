"""Cluster ingest: the signals of one Kubernetes or Argo CD delivery → one short transaction.

Per signal: a delivery row, inserted once (a redelivery is acknowledged, not re-applied);
then, under a transaction-scoped advisory lock on its coalescing key, either one UPDATE that
counts another occurrence on the open incident, or a new incident. A "resolved" signal closes
the open incident(s) it names. Only newly created incidents are enqueued. No outbound call
happens here: this runs on the webhook's request path.
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from app.adapters.database.engine import Database
from app.adapters.database.repositories.cluster_incidents import ClusterIncidentRepository
from app.adapters.database.repositories.deliveries import DeliveryRepository
from app.adapters.database.repositories.incidents import IncidentRepository
from app.adapters.database.tables import utcnow
from app.core.enums import IncidentStatus
from app.core.errors import IntegrationError
from app.core.events.cluster import ClusterSignal, Resolved
from app.core.events.models import FailureObserved, Ignored
from app.core.ports import Queue
from app.core.redaction import mask_mapping
from app.domain.audit import AuditEvent
from app.domain.verification import FailureCleared
from app.services.audit_trail import record_event
from app.services.verification import VerificationRecorder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignalOutcome:
    """What happened to one signal. ``duplicate``: its delivery id was seen before."""

    delivery_id: str
    incident_id: int | None = None
    status: str | None = None
    created: bool = False
    coalesced: bool = False
    resolved: tuple[int, ...] = field(default_factory=tuple)
    ignored: str | None = None
    duplicate: bool = False

    @property
    def outcome(self) -> str:
        if self.ignored is not None:
            return "ignored"
        if self.resolved:
            return "resolved"
        return "incident" if self.incident_id is not None else "nothing_open"


@dataclass
class DeliveryRanks:
    """Numbers the incidents one body creates when it carries several signals, so that the
    claim order takes the first of every delivery before the second of any."""

    several: bool
    created: int = 0

    def next(self) -> int | None:
        self.created += 1
        return self.created if self.several else None


class ClusterIngestService:
    def __init__(
        self,
        db: Database,
        queue: Queue,
        *,
        clock: Callable[[], datetime] = utcnow,
        recorder: VerificationRecorder | None = None,
    ):
        self.db = db
        self.queue = queue
        self.clock = clock
        self.recorder = recorder or VerificationRecorder()

    def ingest(self, signals: Sequence[ClusterSignal]) -> list[SignalOutcome]:
        """Record every signal in one transaction; outcomes come back in the signals' order."""
        # Nothing a sender wrote is stored with a secret in it: each signal's payload, event
        # and delivery id are masked in one pass (also the keys that find open incidents).
        signals = [mask_mapping(signal) for signal in signals]
        order = sorted(range(len(signals)), key=lambda i: signals[i].delivery_id)
        ranks = DeliveryRanks(several=len(signals) > 1)
        outcomes: dict[int, SignalOutcome] = {}
        with self.db.session() as session:
            incidents = ClusterIncidentRepository(session)
            # Locks in one global order, taken before any row is written: no deadlocks.
            for key in sorted({s.lock_key for s in signals if s.lock_key}):
                incidents.lock(key)
            for i in order:
                outcomes[i] = self._one(session, signals[i], ranks)
        for outcome in outcomes.values():
            if outcome.created:
                self._enqueue(outcome.incident_id)
        return [outcomes[i] for i in range(len(signals))]

    def _one(self, session: Session, signal: ClusterSignal, ranks: DeliveryRanks) -> SignalOutcome:
        deliveries = DeliveryRepository(session)
        delivery_pk = deliveries.insert_once(
            source=signal.source.value,
            delivery_id=signal.delivery_id,
            event_type=signal.event_type,
            payload=signal.payload,
        )
        if delivery_pk is None:
            return self._redelivery(session, signal)
        outcome = self._apply(session, signal, ranks)
        deliveries.record_outcome(
            delivery_pk,
            outcome=outcome.outcome,
            incident_id=outcome.incident_id,
            ignored_reason=outcome.ignored,
        )
        return outcome

    def _apply(
        self, session: Session, signal: ClusterSignal, ranks: DeliveryRanks
    ) -> SignalOutcome:
        event = signal.event
        if isinstance(event, Ignored):
            return SignalOutcome(signal.delivery_id, ignored=event.reason)
        if isinstance(event, Resolved):
            return self._resolve(session, signal.delivery_id, event)
        assert isinstance(event, FailureObserved)
        return self._observe(session, signal.delivery_id, event, ranks)

    def _observe(
        self, session: Session, delivery_id: str, event: FailureObserved, ranks: DeliveryRanks
    ) -> SignalOutcome:
        draft, now = event.draft, self.clock()
        incidents = ClusterIncidentRepository(session)
        extended = incidents.extend_open(
            source=draft.source.value,
            fingerprint=draft.fingerprint,
            coalesce_key=draft.dedup_key,
            seen_at=now,
        )
        if extended is not None:
            return SignalOutcome(
                delivery_id,
                incident_id=extended.incident_id,
                status=extended.status,
                coalesced=True,
            )
        incident_id = incidents.create(draft, seen_at=now, delivery_rank=ranks.next())
        record_event(
            session,
            AuditEvent.INCIDENT_CREATED,
            incident_id=incident_id,
            actor=draft.source.value,
            details={"coalesce_key": draft.dedup_key, "title": draft.title},
        )
        return SignalOutcome(
            delivery_id,
            incident_id=incident_id,
            status=IncidentStatus.RECEIVED.value,
            created=True,
        )

    def _resolve(self, session: Session, delivery_id: str, event: Resolved) -> SignalOutcome:
        now = self.clock()
        closed = []
        for incident in ClusterIncidentRepository(session).open_for(
            source=event.source.value,
            fingerprint=event.fingerprint,
            coalesce_key=event.coalesce_key,
        ):
            cleared = FailureCleared(incident.id, event.reason, now)
            if self.recorder.record(session, cleared) is not None:
                closed.append(incident.id)
        if not closed:
            return SignalOutcome(delivery_id, ignored=f"{event.reason}; no open incident")
        return SignalOutcome(
            delivery_id,
            incident_id=closed[0],
            status=IncidentStatus.RESOLVED.value,
            resolved=tuple(closed),
        )

    def _enqueue(self, incident_id: int | None) -> None:
        """The incident is stored: a queue failure only delays it (workers claim from the table)."""
        if incident_id is None:
            return
        try:
            self.queue.enqueue(incident_id)
        except IntegrationError as exc:
            log.warning("incident %s stored but not enqueued (%s)", incident_id, exc)

    @staticmethod
    def _redelivery(session: Session, signal: ClusterSignal) -> SignalOutcome:
        original = DeliveryRepository(session).find(
            source=signal.source.value, delivery_id=signal.delivery_id
        )
        incident = (
            IncidentRepository(session).get(original.incident_id)
            if original is not None and original.incident_id
            else None
        )
        return SignalOutcome(
            signal.delivery_id,
            incident_id=incident.id if incident else None,
            status=incident.status if incident else None,
            ignored=original.ignored_reason if original else None,
            duplicate=True,
        )
