"""Constant-time checks of webhook signatures and tokens."""

import hashlib
import hmac
import re

GITHUB_SIGNATURE_PREFIX = "sha256="


def body_signature(secret: str, body: bytes, prefix: str) -> str:
    """``prefix`` and the hex HMAC-SHA256 of ``body`` with ``secret``."""
    return prefix + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_body_signature(secret: str, body: bytes, header: str | None, prefix: str) -> bool:
    if not header or not header.startswith(prefix):
        return False
    return hmac.compare_digest(body_signature(secret, body, prefix), header.strip())


def github_signature(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value GitHub sends for ``body``."""
    return body_signature(secret, body, GITHUB_SIGNATURE_PREFIX)


def verify_github_signature(secret: str, body: bytes, header: str | None) -> bool:
    return verify_body_signature(secret, body, header, GITHUB_SIGNATURE_PREFIX)


def tokens_equal(expected: str, presented: str | None) -> bool:
    if presented is None:
        return False
    return hmac.compare_digest(expected.encode(), presented.encode())


def header_matches(expected: str, header: str | None) -> bool:
    """A header value is exactly ``expected``, byte for byte, compared in constant time.

    ASGI servers hand header values on as bytes, which Starlette decodes as latin-1: encoding
    them back gives the bytes sent. Nothing is stripped or normalised, so no look-alike
    (a non-breaking space, another case) can stand in for a character of the key.
    """
    if header is None:
        return False
    try:
        sent = header.encode("latin-1")
    except UnicodeEncodeError:  # not text an ASGI server hands on: no bytes to compare
        return False
    return hmac.compare_digest(expected.encode(), sent)


def bearer_matches(token: str, header: str | None) -> bool:
    """``Authorization`` is exactly ``Bearer <token>`` (see header_matches)."""
    return header_matches(f"Bearer {token}", header)


_HEX_SHA256 = re.compile(r"[0-9a-f]{64}")


def signature_well_formed(header: str | None, prefix: str) -> bool:
    """``prefix`` and a hex SHA-256 digest, as GitHub (``sha256=``) and Slack (``v0=``) send
    them. Checked before the body is read: a request that cannot match is refused unread."""
    if not header or not header.startswith(prefix):
        return False
    return _HEX_SHA256.fullmatch(header[len(prefix) :]) is not None


SLACK_VERSION = "v0"
# Unix seconds: 10 digits until 2286. str.isdigit() would also take "²" or "١", which int()
# refuses or reads as a digit; thousands of digits are more than int() converts.
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")


def slack_timestamp(header: str | None) -> int | None:
    """``X-Slack-Request-Timestamp`` as Unix seconds; None unless it is 1-12 ASCII digits."""
    if header is None or _UNIX_SECONDS.fullmatch(header) is None:
        return None
    return int(header)


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Slack-Signature`` Slack sends: HMAC-SHA256 of ``v0:<timestamp>:<body>``, over
    the body's bytes as they arrived (whatever their encoding)."""
    base = f"{SLACK_VERSION}:{timestamp}:".encode() + body
    return f"{SLACK_VERSION}=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def verify_slack_signature(
    secret: str, body: bytes, timestamp: str | None, header: str | None
) -> bool:
    """Slack's v0 signature matches (the 5-minute window is the caller's); never raises."""
    if timestamp is None or slack_timestamp(timestamp) is None or header is None:
        return False
    expected = slack_signature(secret, timestamp, body).encode()
    return hmac.compare_digest(expected, header.encode("utf-8", "surrogateescape"))
