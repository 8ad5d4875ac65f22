"""An app with deferred routers (Lambda) serves the same routes, in the same order, as one
with every router included at once, from its first request that is not a webhook."""

from fastapi.testclient import TestClient

from app.main import create_app


def paths(app) -> list[str]:
    """Each route's path, an included router's prefix for the router."""
    return [
        route.path if hasattr(route, "path") else route.original_router.prefix
        for route in app.router.routes
    ]


def test_a_deferred_app_starts_with_the_webhook_routes_only():
    deferred = create_app(None, defer_routers=True)
    assert "/webhooks" in paths(deferred)
    assert "/dashboard" not in paths(deferred)


def test_the_first_other_request_includes_every_router_in_order():
    deferred = create_app(None, defer_routers=True)
    with TestClient(deferred) as client:
        client.get("/docs")
    assert paths(deferred) == paths(create_app(None))


def test_the_schema_of_a_deferred_app_is_the_whole_api():
    with TestClient(create_app(None, defer_routers=True)) as client:
        schema = client.get("/openapi.json").json()
    assert schema == create_app(None).openapi()


def test_a_webhook_request_leaves_the_other_routers_out():
    deferred = create_app(None, defer_routers=True)
    with TestClient(deferred, raise_server_exceptions=False) as client:
        client.post("/webhooks/github", content=b"{}")
    assert "/dashboard" not in paths(deferred)
