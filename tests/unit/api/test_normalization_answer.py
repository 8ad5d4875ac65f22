"""A payload a parser cannot read is the sender's to fix: the one error handler answers a
NormalizationError as any bad request (400, one warning line), though parsers speak no HTTP."""

import logging

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.api.errors import install_error_handlers
from app.core.errors import BadRequestError, NormalizationError


def app_raising(error: Exception) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/webhooks/test")
    async def receive() -> None:
        raise error

    return app


def answer(error: Exception):
    with TestClient(app_raising(error), raise_server_exceptions=False) as client:
        return client.post("/webhooks/test")


def test_a_normalization_error_is_answered_as_a_bad_request():
    unreadable = answer(NormalizationError("workflow_run.id is missing"))
    bad = answer(BadRequestError("workflow_run.id is missing"))
    assert unreadable.status_code == bad.status_code == 400
    assert unreadable.json() == bad.json() == {
        "error": "BadRequestError",
        "detail": "workflow_run.id is missing",
    }


def test_a_normalization_error_is_one_warning_line_with_what_is_wrong(caplog):
    with caplog.at_level(logging.INFO, logger="app.api"):
        answer(NormalizationError("Alertmanager webhook version '3' is not supported"))
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.levelno for r in lines] == [logging.WARNING]
    assert "-> 400: Alertmanager webhook version '3' is not supported" in lines[0].getMessage()
