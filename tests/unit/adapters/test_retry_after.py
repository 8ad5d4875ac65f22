"""How long a server may make CodeHealer wait: what Retry-After and x-ratelimit-reset say, never
more than MAX_RETRY_AFTER_SECONDS, and nothing at all from a value that is not one."""

import email.utils

import httpx
import pytest

from app.adapters.external.http import (
    MAX_RETRY_AFTER_SECONDS,
    parse_retry_after,
    retry_after_seconds,
)

NOW = 1_700_000_000.0


def answer(**headers: str) -> httpx.Response:
    return httpx.Response(429, headers=headers)


def test_the_cap_is_fifteen_minutes():
    assert MAX_RETRY_AFTER_SECONDS == 900


def test_seconds_within_the_cap_are_kept():
    assert retry_after_seconds(answer(**{"Retry-After": "120"}), now=NOW) == 120.0


@pytest.mark.parametrize("seconds", ["901", "86400", "1" + "0" * 40, "9" * 400])
def test_seconds_past_the_cap_are_capped(seconds):
    assert retry_after_seconds(answer(**{"Retry-After": seconds}), now=NOW) == 900.0


def test_a_date_decades_away_is_capped():
    far = email.utils.formatdate(NOW + 35 * 365 * 86400, usegmt=True)  # 2058
    assert retry_after_seconds(answer(**{"Retry-After": far}), now=NOW) == 900.0


def test_a_date_within_the_cap_gives_the_seconds_until_then():
    soon = email.utils.formatdate(NOW + 60, usegmt=True)
    assert retry_after_seconds(answer(**{"Retry-After": soon}), now=NOW) == 60.0


def test_a_rate_limit_reset_decades_away_is_capped():
    response = answer(**{"x-ratelimit-remaining": "0", "x-ratelimit-reset": "2500000000"})
    assert retry_after_seconds(response, now=NOW) == 900.0


@pytest.mark.parametrize(
    "value",
    ["\u0661\u0662", "\u00b2", "soon", "-5", "1.5e9", "Mon, 99 Foo 2024 00:00:00 GMT", ""],
    ids=[
        "arabic-indic-digits",
        "superscript-two",
        "word",
        "negative",
        "float",
        "bad-date",
        "empty",
    ],
)
def test_a_value_that_is_neither_seconds_nor_a_date_asks_for_no_wait(value):
    assert parse_retry_after(value, now=NOW) is None


@pytest.mark.parametrize("raw", [b"\xb2", "\u0661\u0662".encode(), b"later"])
def test_a_rate_limit_reset_that_is_not_ascii_digits_asks_for_no_wait(raw):
    headers = [(b"x-ratelimit-remaining", b"0"), (b"x-ratelimit-reset", raw)]
    assert retry_after_seconds(httpx.Response(429, headers=headers), now=NOW) is None


@pytest.mark.parametrize("raw", [b"\xb2", "\u0661\u0662".encode()])
def test_a_retry_after_that_is_not_ascii_digits_asks_for_no_wait(raw):
    response = httpx.Response(429, headers=[(b"retry-after", raw)])
    assert retry_after_seconds(response, now=NOW) is None
