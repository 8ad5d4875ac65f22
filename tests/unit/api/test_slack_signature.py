"""Slack's v0 request signature on POST /slack/interactions: checked before anything else.

The documented example is from Slack's "Verifying requests from Slack"
(https://api.slack.com/authentication/verifying-requests-from-slack).
"""

import hashlib
import hmac
import json
from types import SimpleNamespace
from urllib.parse import urlencode

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from slack_sdk.signature import Clock

from app.api.errors import install_error_handlers
from app.api.v1 import slack
from tests.conftest import make_settings

DOCS_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
DOCS_TIMESTAMP = 1531420618
DOCS_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
    b"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
    b"&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
    b"%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
DOCS_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
# A payload type CodeHealer ignores: a valid signature gets 200 and nothing else happens.
IGNORED = urlencode({"payload": json.dumps({"type": "view_closed"})}).encode()


class FixedClock(Clock):
    def __init__(self, now: float):
        self.at = now

    def now(self) -> float:
        return self.at


def sign(body: bytes, timestamp: int, secret: str = DOCS_SECRET) -> str:
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def build_client(*, secret: str | None = DOCS_SECRET, now: float = DOCS_TIMESTAMP) -> TestClient:
    """Only the Slack router over a container stub: there is no database to change."""
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(slack.router)
    app.state.container = SimpleNamespace(
        settings=make_settings(None, slack_signing_secret=secret), interactions=None
    )
    app.dependency_overrides[slack.get_slack_clock] = lambda: FixedClock(now)
    return TestClient(app, raise_server_exceptions=False)


def post(client: TestClient, body: bytes, timestamp: int | None, signature: str | None):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if timestamp is not None:
        headers["X-Slack-Request-Timestamp"] = str(timestamp)
    if signature is not None:
        headers["X-Slack-Signature"] = signature
    return client.post("/slack/interactions", content=body, headers=headers)


def test_slacks_documented_example_verifies():
    assert sign(DOCS_BODY, DOCS_TIMESTAMP) == DOCS_SIGNATURE
    response = post(build_client(), DOCS_BODY, DOCS_TIMESTAMP, DOCS_SIGNATURE)
    # Past the signature; refused only because a slash command is not an interaction payload.
    assert response.status_code == 400
    assert "payload" in response.json()["detail"]


@pytest.mark.parametrize("skew", [-299, 0, 299])
def test_timestamps_within_five_minutes_are_accepted(skew):
    client = build_client(now=DOCS_TIMESTAMP + skew)
    response = post(client, IGNORED, DOCS_TIMESTAMP, sign(IGNORED, DOCS_TIMESTAMP))
    assert response.status_code == 200


@pytest.mark.parametrize("skew", [-301, 301])
def test_timestamps_outside_five_minutes_are_rejected(skew):
    client = build_client(now=DOCS_TIMESTAMP + skew)
    response = post(client, IGNORED, DOCS_TIMESTAMP, sign(IGNORED, DOCS_TIMESTAMP))
    assert response.status_code == 401


def test_a_mutated_body_is_rejected():
    mutated = DOCS_BODY.replace(b"roadrunner", b"coyote")
    response = post(build_client(), mutated, DOCS_TIMESTAMP, DOCS_SIGNATURE)
    assert response.status_code == 401


def test_a_signature_made_with_another_secret_is_rejected():
    signature = sign(IGNORED, DOCS_TIMESTAMP, secret="another-secret")
    response = post(build_client(), IGNORED, DOCS_TIMESTAMP, signature)
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [(None, DOCS_SIGNATURE), (DOCS_TIMESTAMP, None), (None, None)],
    ids=["no-timestamp", "no-signature", "no-headers"],
)
def test_missing_headers_are_rejected(timestamp, signature):
    response = post(build_client(), DOCS_BODY, timestamp, signature)
    assert response.status_code == 401


def test_a_timestamp_that_is_not_a_number_is_rejected():
    headers = {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": DOCS_SIGNATURE}
    response = build_client().post("/slack/interactions", content=DOCS_BODY, headers=headers)
    assert response.status_code == 401


def test_without_a_signing_secret_every_request_is_refused():
    client = build_client(secret=None)
    response = post(client, DOCS_BODY, DOCS_TIMESTAMP, DOCS_SIGNATURE)
    assert response.status_code == 401
    assert "not configured" in response.json()["detail"]


# --- header bytes as an ASGI server hands them on (a test client re-encodes them) -------------
def asgi_post(app, headers: list[tuple[bytes, bytes]], body: bytes) -> tuple[int, dict]:
    """POST /slack/interactions with exactly these header bytes; the status and JSON answer."""
    sent: list[dict] = []
    incoming = [{"type": "http.request", "body": body, "more_body": False}]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/slack/interactions",
        "raw_path": b"/slack/interactions",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
            *headers,
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }

    async def receive() -> dict:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    anyio.run(app, scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    answer = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(answer) if answer else {}


@pytest.mark.parametrize(
    "timestamp",
    [
        "\u0661\u0665\u0663\u0661\u0664\u0662\u0660\u0666\u0661\u0668".encode(),  # Arabic-Indic
        "\u0661\u0665\u0663\u0661\u0664\u0662\u0660\u0666\u0661\u0668".encode("utf-16-le"),
        b"\xb9\xb2\xb3\xb9",  # superscript digits in latin-1: str.isdigit() says yes
        b"1" * 5000,  # more digits than int() converts
        b"+1531420618",
        b" 1531420618",
        b"1531420618.5",
    ],
    ids=["arabic-indic", "utf-16", "superscripts", "5000-digits", "plus", "space", "fraction"],
)
def test_a_timestamp_of_anything_but_ascii_digits_is_401_not_500(timestamp):
    app = build_client().app
    status, answer = asgi_post(
        app,
        [
            (b"x-slack-request-timestamp", timestamp),
            (b"x-slack-signature", DOCS_SIGNATURE.encode()),
        ],
        DOCS_BODY,
    )
    assert status == 401
    assert answer["error"] == "AuthenticationError"


def test_a_body_that_is_not_utf8_is_401_not_500():
    body = b"payload=\xff\xfe"
    signature = "v0=" + "0" * 64
    status, _ = asgi_post(
        build_client().app,
        [
            (b"x-slack-request-timestamp", str(DOCS_TIMESTAMP).encode()),
            (b"x-slack-signature", signature.encode()),
        ],
        body,
    )
    assert status == 401


def test_a_correctly_signed_body_that_is_not_utf8_is_a_400():
    body = b"payload=\xff\xfe"
    status, answer = asgi_post(
        build_client().app,
        [
            (b"x-slack-request-timestamp", str(DOCS_TIMESTAMP).encode()),
            (b"x-slack-signature", sign(body, DOCS_TIMESTAMP).encode()),
        ],
        body,
    )
    assert status == 400
    assert answer["error"] == "BadRequestError"
