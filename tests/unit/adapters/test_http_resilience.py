"""The shared retry point: Retry-After, rate-limit resets, bounded tries, circuit breaker,
deadlines."""

import time

import httpx
import pytest
import respx

from app.adapters.external.http import (
    CircuitBreaker,
    ResilientClient,
    RetryPolicy,
    retry_after_seconds,
)
from app.core.deadline import remaining, time_budget
from app.core.errors import CircuitOpenError, GitHubError

BASE = "https://api.example.test"


def make_client(sleeps: list[float], **kwargs) -> ResilientClient:
    return ResilientClient(
        httpx.Client(base_url=BASE),
        name="example",
        error_cls=GitHubError,
        policy=kwargs.pop("policy", RetryPolicy(max_attempts=4)),
        sleep=sleeps.append,
        **kwargs,
    )


@respx.mock(base_url=BASE)
def test_429_with_retry_after_waits_the_asked_seconds_then_succeeds(respx_mock):
    route = respx_mock.get("/x").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(200)]
    )
    sleeps: list[float] = []
    assert make_client(sleeps).request("GET", "/x").status_code == 200
    assert route.call_count == 2
    assert sleeps == [3.0]


@respx.mock(base_url=BASE)
def test_5xx_is_retried_a_bounded_number_of_times_then_raises_retryable(respx_mock):
    route = respx_mock.get("/x").mock(return_value=httpx.Response(502))
    with pytest.raises(GitHubError) as raised:
        make_client([]).request("GET", "/x")
    assert route.call_count == 4
    assert raised.value.retryable is True
    assert raised.value.upstream_status == 502


@respx.mock(base_url=BASE)
def test_401_is_not_retried(respx_mock):
    route = respx_mock.get("/x").mock(return_value=httpx.Response(401))
    with pytest.raises(GitHubError) as raised:
        make_client([]).request("GET", "/x")
    assert route.call_count == 1
    assert raised.value.retryable is False


@respx.mock(base_url=BASE)
def test_transport_errors_are_retried_then_raise(respx_mock):
    route = respx_mock.get("/x").mock(side_effect=httpx.ConnectTimeout("slow"))
    with pytest.raises(GitHubError) as raised:
        make_client([]).request("GET", "/x")
    assert route.call_count == 4
    assert raised.value.retryable is True


@respx.mock(base_url=BASE)
def test_a_wait_longer_than_the_cap_is_not_slept_in_line(respx_mock):
    respx_mock.get("/x").mock(return_value=httpx.Response(429, headers={"Retry-After": "3600"}))
    sleeps: list[float] = []
    with pytest.raises(GitHubError) as raised:
        make_client(sleeps).request("GET", "/x")
    assert sleeps == []
    assert raised.value.retry_after == 900.0  # MAX_RETRY_AFTER_SECONDS


@respx.mock(base_url=BASE)
def test_secondary_rate_limit_403_is_retried(respx_mock):
    route = respx_mock.get("/x").mock(
        side_effect=[
            httpx.Response(403, json={"message": "You have exceeded a secondary rate limit."}),
            httpx.Response(200),
        ]
    )
    assert make_client([]).request("GET", "/x").status_code == 200
    assert route.call_count == 2


@respx.mock(base_url=BASE)
def test_breaker_opens_after_repeated_failures_and_refuses_without_calling(respx_mock):
    route = respx_mock.get("/x").mock(return_value=httpx.Response(503))
    client = make_client(
        [], policy=RetryPolicy(max_attempts=1), breaker=CircuitBreaker(threshold=2, reset_after=60)
    )
    for _ in range(2):
        with pytest.raises(GitHubError):
            client.request("GET", "/x")
    with pytest.raises(CircuitOpenError):
        client.request("GET", "/x")
    assert route.call_count == 2


def test_breaker_lets_a_probe_through_after_the_reset_time():
    now = [0.0]
    breaker = CircuitBreaker(threshold=1, reset_after=10, clock=lambda: now[0])
    breaker.record_failure()
    assert breaker.is_open
    now[0] = 11.0
    assert not breaker.is_open


def test_ratelimit_reset_header_gives_the_wait_when_nothing_remains():
    response = httpx.Response(
        403, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000"}
    )
    assert retry_after_seconds(response, now=990.0) == 10.0


@respx.mock(base_url=BASE)
def test_open_breaker_error_is_retryable_and_names_the_service(respx_mock):
    respx_mock.get("/x").mock(return_value=httpx.Response(503))
    client = make_client(
        [], policy=RetryPolicy(max_attempts=1), breaker=CircuitBreaker(threshold=1, reset_after=60)
    )
    with pytest.raises(GitHubError):
        client.request("GET", "/x")
    with pytest.raises(CircuitOpenError) as raised:
        client.request("GET", "/x")
    assert raised.value.retryable is True
    assert raised.value.service == "GitHub"


class TricklingBody(httpx.SyncByteStream):
    """A server that answers 200 and then sends its body a few bytes at a time, forever."""

    def __iter__(self):
        while True:
            time.sleep(0.05)
            yield b"x"


@respx.mock(base_url=BASE)
def test_a_body_trickling_past_the_call_deadline_is_cut_off_as_retryable(respx_mock):
    respx_mock.get("/x").mock(return_value=httpx.Response(200, stream=TricklingBody()))
    client = make_client([], policy=RetryPolicy(max_attempts=1, call_deadline=0.3))
    started = time.monotonic()
    with pytest.raises(GitHubError) as raised:
        client.request("GET", "/x")
    assert time.monotonic() - started < 2
    assert raised.value.retryable is True
    assert "ReadTimeout" in str(raised.value)


@respx.mock(base_url=BASE, assert_all_called=False)
def test_no_try_starts_once_the_time_budget_is_spent(respx_mock):
    route = respx_mock.get("/x").mock(return_value=httpx.Response(200))
    with time_budget(0), pytest.raises(GitHubError) as raised:
        make_client([]).request("GET", "/x")
    assert not route.called
    assert raised.value.retryable is True


@respx.mock(base_url=BASE)
def test_no_retry_waits_beyond_the_time_budget(respx_mock):
    def slow_502(request):
        time.sleep(0.3)
        return httpx.Response(502)

    route = respx_mock.get("/x").mock(side_effect=slow_502)
    sleeps: list[float] = []
    with time_budget(0.4), pytest.raises(GitHubError) as raised:
        make_client(sleeps, policy=RetryPolicy(max_attempts=4, base_delay=0.5)).request("GET", "/x")
    assert route.call_count == 1 and sleeps == []
    assert raised.value.retryable is True


def test_a_shorter_enclosing_budget_wins():
    with time_budget(0.5), time_budget(60):
        left = remaining()
    assert left is not None and left <= 0.5
