"""create_app(container): the FastAPI application. Nothing is built at import time."""

from fastapi import FastAPI

from app.api import dashboard
from app.api.errors import install_error_handlers
from app.api.v1 import health, incidents, metrics, pauses, slack, webhooks
from app.bootstrap import Container


def create_app(container: Container | None) -> FastAPI:
    """The app over ``container``; None gives the routes and the schema only (API fuzzing)."""
    docs = container is None or container.settings.openapi_docs_enabled
    app = FastAPI(
        title="CodeHealer",
        version="0.1.0",
        description="Self-healing CI/CD: failure webhooks in, fixed incidents out.",
        # /docs, /redoc and /openapi.json map the whole API: off in prod unless OPENAPI_DOCS.
        openapi_url="/openapi.json" if docs else None,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
    )
    app.state.container = container
    install_error_handlers(app)
    for router in (
        health.router,
        webhooks.router,
        incidents.router,
        metrics.router,
        pauses.router,
        slack.router,
        dashboard.router,
    ):
        app.include_router(router)
    return app
