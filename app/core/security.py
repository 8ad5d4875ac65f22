"""Constant-time checks of webhook signatures and tokens."""

import hashlib
import hmac
import re

GITHUB_SIGNATURE_PREFIX = "sha256="


def github_signature(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value GitHub sends for ``body``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return GITHUB_SIGNATURE_PREFIX + digest


def verify_github_signature(secret: str, body: bytes, header: str | None) -> bool:
    if not header or not header.startswith(GITHUB_SIGNATURE_PREFIX):
        return False
    return hmac.compare_digest(github_signature(secret, body), header.strip())


def tokens_equal(expected: str, presented: str | None) -> bool:
    if presented is None:
        return False
    return hmac.compare_digest(expected.encode(), presented.encode())


_HEX_SHA256 = re.compile(r"[0-9a-f]{64}")


def signature_well_formed(header: str | None, prefix: str) -> bool:
    """``prefix`` and a hex SHA-256 digest, as GitHub (``sha256=``) and Slack (``v0=``) send
    them. Checked before the body is read: a request that cannot match is refused unread."""
    if not header or not header.startswith(prefix):
        return False
    return _HEX_SHA256.fullmatch(header[len(prefix) :]) is not None
