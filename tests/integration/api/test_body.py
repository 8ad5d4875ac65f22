"""Request bodies are read within limits: nothing is read before what the headers alone can
refuse is refused, unauthenticated bodies share one memory budget, and a body trickling in
slower than the floor is cut off.

Requests go through httpx's ASGI transport, which hands the body to the app only as the app
asks for it: a test can see whether (and how much of) a body was read.
"""

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from app.main import create_app
from tests.conftest import fixture_bytes, make_settings
from tests.support.github_deliveries import signature_of

SLACK_SECRET = "slack-signing-secret-for-body-tests"
WRONG_HEX = hashlib.sha256(b"not the signature").hexdigest()
KIB = 1024


class TrackedBody:
    """A request body sent in chunks, recording how many the app pulled. With ``hold`` set, it
    stops after the first chunk until ``hold`` is set; with ``pause``, it sleeps between chunks."""

    def __init__(
        self, chunks: list[bytes], *, hold: asyncio.Event | None = None, pause: float = 0.0
    ):
        self.chunks, self.hold, self.pause = chunks, hold, pause
        self.pulled = 0

    @property
    def size(self) -> int:
        return sum(map(len, self.chunks))

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for number, chunk in enumerate(self.chunks):
            if number == 1 and self.hold is not None:
                await self.hold.wait()
            if number and self.pause:
                await asyncio.sleep(self.pause)
            self.pulled += 1
            yield chunk


@pytest.fixture
def make_app(container, database_url):
    def make(**overrides) -> FastAPI:
        values = {"slack_signing_secret": SLACK_SECRET, **overrides}
        container.settings = make_settings(database_url, **values)
        return create_app(container)

    return make


async def post(
    app: FastAPI, path: str, body: TrackedBody, headers: dict[str, str], *, length: bool = True
) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    sent = dict(headers)
    if length:
        sent["Content-Length"] = str(body.size)
    async with httpx.AsyncClient(transport=transport, base_url="http://codehealer") as http:
        return await http.post(path, content=body, headers=sent)


def github_headers(signature: str | None) -> dict[str, str]:
    headers = {"X-GitHub-Event": "workflow_run", "X-GitHub-Delivery": "d-1"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return headers


def slack_headers(timestamp: int, signature: str) -> dict[str, str]:
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": signature,
    }


def body_of(size: int, chunk: int = 16 * KIB) -> list[bytes]:
    return [b"x" * min(chunk, size - start) for start in range(0, size, chunk)]


@pytest.mark.parametrize(
    "signature", [None, "", "sha256=", "sha1=" + WRONG_HEX[:40], "sha256=" + WRONG_HEX.upper()]
)
def test_github_without_a_well_formed_signature_is_401_before_the_body_is_read(
    make_app, signature
):
    body = TrackedBody(body_of(256 * KIB))
    response = asyncio.run(post(make_app(), "/webhooks/github", body, github_headers(signature)))
    assert response.status_code == 401
    assert body.pulled == 0


def test_github_with_a_wrong_signature_is_401_once_the_body_is_read(make_app):
    body = TrackedBody(body_of(64 * KIB))
    signature = "sha256=" + WRONG_HEX
    response = asyncio.run(post(make_app(), "/webhooks/github", body, github_headers(signature)))
    assert response.status_code == 401
    assert body.pulled == len(body.chunks)


@pytest.mark.parametrize(
    ("age", "signature"),
    [(0, "v0=" + WRONG_HEX[:10]), (0, "v1=" + WRONG_HEX), (0, ""), (301, "v0=" + WRONG_HEX)],
    ids=["short", "wrong-version", "empty", "expired"],
)
def test_slack_refusable_from_its_headers_is_401_before_the_body_is_read(make_app, age, signature):
    body = TrackedBody(body_of(256 * KIB))
    headers = slack_headers(int(time.time()) - age, signature)
    response = asyncio.run(post(make_app(), "/slack/interactions", body, headers))
    assert response.status_code == 401
    assert body.pulled == 0


def test_slack_without_a_signing_secret_is_401_before_the_body_is_read(make_app):
    body = TrackedBody(body_of(256 * KIB))
    headers = slack_headers(int(time.time()), "v0=" + WRONG_HEX)
    app = make_app(slack_signing_secret=None)
    response = asyncio.run(post(app, "/slack/interactions", body, headers))
    assert response.status_code == 401
    assert body.pulled == 0


@pytest.mark.parametrize("path", ["/webhooks/argocd", "/webhooks/kubernetes"])
def test_bearer_routes_without_the_token_are_401_before_the_body_is_read(make_app, path):
    app = make_app(argocd_webhook_token="argo-token-0123", k8s_webhook_token="k8s-token-0123")
    body = TrackedBody(body_of(256 * KIB))
    headers = {"Authorization": "Bearer wrong", "Content-Type": "application/json"}
    response = asyncio.run(post(app, path, body, headers))
    assert response.status_code == 401
    assert body.pulled == 0


def test_a_refusal_before_the_body_is_read_closes_the_connection(make_app):
    body = TrackedBody(body_of(64 * KIB))
    response = asyncio.run(post(make_app(), "/webhooks/github", body, github_headers(None)))
    assert response.headers["connection"] == "close"


def test_unauthenticated_bodies_beyond_the_budget_get_503_with_retry_after(make_app):
    """Two held bodies fill the budget: a third sender is told to come back, not buffered."""
    size = 256 * KIB
    app = make_app(max_body_bytes=size, unverified_body_budget_bytes=2 * size)
    signature = "sha256=" + WRONG_HEX

    async def scenario() -> tuple[list[httpx.Response], httpx.Response, int]:
        hold = asyncio.Event()
        held = [TrackedBody(body_of(size), hold=hold) for _ in range(2)]
        senders = [
            asyncio.create_task(post(app, "/webhooks/github", b, github_headers(signature)))
            for b in held
        ]
        while not all(b.pulled for b in held):  # both are reading, each holding its share
            await asyncio.sleep(0.01)
        third = TrackedBody(body_of(size))
        refused = await post(app, "/webhooks/github", third, github_headers(signature))
        hold.set()
        return await asyncio.gather(*senders), refused, third.pulled

    held, refused, pulled = asyncio.run(scenario())
    assert refused.status_code == 503
    assert int(refused.headers["retry-after"]) > 0
    assert pulled == 0
    assert [r.status_code for r in held] == [401, 401]
    assert app.state.body_budget.in_use == 0


def test_a_body_without_content_length_is_held_as_it_arrives_and_413_past_the_limit(make_app):
    app = make_app(max_body_bytes=100 * KIB, unverified_body_budget_bytes=100 * KIB)
    body = TrackedBody(body_of(400 * KIB))
    headers = github_headers("sha256=" + WRONG_HEX)
    response = asyncio.run(post(app, "/webhooks/github", body, headers, length=False))
    assert response.status_code == 413
    assert body.pulled < len(body.chunks)
    assert app.state.body_budget.in_use == 0


def test_a_body_over_the_limit_by_content_length_is_413_unread(make_app):
    app = make_app(max_body_bytes=100 * KIB)
    body = TrackedBody(body_of(200 * KIB))
    response = asyncio.run(
        post(app, "/webhooks/github", body, github_headers("sha256=" + WRONG_HEX))
    )
    assert response.status_code == 413
    assert body.pulled == 0


@pytest.mark.parametrize("path", ["/webhooks/github", "/webhooks/argocd"])
def test_a_body_trickling_slower_than_the_floor_is_408(make_app, path):
    app = make_app(
        argocd_webhook_token="argo-token-0123",
        body_read_timeout_seconds=0.3,
        body_min_bytes_per_second=1024 * KIB,
    )
    body = TrackedBody(body_of(64 * KIB, chunk=KIB), pause=0.2)
    headers = {**github_headers("sha256=" + WRONG_HEX), "Authorization": "Bearer argo-token-0123"}
    started = time.monotonic()
    response = asyncio.run(post(app, path, body, headers))
    assert response.status_code == 408
    assert time.monotonic() - started < 2
    assert getattr(app.state, "body_budget", None) is None or app.state.body_budget.in_use == 0


def test_a_signed_body_is_accepted_and_releases_its_share(make_app):
    app = make_app()
    raw = fixture_bytes("github/derived__workflow_run__completed.failure.payload.json")
    body = TrackedBody([raw])
    response = asyncio.run(
        post(app, "/webhooks/github", body, github_headers(signature_of(raw)))
    )
    assert response.status_code == 202
    assert app.state.body_budget.in_use == 0
