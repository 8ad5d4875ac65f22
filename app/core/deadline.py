"""Time budgets for the work in hand.

The worker gives each incident one budget and the shared retry point gives each outbound call
another; a call (its tries, its waits between tries, reading its answer) stops when the
shorter of the two is spent. So one hung dependency cannot hold a worker: the call fails as
retryable and the incident waits for a later retry instead.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_deadline: ContextVar[float | None] = ContextVar("deadline", default=None)


@contextmanager
def time_budget(seconds: float | None) -> Iterator[None]:
    """Within the block, ``remaining()`` counts down from ``seconds``; an enclosing budget
    that ends sooner still wins. ``None`` adds no budget."""
    if seconds is None:
        yield
        return
    end = time.monotonic() + seconds
    outer = _deadline.get()
    token = _deadline.set(end if outer is None else min(outer, end))
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining() -> float | None:
    """Seconds left in the innermost budget (negative once spent), or None without one."""
    end = _deadline.get()
    return None if end is None else end - time.monotonic()


def deadline() -> float | None:
    """The ``time.monotonic()`` moment the innermost budget ends, or None without one."""
    return _deadline.get()
