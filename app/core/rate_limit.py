"""Failed key checks per client address: a sliding window over the last failures.

An address that failed ``max_failures`` key checks within ``window_seconds`` is refused until
its oldest failure leaves the window, whatever key it presents then: guessing proceeds at most
``max_failures`` tries per window. Memory is bounded: at most ``max_failures`` timestamps for
each of at most ``max_clients`` addresses; addresses whose failures have all left the window
are dropped first, then the least recently failing ones. One lock guards it: the API's event
loop and its threads may share one limiter.
"""

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable


class AuthFailureLimiter:
    def __init__(
        self,
        *,
        max_failures: int,
        window_seconds: float,
        max_clients: int,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._max_failures = max_failures
        self._window = window_seconds
        self._max_clients = max_clients
        self._clock = clock
        self._lock = threading.Lock()
        # Least recently failing address first.
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._failures)

    def retry_after(self, client: str) -> int | None:
        """Whole seconds before ``client`` may try a key again; None when it may now."""
        with self._lock:
            failures = self._failures.get(client)
            if failures is None or len(failures) < self._max_failures:
                return None
            wait = failures[0] + self._window - self._clock()
        return math.ceil(wait) if wait > 0 else None

    def record_failure(self, client: str) -> None:
        now = self._clock()
        with self._lock:
            failures = self._failures.pop(client, None) or deque(maxlen=self._max_failures)
            failures.append(now)
            self._failures[client] = failures
            self._forget(now)

    def _forget(self, now: float) -> None:
        while self._failures:
            client, failures = next(iter(self._failures.items()))
            expired = failures[-1] + self._window <= now
            if not expired and len(self._failures) <= self._max_clients:
                return
            del self._failures[client]
