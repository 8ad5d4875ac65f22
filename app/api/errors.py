"""Map the exception tree to HTTP in one place. A 500 body carries a correlation id, never str(e)."""

import logging
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.body import body_left_unread
from app.core.errors import (
    BadRequestError,
    CodeHealerError,
    IntegrationError,
    NormalizationError,
)
from app.core.redaction import mask_secrets

log = logging.getLogger("app.api")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CodeHealerError)
    async def _known(request: Request, exc: CodeHealerError) -> JSONResponse:
        status = getattr(exc, "status_code", None)
        if isinstance(exc, IntegrationError) or status is None:
            return _internal(request, exc)
        return _refused(request, exc, status)

    @app.exception_handler(NormalizationError)
    async def _unreadable(request: Request, exc: NormalizationError) -> JSONResponse:
        # Parsers speak no HTTP; to the sender, a payload they cannot read is a bad request.
        return _refused(request, BadRequestError(str(exc)), BadRequestError.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's documented 422 shape (HTTPValidationError), with input values left out:
        # they may carry secrets.
        errors = [
            {
                "loc": list(e.get("loc", ())),
                "msg": mask_secrets(str(e.get("msg", ""))),
                "type": str(e.get("type", "value_error")),
            }
            for e in exc.errors()[:10]
        ]
        log.warning("%s %s -> 422: %s", request.method, request.url.path, errors)
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(OperationalError)
    async def _database_down(request: Request, exc: OperationalError) -> JSONResponse:
        # Nothing was stored: 503 tells the sender to deliver again later.
        log.error(
            "%s %s -> 503: database unavailable (%s)",
            request.method,
            request.url.path,
            type(exc.orig).__name__ if exc.orig else "OperationalError",
        )
        return JSONResponse(
            {"error": "DatabaseUnavailable", "detail": "try again later"},
            status_code=503,
            headers={"Retry-After": "30"},
        )

    # Not ``exception_handler(Exception)``: Starlette runs that one in its outermost middleware,
    # which re-raises after answering, and the server then logs the same error a second time.
    app.add_middleware(UnexpectedErrors)


class UnexpectedErrors:
    """Answers an unexpected exception with a 500 carrying a correlation id, logged once."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_tracked)
        except Exception as exc:
            if started:  # too late to answer 500: the server logs it and drops the connection
                raise
            await _internal(Request(scope), exc)(scope, receive, send)


def _refused(request: Request, exc: CodeHealerError, status: int) -> JSONResponse:
    """The sender's error: its status, its name and masked message, one warning line."""
    message = mask_secrets(str(exc))
    log.warning("%s %s -> %s: %s", request.method, request.url.path, status, message)
    retry_after = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    if body_left_unread(request):  # refused unread: do not wait for the rest of it
        headers["Connection"] = "close"
    return JSONResponse(
        {"error": type(exc).__name__, "detail": message}, status_code=status, headers=headers
    )


def _internal(request: Request, exc: Exception) -> JSONResponse:
    correlation_id = uuid.uuid4().hex
    log.error(
        "%s %s failed (correlation id %s)",
        request.method,
        request.url.path,
        correlation_id,
        exc_info=exc,
    )
    return JSONResponse(
        {"error": "InternalError", "correlation_id": correlation_id}, status_code=500
    )
