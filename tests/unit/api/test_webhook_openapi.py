"""The webhook routes read their headers from the request; the OpenAPI still documents them."""

from app.main import create_app


def header_parameters(path: str) -> dict[str, bool]:
    operation = create_app(None).openapi()["paths"][path]["post"]
    return {p["name"]: p["required"] for p in operation.get("parameters", []) if p["in"] == "header"}


def test_the_github_webhook_documents_its_three_headers():
    assert header_parameters("/webhooks/github") == {
        "X-GitHub-Event": True,
        "X-GitHub-Delivery": True,
        "X-Hub-Signature-256": False,
    }
