"""The local queue: the database is the queue (workers claim rows); this only wakes them early."""

import threading


class InProcessQueue:
    def __init__(self) -> None:
        self._wake = threading.Event()
        self.enqueued = 0

    def enqueue(self, incident_id: int) -> None:
        self.enqueued += 1
        self._wake.set()

    def wake(self) -> None:
        """Wake a waiting worker without enqueuing (shutdown)."""
        self._wake.set()

    def wait(self, timeout: float) -> None:
        """Block until something is enqueued or ``timeout`` seconds pass."""
        self._wake.wait(timeout)
        self._wake.clear()
