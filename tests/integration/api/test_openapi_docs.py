"""/docs, /redoc and /openapi.json: on in dev, off in prod unless OPENAPI_DOCS=true."""

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.conftest import make_settings

DOC_PATHS = ("/docs", "/redoc", "/openapi.json")
STRONG = "openapi-docs-test-key-0123456789"


def docs_status(container, database_url, **values) -> set[int]:
    container.settings = make_settings(database_url, api_key=STRONG, **values)
    with TestClient(create_app(container), raise_server_exceptions=False) as http:
        return {http.get(path).status_code for path in DOC_PATHS}


@pytest.mark.parametrize("environment", ["dev", "staging"])
def test_docs_are_on_outside_prod(container, database_url, environment):
    assert docs_status(container, database_url, environment=environment) == {200}


def test_docs_are_off_in_prod(container, database_url):
    assert docs_status(container, database_url, environment="prod") == {404}


def test_prod_can_turn_the_docs_on(container, database_url):
    assert docs_status(container, database_url, environment="prod", openapi_docs=True) == {200}


def test_dev_can_turn_the_docs_off(container, database_url):
    assert docs_status(container, database_url, environment="dev", openapi_docs=False) == {404}
