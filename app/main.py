"""create_app(container): the FastAPI application. Nothing is built at import time."""

from fastapi import FastAPI

from app.api import dashboard
from app.api.errors import install_error_handlers
from app.api.v1 import cluster_webhooks, health, incidents, metrics, slack, webhooks
from app.bootstrap import Container


def create_app(container: Container) -> FastAPI:
    app = FastAPI(
        title="CodeHealer",
        version="0.1.0",
        description="Self-healing CI/CD: failure webhooks in, fixed incidents out.",
    )
    app.state.container = container
    install_error_handlers(app)
    for router in (
        health.router,
        webhooks.router,
        cluster_webhooks.router,
        incidents.router,
        metrics.router,
        slack.router,
        dashboard.router,
    ):
        app.include_router(router)
    return app
