"""Map the exception tree to HTTP in one place. A 500 body carries a correlation id, never str(e)."""

import logging
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

from app.core.errors import CodeHealerError, IntegrationError
from app.core.redaction import mask_secrets

log = logging.getLogger("app.api")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CodeHealerError)
    async def _known(request: Request, exc: CodeHealerError) -> JSONResponse:
        status = getattr(exc, "status_code", None)
        if isinstance(exc, IntegrationError) or status is None:
            return _internal(request, exc)
        message = mask_secrets(str(exc))
        log.warning("%s %s -> %s: %s", request.method, request.url.path, status, message)
        return JSONResponse({"error": type(exc).__name__, "detail": message}, status_code=status)

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

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return _internal(request, exc)


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
