"""The HTTP server of `codehealer serve`: uvicorn, with limits against slow and greedy clients.

uvicorn bounds idle keep-alive connections, the size of a request head (h11) and, with
``limit_concurrency``, the connections and requests it serves at once (503 beyond). It has no
limit on how long a request head may take: a client that opens connections and sends their
heads slowly, or nothing at all, holds them forever. ``head_timeout_protocol`` adds that.
Request bodies have their own deadline where they are read (app/api/body.py).
"""

import asyncio
from typing import Any

import h11
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

from app.core.settings_parts import ServerSettings

# Seconds in-flight requests get to finish once a stop is asked for (Ctrl-C, SIGTERM).
SHUTDOWN_GRACE_SECONDS = 10


class HeadTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol that closes a connection whose request head (request line and
    headers) is not complete ``head_timeout`` seconds after the connection opened or, on a
    kept-alive connection, after the next request's first byte."""

    head_timeout: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch_head()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def _watch_head(self) -> None:
        """Start the clock while a head is awaited; stop it once the head is in."""
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            if self._head_timer is None:
                self._head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)
        else:
            self._stop_head_timer()

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            client = f"{self.client[0]}:{self.client[1]} " if self.client else ""
            self.logger.info(
                "%sconnection closed: no complete request head within %gs",
                client,
                self.head_timeout,
            )
            self.transport.close()


def head_timeout_protocol(seconds: float) -> type[HeadTimeoutH11Protocol]:
    """The protocol class uvicorn instantiates per connection, with this head timeout."""
    return type("HeadTimeoutH11Protocol", (HeadTimeoutH11Protocol,), {"head_timeout": seconds})


def server_config(
    app: FastAPI, settings: ServerSettings, *, host: str, port: int
) -> uvicorn.Config:
    """uvicorn's configuration for ``app`` with the HTTP_* limits of ``settings``."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,  # logging is configured once, by the CLI (JSON lines, masked)
        http=head_timeout_protocol(settings.http_header_timeout_seconds),
        limit_concurrency=settings.http_max_connections,
        timeout_keep_alive=settings.http_keep_alive_seconds,
        h11_max_incomplete_event_size=settings.http_max_header_bytes,
        backlog=settings.http_backlog,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )
