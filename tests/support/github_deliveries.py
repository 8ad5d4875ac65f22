"""Signed GitHub webhook deliveries, as GitHub sends them: the event and delivery headers and the
HMAC-SHA256 signature of the exact bytes posted (X-Hub-Signature-256), built in one place."""

import json
import uuid
from collections.abc import Mapping
from typing import Any, Protocol

import httpx

from app.core.security import github_signature
from tests.conftest import WEBHOOK_SECRET

GITHUB_WEBHOOK = "/webhooks/github"
SIGNATURE_HEADER = "X-Hub-Signature-256"


class Poster(Protocol):
    """A TestClient or an httpx.Client (its base URL on a running server)."""

    def post(self, url: str, *, content: bytes, headers: dict[str, str]) -> httpx.Response: ...


def signature_of(body: bytes, *, secret: str = WEBHOOK_SECRET) -> str:
    """The X-Hub-Signature-256 value GitHub sends with ``body``."""
    return github_signature(secret, body)


def github_headers(
    body: bytes,
    *,
    event: str = "workflow_run",
    delivery: str | None = None,
    secret: str = WEBHOOK_SECRET,
) -> dict[str, str]:
    """The headers GitHub sends with ``body``: a new delivery id unless one is given."""
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        SIGNATURE_HEADER: signature_of(body, secret=secret),
        "Content-Type": "application/json",
    }


def as_body(payload: bytes | str | Mapping[str, Any]) -> bytes:
    """Bytes are posted as they are; text as UTF-8; a mapping as JSON."""
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return payload.encode()
    return json.dumps(payload).encode()


def post_github(
    client: Poster,
    payload: bytes | str | Mapping[str, Any],
    *,
    event: str = "workflow_run",
    delivery: str | None = None,
    secret: str = WEBHOOK_SECRET,
    headers: Mapping[str, str | None] | None = None,
) -> httpx.Response:
    """POST a signed delivery to /webhooks/github. ``headers`` replace the signed ones; a None
    value leaves that header out (a delivery without a signature, an event or an id)."""
    body = as_body(payload)
    sent: dict[str, str | None] = {
        **github_headers(body, event=event, delivery=delivery, secret=secret),
        **(headers or {}),
    }
    kept = {name: value for name, value in sent.items() if value is not None}
    return client.post(GITHUB_WEBHOOK, content=body, headers=kept)
