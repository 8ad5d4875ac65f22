"""The one retry point every outbound integration shares: timeouts, tenacity retries on
429/5xx/transport errors honouring Retry-After and rate-limit resets, bounded concurrency,
a deadline on every call (and the incident's time budget), and a circuit breaker, so a dead
dependency fails fast as retryable and the incidents that need it wait for a later retry."""

import email.utils
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.stop import stop_base

from app.core.deadline import deadline, remaining, time_budget
from app.core.errors import CircuitOpenError, IntegrationError

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
# However long a server asks CodeHealer to wait (Retry-After, a rate-limit reset), work waits
# at most this long before it is tried again: a date years away, from a broken clock or a
# hostile proxy, must not park an incident until then.
MAX_RETRY_AFTER_SECONDS = 15 * 60.0
_ASCII_DIGITS = re.compile(r"[0-9]+")  # str.isdigit() also takes "²" and "١", float() not all


class CircuitBreaker:
    """Opens after ``threshold`` consecutive failures; lets one probe through after ``reset_after``."""

    def __init__(
        self,
        *,
        threshold: int = 5,
        reset_after: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.threshold = threshold
        self.reset_after = reset_after
        self.clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        with self._lock:
            if self._opened_at is None:
                return False
            return self.clock() - self._opened_at < self.reset_after

    def before_call(self, name: str, *, service: str | None = None) -> None:
        if self.is_open:
            raise CircuitOpenError(
                f"{name} circuit is open after repeated failures",
                retryable=True,
                service=service,
            )

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._failures >= self.threshold:
                self._opened_at = self.clock()


def retry_after_seconds(response: httpx.Response, *, now: float | None = None) -> float | None:
    """Seconds the server asks us to wait: Retry-After (seconds or date), else
    x-ratelimit-reset when nothing remains; at most ``MAX_RETRY_AFTER_SECONDS``."""
    now = time.time() if now is None else now
    wait = parse_retry_after(response.headers.get("retry-after"), now=now)
    if wait is not None or response.headers.get("x-ratelimit-remaining") != "0":
        return wait
    reset = (response.headers.get("x-ratelimit-reset") or "").strip()
    if not _ASCII_DIGITS.fullmatch(reset):
        return None
    return min(max(0.0, float(reset) - now), MAX_RETRY_AFTER_SECONDS)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """A Retry-After value (delay-seconds or an HTTP date) as seconds from ``now``, at most
    ``MAX_RETRY_AFTER_SECONDS``; None when it is neither."""
    text = (value or "").strip()
    if _ASCII_DIGITS.fullmatch(text):
        return min(float(text), MAX_RETRY_AFTER_SECONDS)
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    now = time.time() if now is None else now
    return min(max(0.0, moment.timestamp() - now), MAX_RETRY_AFTER_SECONDS)


def _is_secondary_rate_limit(response: httpx.Response) -> bool:
    if response.status_code != 403:
        return False
    if response.headers.get("x-ratelimit-remaining") == "0" or "retry-after" in response.headers:
        return True
    return "secondary rate limit" in response.text.lower()


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    # A server asking for a longer pause than this is not waited for in-line: the caller
    # gets a retryable error and reschedules, so a worker is never parked for minutes.
    max_honoured_wait: float = 30.0
    # No call lasts longer, its tries, the waits between them and reading the answer included:
    # a server that trickles its answer a byte at a time beats every per-read timeout.
    call_deadline: float = 120.0


class _RetryableResponse(Exception):
    def __init__(self, response: httpx.Response, wait: float | None):
        super().__init__(f"HTTP {response.status_code}")
        self.response = response
        self.wait = wait


class _BudgetSpent(Exception):
    """The call's deadline (or the incident's time budget) left no time for another try."""


class _BoundedBody(httpx.SyncByteStream):
    """A response body that stops arriving at the deadline, however slowly it trickles."""

    def __init__(self, stream: httpx.SyncByteStream, request: httpx.Request, end: float):
        self.stream = stream
        self.request = request
        self.end = end

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.stream:
            if time.monotonic() > self.end:
                raise httpx.ReadTimeout("the answer did not arrive in time", request=self.request)
            yield chunk

    def close(self) -> None:
        self.stream.close()


class _NoTimeForAnotherTry(stop_base):
    """Tenacity stop: the wait before the next try would run past the deadline."""

    def __call__(self, retry_state: RetryCallState) -> bool:
        left = remaining()
        return left is not None and retry_state.upcoming_sleep >= left


def _capped(timeout: httpx.Timeout, left: float | None) -> httpx.Timeout:
    """Each phase of one try may take no longer than what is left of the deadline."""
    if left is None:
        return timeout
    left = max(left, 0.001)

    def cap(value: float | None) -> float:
        return left if value is None else min(value, left)

    return httpx.Timeout(
        connect=cap(timeout.connect),
        read=cap(timeout.read),
        write=cap(timeout.write),
        pool=cap(timeout.pool),
    )


class ResilientClient:
    """Wraps one ``httpx.Client`` (base URL, auth and timeouts set by its builder)."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        name: str,
        error_cls: type[IntegrationError] = IntegrationError,
        policy: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        max_concurrency: int = 8,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.client = client
        self.name = name
        self.error_cls = error_cls
        self.policy = policy or RetryPolicy()
        self.breaker = breaker or CircuitBreaker()
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._sleep = sleep

    def close(self) -> None:
        """Close the connections of the wrapped client."""
        self.client.close()

    def request(
        self, method: str, url: str, *, allow: Iterable[int] = (), **kwargs
    ) -> httpx.Response:
        """Send with retries. 2xx/3xx and statuses in ``allow`` return; others raise error_cls.

        The whole call ends by ``policy.call_deadline`` (or the enclosing time budget, if it
        ends sooner); running out of time raises a retryable error_cls."""
        self.breaker.before_call(self.name, service=self.error_cls.service)
        allowed = frozenset(allow)
        with time_budget(self.policy.call_deadline):
            retrying = Retrying(
                stop=stop_after_attempt(self.policy.max_attempts) | _NoTimeForAnotherTry(),
                wait=self._wait,
                retry=retry_if_exception(
                    lambda e: isinstance(e, _RetryableResponse | httpx.TransportError)
                ),
                sleep=self._sleep,
                reraise=True,
            )
            try:
                response = retrying(self._send_once, method, url, allowed, kwargs)
            except _BudgetSpent:
                raise self.error_cls(
                    f"{self.name}: out of time before {method} {url} could be sent",
                    retryable=True,
                ) from None
            except _RetryableResponse as exc:
                self.breaker.record_failure()
                raise self._error(exc.response, retryable=True, wait=exc.wait) from None
            except httpx.TransportError as exc:
                self.breaker.record_failure()
                tries = retrying.statistics.get("attempt_number", self.policy.max_attempts)
                raise self.error_cls(
                    f"{self.name}: {type(exc).__name__} after {tries} tries", retryable=True
                ) from exc
        self.breaker.record_success()
        return response

    def _send_once(
        self, method: str, url: str, allowed: frozenset[int], kwargs: dict
    ) -> httpx.Response:
        left = remaining()
        if left is not None and left <= 0:
            raise _BudgetSpent()
        if not self._slots.acquire(timeout=left):
            raise _BudgetSpent()  # every slot held by calls that are not answered
        try:
            response = self._send_within_deadline(method, url, kwargs)
        finally:
            self._slots.release()
        status = response.status_code
        if status < 400 or status in allowed:
            return response
        if status in RETRYABLE_STATUS or _is_secondary_rate_limit(response):
            wait = retry_after_seconds(response)
            if wait is not None and wait > self.policy.max_honoured_wait:
                self.breaker.record_success()  # the service is alive, only busy
                raise self._error(response, retryable=True, wait=wait)
            raise _RetryableResponse(response, wait)
        raise self._error(response, retryable=False)

    def _send_within_deadline(self, method: str, url: str, kwargs: dict) -> httpx.Response:
        """One try, read to the end; each timeout and the body's arrival capped by the deadline."""
        options = dict(kwargs)
        send = {key: options.pop(key) for key in ("auth", "follow_redirects") if key in options}
        timeout = options.pop("timeout", None)
        timeout = self.client.timeout if timeout is None else httpx.Timeout(timeout)
        request = self.client.build_request(
            method, url, timeout=_capped(timeout, remaining()), **options
        )
        response = self.client.send(request, stream=True, **send)
        end = deadline()
        if end is not None and isinstance(response.stream, httpx.SyncByteStream):  # a sync client's
            response.stream = _BoundedBody(response.stream, request, end)
        try:
            response.read()
        finally:
            response.close()
        return response

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _RetryableResponse) and exc.wait is not None:
            return exc.wait
        backoff = self.policy.base_delay * 2 ** (state.attempt_number - 1)
        return min(self.policy.max_delay, backoff) * (0.5 + random.random() / 2)

    def _error(self, response: httpx.Response, *, retryable: bool, wait: float | None = None):
        return self.error_cls(
            f"{self.name} answered {response.status_code} for "
            f"{response.request.method} {response.request.url.path}",
            status_code=response.status_code,
            retryable=retryable,
            retry_after=wait,
        )


def resilient_client(
    http: httpx.Client,
    *,
    name: str,
    error_cls: type[IntegrationError],
    sleep: Callable[[float], None] = time.sleep,
    max_attempts: int = 3,
    max_concurrency: int = 8,
) -> ResilientClient:
    """The usual retry point of an integration: bounded tries and a breaker that opens after
    five failures in a row and probes again after a minute."""
    return ResilientClient(
        http,
        name=name,
        error_cls=error_cls,
        policy=RetryPolicy(max_attempts=max_attempts),
        breaker=CircuitBreaker(threshold=5, reset_after=60),
        max_concurrency=max_concurrency,
        sleep=sleep,
    )


class IntegrationClient:
    """Base of the typed clients over one ``ResilientClient``."""

    def __init__(self, api: ResilientClient):
        self.api = api

    @property
    def breaker(self) -> CircuitBreaker:
        return self.api.breaker

    def close(self) -> None:
        self.api.close()
