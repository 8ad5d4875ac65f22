"""Ingest: one verified delivery → its signals → one short transaction → enqueue.

The same for every source: the source's parser (the registry the composition root builds)
turns the delivery into signals (app/core/events/signals.py), and this service stores them:

- a redelivery (a signal's delivery id seen before) is acknowledged with the first answer;
- a failure of one occurrence (a run attempt) is upserted into its incident;
- a failure of an ongoing problem extends the open incident of its key (storm coalescing)
  or opens a new one, under an advisory lock on the key;
- "resolved" closes the open incident(s) it names, through the verification recorder;
- a run that completed may close the loop on an earlier fix (the same recorder), and so may a
  closed pull request that proposed a fix (merged: it worked; closed unmerged: it did not);
- every incident created is enqueued after the commit.

A delivery of one run attempt's first failure is the hot path of a busy CI: it is one
autocommitted statement (app/adapters/database/repositories/ingest.py). No outbound call
happens here: this runs on the webhook's request path.
"""

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session

from app.adapters.database.engine import Database
from app.adapters.database.repositories.deliveries import DeliveryRepository
from app.adapters.database.repositories.episodes import EpisodeRepository
from app.adapters.database.repositories.incidents import IncidentRepository
from app.adapters.database.repositories.ingest import (
    DeliveryRow,
    IngestRepository,
    RecordedFailure,
)
from app.adapters.database.tables import utcnow
from app.core.enums import IncidentSource, IncidentStatus
from app.core.errors import IntegrationError
from app.core.events.models import (
    FailureObserved,
    Ignored,
    Ping,
    PullRequestClosed,
    RunCompleted,
)
from app.core.events.signals import Delivery, Resolved, Signal, SourceParser
from app.core.metrics import Metrics, NullMetrics
from app.core.ports import Queue
from app.core.redaction import mask_mapping
from app.core.targets import RunTarget
from app.domain.audit import AuditEvent
from app.domain.verification import (
    FailureCleared,
    FixPullRequestClosed,
    Observation,
    RunAttemptConcluded,
)
from app.services.audit_trail import record_event

log = logging.getLogger(__name__)


class Recorder(Protocol):
    """Records what a delivery says about the outcome of earlier work (a later run attempt, a
    resolved alert): the verification recorder (app/services/verification.py)."""

    def record(self, session: Any, observation: Observation) -> int | None: ...


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
    ping: bool = False
    duplicate: bool = False

    @property
    def outcome(self) -> str:
        """What the delivery row records."""
        if self.ping:
            return "ping"
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


class IngestService:
    def __init__(
        self,
        db: Database,
        queue: Queue,
        parsers: Mapping[IncidentSource, SourceParser],
        recorder: Recorder,
        *,
        metrics: Metrics | None = None,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.db = db
        self.queue = queue
        self.parsers = parsers
        self.recorder = recorder
        self.metrics = metrics or NullMetrics()
        self.clock = clock

    def receive(self, delivery: Delivery) -> list[SignalOutcome]:
        """Parse the delivery with its source's parser (nothing is stored when that fails),
        store its signals and enqueue what they created; outcomes in the signals' order."""
        signals = self.parsers[delivery.source](delivery)
        whole_body = len(signals) == 1 and signals[0].payload is delivery.payload
        return self.store(signals, body=delivery.body if whole_body else None)

    def store(self, signals: Sequence[Signal], *, body: bytes | None = None) -> list[SignalOutcome]:
        """Record every signal in one transaction (or one statement), then enqueue.

        ``body``: the JSON text the one signal's payload was decoded from, stored as it is
        when masking changes nothing (a 20 KB payload is not serialized again).
        """
        # Nothing a sender wrote is stored or answered with a secret in it: each signal's
        # payload, event, delivery id and event type are masked in one pass.
        masked = [mask_mapping(signal) for signal in signals]
        if body is not None and masked[0] is not signals[0]:
            body = None
        if len(masked) == 1 and _one_statement(masked[0]):
            outcomes = [self._record_failure_alone(masked[0], body)]
        else:
            outcomes = self._record_in_transaction(masked)
        for outcome in outcomes:
            log.info(
                "%s delivery %s: incident=%s ignored=%s duplicate=%s",
                signals[0].source.value,
                outcome.delivery_id,
                outcome.incident_id,
                outcome.ignored,
                outcome.duplicate,
            )
            if outcome.created:
                self.metrics.count("incidents_created", source=signals[0].source.value)
                self._enqueue(outcome.incident_id)
        return outcomes

    # --- the one-statement path -----------------------------------------------------------
    def _record_failure_alone(self, signal: Signal, body: bytes | None) -> SignalOutcome:
        assert isinstance(signal.event, FailureObserved)
        with self.db.autocommit() as connection:
            recorded = IngestRepository(connection).record_failure(
                _delivery_row(signal, body), signal.event.draft
            )
        if recorded is None:  # seen before: the first answer stands
            with self.db.session() as session:
                return self._redelivery(session, signal)
        return _recorded(signal, recorded)

    # --- one transaction for the signals of a delivery --------------------------------------
    def _record_in_transaction(self, signals: Sequence[Signal]) -> list[SignalOutcome]:
        order = sorted(range(len(signals)), key=lambda i: signals[i].delivery_id)
        ranks = DeliveryRanks(several=len(signals) > 1)
        outcomes: dict[int, SignalOutcome] = {}
        with self.db.session() as session:
            episodes = EpisodeRepository(session)
            # Locks in one global order, taken before any row is written: no deadlocks.
            for key in sorted({s.lock_key for s in signals if s.lock_key}):
                episodes.lock(key)
            for i in order:
                outcomes[i] = self._one(session, signals[i], ranks)
        return [outcomes[i] for i in range(len(signals))]

    def _one(self, session: Session, signal: Signal, ranks: DeliveryRanks) -> SignalOutcome:
        event = signal.event
        if isinstance(event, FailureObserved) and not event.coalesce:
            return self._upsert(session, signal, event)
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

    def _upsert(self, session: Session, signal: Signal, event: FailureObserved) -> SignalOutcome:
        """The one-statement upsert, inside the transaction: the failure of a later run attempt
        also judges the fix that started it, in the same transaction."""
        savepoint = session.begin_nested()
        statements = IngestRepository(session.connection())
        recorded = statements.record_failure(_delivery_row(signal, None), event.draft)
        if recorded is None:  # a concurrent request stored the delivery: undo what merged
            savepoint.rollback()
            return self._redelivery(session, signal)
        savepoint.commit()
        if recorded.created:
            later = RunAttemptConcluded.failed_again(
                event.draft, recorded.incident_id, at=self.clock()
            )
            if later is not None:
                self.recorder.record(session, later)
        return _recorded(signal, recorded)

    def _apply(self, session: Session, signal: Signal, ranks: DeliveryRanks) -> SignalOutcome:
        event, delivery_id = signal.event, signal.delivery_id
        if isinstance(event, Ping):
            return SignalOutcome(delivery_id, ping=True)
        if isinstance(event, Ignored):
            return SignalOutcome(delivery_id, ignored=event.reason)
        if isinstance(event, Resolved):
            return self._resolve(session, delivery_id, event)
        if isinstance(event, RunCompleted):
            return self._run_completed(session, delivery_id, event)
        if isinstance(event, PullRequestClosed):
            return self._pull_request_closed(session, delivery_id, event)
        return self._coalesce(session, delivery_id, event, ranks)

    def _coalesce(
        self, session: Session, delivery_id: str, event: FailureObserved, ranks: DeliveryRanks
    ) -> SignalOutcome:
        draft, now = event.draft, self.clock()
        episodes = EpisodeRepository(session)
        extended = episodes.extend_open(
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
        incident_id = episodes.create(draft, seen_at=now, delivery_rank=ranks.next())
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
        closed: list[int] = []
        for incident_id in EpisodeRepository(session).open_for(
            source=event.source.value,
            fingerprint=event.fingerprint,
            coalesce_key=event.coalesce_key,
        ):
            cleared = FailureCleared(incident_id, event.reason, now)
            if self.recorder.record(session, cleared) is not None:
                closed.append(incident_id)
        if not closed:
            return SignalOutcome(delivery_id, ignored=f"{event.reason}; no open incident")
        return SignalOutcome(
            delivery_id,
            incident_id=closed[0],
            status=IncidentStatus.RESOLVED.value,
            resolved=tuple(closed),
        )

    def _run_completed(
        self, session: Session, delivery_id: str, event: RunCompleted
    ) -> SignalOutcome:
        concluded = RunAttemptConcluded.completed(event, at=self.clock())
        incident_id = self.recorder.record(session, concluded)
        if incident_id is None:
            return SignalOutcome(
                delivery_id, ignored=f"workflow_run concluded {event.conclusion!r}"
            )
        incident = IncidentRepository(session).get(incident_id)
        status = incident.status if incident is not None else None
        return SignalOutcome(delivery_id, incident_id=incident_id, status=status)

    def _pull_request_closed(
        self, session: Session, delivery_id: str, event: PullRequestClosed
    ) -> SignalOutcome:
        closed = FixPullRequestClosed(
            event.repo, event.number, event.merged, event.closed_at or self.clock()
        )
        incident_id = self.recorder.record(session, closed)
        if incident_id is None:
            return SignalOutcome(delivery_id, ignored=f"{closed.reason}; no fix awaits it")
        incident = IncidentRepository(session).get(incident_id)
        status = incident.status if incident is not None else None
        return SignalOutcome(delivery_id, incident_id=incident_id, status=status)

    def _enqueue(self, incident_id: int | None) -> None:
        """The incident is stored: a queue failure must not fail the delivery. Workers and
        the sweep claim ``received`` incidents from the database, so it is only delayed."""
        if incident_id is None:
            return
        try:
            self.queue.enqueue(incident_id)
        except IntegrationError as exc:
            log.warning(
                "incident %s stored but not enqueued (%s); the sweep will pick it up",
                incident_id,
                exc,
            )

    @staticmethod
    def _redelivery(session: Session, signal: Signal) -> SignalOutcome:
        log.info("redelivery of %s delivery %s", signal.source.value, signal.delivery_id)
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
            ping=original is not None and original.outcome == "ping",
            duplicate=True,
        )


def _one_statement(signal: Signal) -> bool:
    """A run attempt's first failure is one statement, which commits by itself. The failure
    of a re-run may judge an earlier fix (the recorder): that must happen in the same
    transaction."""
    event = signal.event
    if not isinstance(event, FailureObserved) or event.coalesce:
        return False
    target = event.draft.target
    return not isinstance(target, RunTarget) or target.run_attempt <= 1


def _recorded(signal: Signal, recorded: RecordedFailure) -> SignalOutcome:
    return SignalOutcome(
        signal.delivery_id,
        incident_id=recorded.incident_id,
        status=recorded.status,
        created=recorded.created,
    )


def _delivery_row(signal: Signal, body: bytes | None) -> DeliveryRow:
    return DeliveryRow(
        source=signal.source.value,
        delivery_id=signal.delivery_id,
        event_type=signal.event_type,
        payload_json=_payload_json(signal.payload, body),
    )


def _payload_json(payload: dict[str, Any], body: bytes | None) -> str:
    """The payload as JSON text. Payloads almost never hold a secret: then the body that
    arrived is the text, and nothing is serialized again (None: the payload was masked)."""
    if body is None:
        return json.dumps(payload)
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:  # JSON in UTF-16/32, which json.loads also accepts
        return json.dumps(payload)
