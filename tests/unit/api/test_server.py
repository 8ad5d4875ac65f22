"""`codehealer serve`'s HTTP server: slow, silent and greedy clients are cut off, others served."""

import asyncio
import socket
import threading
import time

import pytest
from fastapi import FastAPI

from app.api.server import server_config
from tests.conftest import make_settings
from tests.support.live_server import live_server

HEAD_TIMEOUT = 0.4
released = threading.Event()


def build_app() -> FastAPI:
    app = FastAPI()

    @app.get("/ok")
    async def ok() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/hold")
    async def hold() -> dict[str, str]:
        while not released.is_set():
            await asyncio.sleep(0.01)
        return {"status": "released"}

    return app


def serve(**http_settings):
    values = {"http_header_timeout_seconds": HEAD_TIMEOUT, **http_settings}
    settings = make_settings(None, **values)
    return live_server(server_config(build_app(), settings.server, host="127.0.0.1", port=0))


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def closed_within(sock: socket.socket, seconds: float, *, trickle: bytes = b"") -> float | None:
    """Seconds until the server closes ``sock`` (sending ``trickle`` every 0.05 s meanwhile),
    or None when it is still open after ``seconds``."""
    started = time.monotonic()
    sock.settimeout(0.05)
    while time.monotonic() - started < seconds:
        try:
            if trickle:
                sock.sendall(trickle)
            if sock.recv(65536) == b"":
                return time.monotonic() - started
        except TimeoutError:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - started
    return None


def answer(sock: socket.socket, path: str) -> bytes:
    sock.settimeout(5)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, rest = data.partition(b"\r\n\r\n")
    length = int(next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")).split(b":")[1])
    while len(rest) < length:
        rest += sock.recv(65536)
    return head.split(b"\r\n")[0]


def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout():
    with serve() as port, connect(port) as sock:
        waited = closed_within(sock, 5)
    assert waited is not None and waited < HEAD_TIMEOUT + 1


def test_a_request_head_trickling_in_is_closed_after_the_header_timeout():
    with serve() as port, connect(port) as sock:
        sock.sendall(b"GET /ok HTTP/1.1\r\nHost: test\r\n")
        waited = closed_within(sock, 5, trickle=b"X")
    assert waited is not None and waited < HEAD_TIMEOUT + 1


def test_a_kept_alive_connection_outlives_the_header_timeout_between_requests():
    with serve(http_keep_alive_seconds=5) as port, connect(port) as sock:
        assert answer(sock, "/ok") == b"HTTP/1.1 200 OK"
        time.sleep(HEAD_TIMEOUT * 2)
        assert answer(sock, "/ok") == b"HTTP/1.1 200 OK"


def test_an_unfinished_request_head_growing_past_the_size_limit_is_400():
    with serve(http_max_header_bytes=2048) as port, connect(port) as sock:
        sock.sendall(b"GET /ok HTTP/1.1\r\nHost: test\r\nX-Big: " + b"a" * 8192)
        assert sock.recv(65536).startswith(b"HTTP/1.1 400")


@pytest.fixture
def release_held():
    released.clear()
    yield
    released.set()


def test_requests_beyond_the_connection_limit_get_503(release_held):
    with serve(http_max_connections=2) as port, connect(port) as holder:
        holder.sendall(b"GET /hold HTTP/1.1\r\nHost: test\r\n\r\n")
        time.sleep(0.2)  # the held request is in the app
        with connect(port) as other:  # the second connection reaches the limit of 2
            assert answer(other, "/ok") == b"HTTP/1.1 503 Service Unavailable"
        released.set()
        holder.settimeout(5)
        assert holder.recv(65536).startswith(b"HTTP/1.1 200")
