"""The in-process worker: claims incidents with SKIP LOCKED and hands each to the pipeline."""

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from app.adapters.database.engine import Database
from app.adapters.database.repositories.incidents import IncidentRepository
from app.adapters.queue.in_process import InProcessQueue
from app.services.pipeline import EventProcessor

log = logging.getLogger(__name__)


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


class IncidentWorker:
    def __init__(
        self,
        db: Database,
        processor: EventProcessor,
        *,
        batch_size: int = 5,
        poll_seconds: float = 2.0,
        claim_timeout: timedelta = timedelta(minutes=10),
        wakeup: InProcessQueue | None = None,
        worker_id: str | None = None,
        notify: Callable[[], object] | None = None,
    ):
        self.db = db
        self.processor = processor
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.claim_timeout = claim_timeout
        self.wakeup = wakeup
        self.worker_id = worker_id or default_worker_id()
        self.notify = notify

    def claim(self) -> list[int]:
        with self.db.session() as session:
            return IncidentRepository(session).claim(
                worker_id=self.worker_id, limit=self.batch_size, stale_after=self.claim_timeout
            )

    def process_incident(self, incident_id: int) -> bool:
        """Process one named incident if it is claimable; redelivered messages do nothing twice."""
        with self.db.session() as session:
            claimed = IncidentRepository(session).claim_one(
                incident_id, worker_id=self.worker_id, stale_after=self.claim_timeout
            )
        if claimed:
            self.processor.process(incident_id)
        return claimed

    def run_once(self) -> int:
        """Claim one batch and process it; return how many incidents were processed."""
        ids = self.claim()
        for incident_id in ids:
            self.processor.process(incident_id)
        return len(ids)

    def drain(self, *, max_rounds: int = 100) -> int:
        """Process until nothing is claimable (tests and the CLI use this)."""
        total = 0
        for _ in range(max_rounds):
            done = self.run_once()
            if done == 0:
                break
            total += done
        return total

    def run_forever(self, stop: threading.Event) -> None:
        log.info("worker %s started", self.worker_id)
        while not stop.is_set():
            try:
                done = self.run_once()
            except Exception:  # the loop must survive a database blip
                log.exception("worker loop error; retrying in %.1fs", self.poll_seconds)
                stop.wait(self.poll_seconds)
                continue
            if self.notify is not None:
                self.notify()  # Slack delivery never raises; backed-off rows come due when idle
            if done:
                continue
            if self.wakeup is not None:
                self.wakeup.wait(self.poll_seconds)
            else:
                stop.wait(self.poll_seconds)
        log.info("worker %s stopped", self.worker_id)


def start_worker_threads(
    new_worker: Callable[[str], IncidentWorker], stop: threading.Event, count: int
) -> list[threading.Thread]:
    """``count`` daemon threads, each running its own worker (its own id) until ``stop``.
    Claims use SKIP LOCKED, so the threads never take the same incident."""
    threads = []
    for number in range(1, count + 1):
        worker = new_worker(f"{socket.gethostname()}:{os.getpid()}:w{number}")
        thread = threading.Thread(
            target=worker.run_forever, args=(stop,), name=f"worker-{number}", daemon=True
        )
        thread.start()
        threads.append(thread)
    return threads


def stop_worker_threads(
    threads: list[threading.Thread], stop: threading.Event, queue: object, timeout: float = 30.0
) -> None:
    """Ask the threads to stop, wake those waiting on the in-process queue, and give them
    ``timeout`` seconds in all to finish the incident in hand."""
    stop.set()
    if isinstance(queue, InProcessQueue):
        queue.wake()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
