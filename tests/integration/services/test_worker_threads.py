"""Several worker threads share the claimed work: each incident is processed once, and more
than one is in flight at a time."""

import json
import threading
import time
import uuid

from app.services.worker import IncidentWorker, start_worker_threads
from tests.support.github_api import run_webhook
from tests.support.ingest import github_delivery

INCIDENTS = 8


class SlowProcessor:
    """Stands in for the pipeline: each incident takes a while (as GitHub calls do)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.processed: list[tuple[int, str]] = []
        self.in_flight = 0
        self.most_in_flight = 0

    def process(self, incident_id: int) -> None:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        time.sleep(0.2)
        with self.lock:
            self.in_flight -= 1
            self.processed.append((incident_id, threading.current_thread().name))


def store_incidents(container, count: int) -> set[int]:
    ids = set()
    for i in range(count):
        payload = json.loads(run_webhook(run_id=70_000 + i))
        [outcome] = container.ingest.receive(github_delivery(payload, delivery_id=str(uuid.uuid4())))
        ids.add(outcome.incident_id)
    return ids


def test_worker_threads_process_each_incident_once_and_several_at_a_time(container):
    ids = store_incidents(container, INCIDENTS)
    processor = SlowProcessor()
    stop = threading.Event()

    def new_worker(worker_id: str) -> IncidentWorker:
        return IncidentWorker(container.db, processor, poll_seconds=0.05, worker_id=worker_id)

    threads = start_worker_threads(new_worker, stop, 4)
    try:
        deadline = time.monotonic() + 30
        while len(processor.processed) < INCIDENTS and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)

    processed_ids = [incident_id for incident_id, _ in processor.processed]
    assert sorted(processed_ids) == sorted(ids)  # every one, none twice
    assert processor.most_in_flight > 1
    assert len({name for _, name in processor.processed}) > 1
    assert not any(thread.is_alive() for thread in threads)
