"""A tiny local Slack Web API for tests: real response shapes, every call recorded.

Point slack-sdk at it with ``WebClient(base_url=fake.base_url)`` (or ``SLACK_BASE_URL``).
It answers ``chat.postMessage``, ``chat.update``, ``chat.postEphemeral`` and
``usergroups.users.list`` as Slack documents them, and can be switched down (HTTP 503, a
429 with Retry-After, or a dropped connection) and back up.
"""

import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

BOT_TOKEN = "xoxb-0000000000-0000000000000-fakeslacktesttoken00"
CHANNEL_ID = "C0123CHANNEL"
UP, UNAVAILABLE, RATE_LIMITED, DROP = "up", "503", "429", "drop"


@dataclass
class SlackCall:
    method: str
    body: dict[str, Any]
    headers: dict[str, str]
    raw: str = ""


@dataclass
class FakeSlack:
    """Start with ``with FakeSlack() as slack:``; ``slack.calls`` lists what was received."""

    groups: dict[str, list[str]] = field(default_factory=dict)
    token: str = BOT_TOKEN
    calls: list[SlackCall] = field(default_factory=list)
    mode: str = UP
    retry_after: str = "120"  # the Retry-After of a 429 (RATE_LIMITED)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ts = itertools.count(100)
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle -----------------------------------------------------------------------
    def __enter__(self) -> "FakeSlack":
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "use FakeSlack as a context manager"
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    def down(self, mode: str = UNAVAILABLE) -> None:
        self.mode = mode

    def up(self) -> None:
        self.mode = UP

    # --- queries -------------------------------------------------------------------------
    def calls_to(self, method: str) -> list[SlackCall]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def everything_sent(self) -> str:
        """All request bodies received, as text (for "this never reached Slack" checks)."""
        with self._lock:
            return "\n".join(c.raw for c in self.calls)

    # --- answers -------------------------------------------------------------------------
    def record(self, call: SlackCall) -> None:
        with self._lock:
            self.calls.append(call)

    def next_ts(self) -> str:
        with self._lock:
            return f"1700000000.{next(self._ts):06d}"

    def answer(self, method: str, body: dict[str, Any], headers: dict[str, str]) -> dict:
        if headers.get("authorization") != f"Bearer {self.token}":
            return {"ok": False, "error": "not_authed"}
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        return handler(body)

    def _chat_postMessage(self, body: dict) -> dict:
        channel = _channel_id(body.get("channel"))
        ts = self.next_ts()
        message = {
            "type": "message",
            "subtype": "bot_message",
            "text": body.get("text", ""),
            "ts": ts,
            "username": "CodeHealer",
            "bot_id": "B0FAKEBOT",
            "blocks": body.get("blocks", []),
        }
        if body.get("thread_ts"):
            message["thread_ts"] = body["thread_ts"]
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _chat_update(self, body: dict) -> dict:
        channel, ts = _channel_id(body.get("channel")), body.get("ts")
        if not ts:
            return {"ok": False, "error": "message_not_found"}
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": body.get("text", ""),
            "message": {"text": body.get("text", ""), "blocks": body.get("blocks", [])},
        }

    def _chat_postEphemeral(self, body: dict) -> dict:
        if not body.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": self.next_ts()}

    def _usergroups_users_list(self, body: dict) -> dict:
        group = body.get("usergroup")
        if group not in self.groups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(self.groups[group])}


def _channel_id(channel: Any) -> str:
    channel = str(channel or "")
    return channel if channel[:1] in ("C", "G", "D") else CHANNEL_ID


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSlack
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are recorded on the FakeSlack, not printed."""

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        url = urlsplit(self.path)
        method = url.path.rsplit("/", 1)[-1]
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length).decode("utf-8") if length else ""
        headers = {k.lower(): v for k, v in self.headers.items()}
        body = _parse_body(raw, headers.get("content-type", ""))
        body.update({k: v[0] for k, v in parse_qs(url.query).items()})
        self.fake.record(SlackCall(method, body, headers, raw=raw + url.query))
        mode = self.fake.mode
        if mode == DROP:
            self.close_connection = True
            self.connection.close()  # no answer at all: the client sees a dropped connection
            return
        if mode == UNAVAILABLE:
            self._send(503, b"upstream connect error", "text/plain")
            return
        if mode == RATE_LIMITED:
            payload = json.dumps({"ok": False, "error": "ratelimited"}).encode()
            self._send(429, payload, "application/json", {"Retry-After": self.fake.retry_after})
            return
        answer = self.fake.answer(method, body, headers)
        self._send(200, json.dumps(answer).encode(), "application/json; charset=utf-8")

    def _send(
        self, status: int, payload: bytes, content_type: str, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


def _parse_body(raw: str, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    if content_type.startswith("application/json"):
        parsed = json.loads(raw)
        return parsed if isinstance(parsed, dict) else {"_": parsed}
    return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
