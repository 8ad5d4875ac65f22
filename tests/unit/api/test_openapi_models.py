"""Every read endpoint declares the model it answers with, so the OpenAPI schema shows it."""

from app.main import create_app

READ_API = {"/api/v1/incidents", "/api/v1/incidents/{incident_id}", "/api/v1/metrics/summary"}


def answer_schemas() -> dict[str, dict]:
    """The schema of the 200 answer of every GET operation, by path."""
    paths = create_app(None).openapi()["paths"]
    return {
        path: operations["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        for path, operations in paths.items()
        if "get" in operations
    }


def test_every_read_endpoint_declares_a_response_model():
    schemas = answer_schemas()
    assert READ_API <= set(schemas)
    without_model = sorted(path for path, schema in schemas.items() if "$ref" not in schema)
    assert without_model == []


def test_the_incident_answer_shows_its_fields_in_the_schema():
    components = create_app(None).openapi()["components"]["schemas"]
    detail = components["IncidentDetail"]["properties"]
    assert {"status", "repo", "confidence_parts", "attempts", "audit"} <= set(detail)
    assert "embedding" not in detail
