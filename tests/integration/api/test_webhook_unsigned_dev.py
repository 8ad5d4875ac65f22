"""Without GITHUB_WEBHOOK_SECRET, dev accepts unsigned deliveries; other environments refuse to start."""

import uuid

import pytest

from app.core.errors import ConfigurationError
from tests.conftest import fixture_bytes, make_settings


def test_dev_without_secret_accepts_unsigned_delivery_with_warning(container):
    from fastapi.testclient import TestClient

    from app.main import create_app

    container.settings.github.webhook_secret = None
    assert container.settings.check_startup()  # the loud warning
    with TestClient(create_app(container)) as client:
        response = client.post(
            "/webhooks/github",
            content=fixture_bytes("github/derived__workflow_run__completed.failure.payload.json"),
            headers={"X-GitHub-Event": "workflow_run", "X-GitHub-Delivery": str(uuid.uuid4())},
        )
    assert response.status_code == 202


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_staging_and_prod_refuse_to_start_without_secret(environment):
    settings = make_settings(None, environment=environment, github_webhook_secret=None, api_key="k")
    with pytest.raises(ConfigurationError):
        settings.check_startup()
