"""Ingest of signals about ongoing problems on the real database: coalescing under
concurrency, closing, enqueueing."""

import copy
import threading
from datetime import timedelta

from sqlalchemy import select

from app.adapters.database.repositories.attempts import AttemptRepository
from app.adapters.database.tables import Incident, RemediationAttempt, utcnow
from app.core.enums import AttemptStatus, IncidentStatus
from app.core.events.kubernetes import parse_kubernetes_payload
from app.services.ingest import IngestService
from app.services.verification import VerificationRecorder
from tests.support.cluster_api import fixture_json

BACKOFF = "kubernetes/event-exporter__pod-backoff.warning.json"


class RecordingQueue:
    def __init__(self) -> None:
        self.ids: list[int] = []

    def enqueue(self, incident_id: int) -> None:
        self.ids.append(incident_id)


def backoff(n: int):
    body = copy.deepcopy(fixture_json(BACKOFF))
    body["count"] = n
    return parse_kubernetes_payload(body)


def ingest_service(container, queue, **options) -> IngestService:
    return IngestService(
        container.db, queue, container.ingest.parsers, VerificationRecorder(), **options
    )


def all_incidents(container) -> list[Incident]:
    with container.db.session() as session:
        return list(session.execute(select(Incident).order_by(Incident.id)).scalars())


def test_concurrent_events_of_one_problem_create_one_incident(container):
    service = ingest_service(container, RecordingQueue())
    signals = [backoff(n) for n in range(40)]
    barrier = threading.Barrier(20)

    def send(chunk) -> None:
        barrier.wait()
        for signal in chunk:
            service.store(signal)

    threads = [threading.Thread(target=send, args=(signals[i::20],)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    [incident] = all_incidents(container)
    assert incident.occurrences == 40
    assert service.queue.ids == [incident.id]


def test_only_a_newly_created_incident_is_enqueued(container):
    queue = RecordingQueue()
    service = ingest_service(container, queue)
    [created] = service.store(backoff(1))
    [extended] = service.store(backoff(2))
    assert created.created and not extended.created and extended.coalesced
    assert queue.ids == [created.incident_id]


def test_extending_moves_last_seen_at_but_not_the_status(container):
    clock = iter([utcnow(), utcnow() + timedelta(minutes=3)])
    service = ingest_service(container, RecordingQueue(), clock=lambda: next(clock))
    service.store(backoff(1))
    service.store(backoff(2))
    [incident] = all_incidents(container)
    assert incident.status == IncidentStatus.RECEIVED
    assert incident.last_seen_at - incident.created_at >= timedelta(minutes=3)


def test_resolved_alert_closes_a_verifying_incident_and_verifies_its_attempt(container):
    service = ingest_service(container, RecordingQueue())
    [opened] = service.store(
        parse_kubernetes_payload(
            fixture_json("kubernetes/alertmanager__kubepodcrashlooping.firing.json")
        )
    )
    with container.db.session() as session:
        session.get(Incident, opened.incident_id).status = IncidentStatus.VERIFYING
        AttemptRepository(session).add(
            incident_id=opened.incident_id,
            action="restart_pod",
            params={"namespace": "shop", "pod": "checkout-7d9f8b6c5-x2lqz"},
            status=AttemptStatus.SUCCEEDED,
            finished_at=utcnow(),
        )
    [closed] = service.store(
        parse_kubernetes_payload(
            fixture_json("kubernetes/alertmanager__kubepodcrashlooping.resolved.json")
        )
    )
    assert closed.resolved == (opened.incident_id,)
    with container.db.session() as session:
        attempt = session.execute(select(RemediationAttempt)).scalar_one()
        assert attempt.status == AttemptStatus.VERIFIED
        assert session.get(Incident, opened.incident_id).status == IncidentStatus.RESOLVED


def test_resolved_alert_leaves_an_incident_being_remediated_alone(container):
    service = ingest_service(container, RecordingQueue())
    [opened] = service.store(
        parse_kubernetes_payload(
            fixture_json("kubernetes/alertmanager__kubepodcrashlooping.firing.json")
        )
    )
    with container.db.session() as session:
        session.get(Incident, opened.incident_id).status = IncidentStatus.REMEDIATING
    [closed] = service.store(
        parse_kubernetes_payload(
            fixture_json("kubernetes/alertmanager__kubepodcrashlooping.resolved.json")
        )
    )
    assert closed.resolved == () and "no open incident" in closed.ignored
    assert all_incidents(container)[0].status == IncidentStatus.REMEDIATING
