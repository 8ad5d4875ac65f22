"""Failed key checks per client address: a sliding window, bounded memory, safe across threads."""

import threading

from app.core.rate_limit import AuthFailureLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter(clock: Clock, *, failures: int = 3, window: float = 60, clients: int = 100):
    return AuthFailureLimiter(
        max_failures=failures, window_seconds=window, max_clients=clients, clock=clock
    )


def fail(limits: AuthFailureLimiter, client: str, times: int) -> None:
    for _ in range(times):
        limits.record_failure(client)


def test_a_client_under_the_limit_may_try_again():
    limits = limiter(Clock())
    fail(limits, "10.0.0.1", 2)
    assert limits.retry_after("10.0.0.1") is None


def test_a_client_at_the_limit_waits_for_its_oldest_failure_to_leave_the_window():
    clock = Clock()
    limits = limiter(clock)
    fail(limits, "10.0.0.1", 1)
    clock.now += 20
    fail(limits, "10.0.0.1", 2)
    assert limits.retry_after("10.0.0.1") == 40
    clock.now += 39.5
    assert limits.retry_after("10.0.0.1") == 1
    clock.now += 0.5
    assert limits.retry_after("10.0.0.1") is None


def test_other_addresses_are_not_limited():
    limits = limiter(Clock())
    fail(limits, "10.0.0.1", 3)
    assert limits.retry_after("10.0.0.2") is None


def test_memory_is_bounded_by_the_number_of_clients():
    limits = limiter(Clock(), clients=10)
    for n in range(1000):
        fail(limits, f"10.0.{n // 256}.{n % 256}", 3)
    assert len(limits) == 10
    assert limits.retry_after("10.0.3.231") is not None  # the most recent ones are kept


def test_clients_whose_failures_left_the_window_are_forgotten():
    clock = Clock()
    limits = limiter(clock, clients=1000)
    fail(limits, "10.0.0.1", 3)
    clock.now += 61
    fail(limits, "10.0.0.2", 1)
    assert len(limits) == 1


def test_concurrent_failures_are_all_counted():
    limits = limiter(Clock(), failures=1000)
    threads = [threading.Thread(target=fail, args=(limits, "10.0.0.1", 100)) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert limits.retry_after("10.0.0.1") is not None
