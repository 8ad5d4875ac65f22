"""Errors reach the log once: an unexpected exception is one ERROR line, whatever the server."""

import logging
import socket

from fastapi import FastAPI

from app.api.errors import install_error_handlers
from app.api.server import server_config
from tests.conftest import make_settings
from tests.support.live_server import live_server


def failing_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("something unexpected")

    return app


def get(port: int, path: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def test_an_unexpected_exception_is_one_500_and_one_log_line(caplog):
    config = server_config(failing_app(), make_settings(None).server, host="127.0.0.1", port=0)
    with live_server(config) as port:
        caplog.clear()
        with caplog.at_level(logging.INFO):
            response = get(port, "/boom")
    assert response.startswith(b"HTTP/1.1 500")
    assert b"correlation_id" in response
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    # The traceback is on the line (as exc_text once the redacting filter has rendered it).
    assert errors[0].exc_info is not None or "RuntimeError" in (errors[0].exc_text or "")
