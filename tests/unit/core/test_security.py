"""Bearer tokens and API keys are compared on the exact bytes the client sent."""

import pytest

from app.core.security import bearer_matches, header_matches

TOKEN = "cluster-webhook-token-0123456789"


def raw(header: bytes) -> str:
    """A header value as the ASGI server hands it on: its bytes, decoded as latin-1."""
    return header.decode("latin-1")


def test_the_exact_bearer_header_matches():
    assert bearer_matches(TOKEN, raw(b"Bearer " + TOKEN.encode()))


@pytest.mark.parametrize(
    "header",
    [
        b"Bearer " + TOKEN.encode() + b"\xa0",
        b"Bearer \xa0" + TOKEN.encode(),
        b"Bearer  " + TOKEN.encode(),
        b"Bearer\t" + TOKEN.encode(),
        b"bearer " + TOKEN.encode(),
        TOKEN.encode(),
        b"Bearer " + TOKEN.upper().encode(),
        b"Bearer \xa0",
        b"Bearer ",
        b"",
    ],
)
def test_anything_but_the_exact_bearer_header_is_refused(header):
    assert not bearer_matches(TOKEN, raw(header))


def test_a_missing_header_is_refused():
    assert not bearer_matches(TOKEN, None)


def test_an_api_key_header_is_compared_on_its_bytes():
    key = "clé-" + "k" * 16
    assert header_matches(key, raw(key.encode()))
    assert not header_matches(key, key)  # the same text sent as latin-1 is other bytes
    assert not header_matches(key, raw(key.encode() + b"\xa0"))
