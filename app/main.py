"""create_app(container): the FastAPI application. Nothing is built at import time."""

from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.errors import install_error_handlers
from app.api.v1 import webhooks
from app.bootstrap import Container


def create_app(container: Container | None, *, defer_routers: bool = False) -> FastAPI:
    """The app over ``container``; None gives the routes and the schema only (API fuzzing).

    ``defer_routers`` (Lambda): only the webhook routes at first; the others are included,
    in their order, before the first request for anything else is routed (the schema and
    the docs included), so a webhook does not import the read models, Slack's routes or the
    dashboard's templates."""
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
    if defer_routers:
        first_route = len(app.router.routes)  # after the schema and docs routes
        app.include_router(webhooks.router)
        app.add_middleware(RoutersOnFirstUse, target=app, first_route=first_route)
    else:
        include_routers(app)
    return app


def routers() -> list[APIRouter]:
    """Every router, in the order the app routes (and lists) them."""
    # Imported here, not at module top: with defer_routers, a webhook does not need them.
    from app.api import dashboard
    from app.api.v1 import health, incidents, metrics, pauses, slack

    return [
        health.router,
        webhooks.router,
        incidents.router,
        metrics.router,
        pauses.router,
        slack.router,
        dashboard.router,
    ]


def include_routers(app: FastAPI) -> None:
    for router in routers():
        app.include_router(router)


class RoutersOnFirstUse:
    """ASGI middleware of a deferred app: before the first request that is not a webhook is
    routed, the webhook routes make way for every router in its order."""

    def __init__(self, app: ASGIApp, *, target: FastAPI, first_route: int) -> None:
        self.app = app
        self.target = target
        self.first_route = first_route
        self.included = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.included and scope["type"] == "http" and not is_webhook(scope["path"]):
            del self.target.router.routes[self.first_route :]
            include_routers(self.target)
            self.included = True
        await self.app(scope, receive, send)


def is_webhook(path: str) -> bool:
    return path.startswith(webhooks.router.prefix + "/")
