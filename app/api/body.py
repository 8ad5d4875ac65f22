"""Reading request bodies: bounded in size, in time and, before the sender is authenticated,
in memory across all requests. Every route that reads a body reads it here.

- Size: a declared Content-Length over MAX_BODY_BYTES is refused (413) before anything is
  read; a body without one is refused as soon as it passes the limit.
- Time: a body must arrive within BODY_READ_TIMEOUT_SECONDS plus one second per
  BODY_MIN_BYTES_PER_SECOND received; a sender trickling slower is cut off (408).
- Memory before authentication: a route whose signature covers the body (GitHub, Slack) can
  only check it once the body is in memory. Those bodies are read within one budget shared by
  all requests (UNVERIFIED_BODY_BUDGET_BYTES), held until the signature is checked. A request
  that gets no share within ``BUDGET_WAIT_SECONDS`` is answered 503 with Retry-After, so a
  flood of unsigned bodies costs at most the budget, and the sender of a real one retries.
"""

import math
import re
import threading
import time
from collections.abc import Awaitable, Callable

import anyio
from starlette.requests import ClientDisconnect, Request

from app.core.config import Settings
from app.core.errors import (
    BadRequestError,
    PayloadTooLargeError,
    RequestTimeoutError,
    ServiceBusyError,
)

BUDGET_WAIT_SECONDS = 1.0
BUDGET_RETRY_AFTER_SECONDS = 5
_BUDGET_POLL_SECONDS = 0.02
_DIGITS = re.compile(r"[0-9]{1,20}")
_BODY_READ = "codehealer_body_read"  # request state key: the whole body was received


class BodyBudget:
    """Bytes of not-yet-authenticated bodies held in memory at once, across all requests.

    Not bound to an event loop (the same app may serve from several, as test clients do), so
    a wait is a short poll; it lasts at most ``BUDGET_WAIT_SECONDS``.
    """

    def __init__(self, capacity: int):
        self.capacity = capacity
        self.in_use = 0
        self._lock = threading.Lock()

    def try_reserve(self, size: int) -> bool:
        with self._lock:
            if self.in_use + size > self.capacity:
                return False
            self.in_use += size
            return True

    async def reserve(self, size: int, *, wait: float = BUDGET_WAIT_SECONDS) -> None:
        """Hold ``size`` bytes of the budget; ServiceBusyError when none frees up in time."""
        deadline = time.monotonic() + wait
        while not self.try_reserve(size):
            if time.monotonic() >= deadline:
                raise ServiceBusyError(
                    "too many unauthenticated request bodies in memory: deliver again later",
                    retry_after=BUDGET_RETRY_AFTER_SECONDS,
                )
            await anyio.sleep(_BUDGET_POLL_SECONDS)

    def release(self, size: int) -> None:
        with self._lock:
            self.in_use -= size


def body_budget(request: Request) -> BodyBudget:
    """The app's budget, made on first use (no await in between: one per app)."""
    state = request.app.state
    budget = getattr(state, "body_budget", None)
    if budget is None:
        settings: Settings = state.container.settings
        budget = state.body_budget = BodyBudget(settings.server.unverified_body_budget_bytes)
    return budget


class _BodyStream:
    """The chunks of one request body, within the size limit and the read deadline."""

    def __init__(self, request: Request, settings: Settings):
        self.request = request
        self.limit = settings.server.max_body_bytes
        self.allowance = settings.server.body_read_timeout_seconds
        self.min_rate = settings.server.body_min_bytes_per_second
        self.received = 0
        self.started = anyio.current_time()  # the clock cancel scope deadlines are on

    def declared_length(self) -> int | None:
        """Content-Length, refused with 413 when over the limit; None when not sent."""
        declared = self.request.headers.get("content-length")
        if declared is None:
            return None
        if not _DIGITS.fullmatch(declared):
            raise BadRequestError("Content-Length is not a number")
        if int(declared) > self.limit:
            raise PayloadTooLargeError(f"body is larger than {self.limit} bytes")
        return int(declared)

    def pause(self, seconds: float) -> None:
        """Time spent waiting on our side does not count against the sender."""
        self.started += seconds

    def deadline(self) -> float:
        return self.started + self.allowance + self.received / self.min_rate

    async def read(self, hold: Callable[[int], Awaitable[None]] | None = None) -> bytes:
        """The whole body. ``hold(received)`` is awaited as each chunk arrives (the budget of
        unauthenticated bytes); the time it takes is not the sender's.

        One cancel scope for the whole body, its deadline moved as bytes arrive: a scope per
        chunk was a measurable share of a webhook's CPU."""
        stream = self.request.stream().__aiter__()
        parts: list[bytes] = []
        with anyio.CancelScope() as scope:
            while True:
                scope.deadline = self.deadline()
                try:
                    chunk = await stream.__anext__()
                except StopAsyncIteration:
                    setattr(self.request.state, _BODY_READ, True)
                    return b"".join(parts)
                except ClientDisconnect:
                    raise BadRequestError(
                        "the sender disconnected before the body was complete"
                    ) from None
                self.received += len(chunk)
                if self.received > self.limit:
                    raise PayloadTooLargeError(f"body is larger than {self.limit} bytes")
                if hold is not None:
                    scope.deadline = math.inf
                    await hold(self.received)
                parts.append(chunk)
        raise RequestTimeoutError(
            f"body arrived too slowly ({self.received} bytes in "
            f"{anyio.current_time() - self.started:.1f}s)"
        )


async def read_body(request: Request, settings: Settings) -> bytes:
    """The body of a request whose sender is already authenticated (by a header)."""
    body = _BodyStream(request, settings)
    body.declared_length()
    return await body.read()


async def read_verified_body(
    request: Request, settings: Settings, verify: Callable[[bytes], None]
) -> bytes:
    """The body of a request whose signature covers it: read within the app's budget of
    unauthenticated bytes, which is held until ``verify(body)`` has passed (it raises when
    the signature does not match)."""
    budget = body_budget(request)
    body = _BodyStream(request, settings)
    declared = body.declared_length() or 0
    held = 0

    async def hold(size: int) -> None:
        nonlocal held
        if size <= held:
            return
        waited = anyio.current_time()
        await budget.reserve(size - held)
        body.pause(anyio.current_time() - waited)
        held = size

    try:
        await hold(declared)
        raw = await body.read(hold)  # no or a wrong Content-Length: held as it arrives
        verify(raw)
        return raw
    finally:
        budget.release(held)


def body_left_unread(request: Request) -> bool:
    """The request carries a body that was not (completely) received: answering without
    reading the rest, the connection should close rather than wait for it."""
    if getattr(request.state, _BODY_READ, False):
        return False
    headers = request.headers
    return headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
