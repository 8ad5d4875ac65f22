"""The one settings loader: layers (environment, SECRETS_ARN, overrides), and an invalid value
refused by name, never echoed (it may be a secret)."""

import json
import re
import traceback
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest
from moto import mock_aws

from app import lambda_handler
from app.core.errors import ConfigurationError
from app.settings_loader import load_settings

TOKEN = "xoxb-1234567890-" + "PlantedSlackTokenTail42"
APP = Path(__file__).parents[2] / "app"


@pytest.fixture
def secretsmanager_arn(monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        secret = {
            "GITHUB_API_URL": "https://github.example.com/api/v3",
            "GITHUB_TOKEN": "ghp_FromTheSecret000000000000000000000",
        }
        arn = client.create_secret(Name="codehealer/x", SecretString=json.dumps(secret))["ARN"]
        yield client, arn


def test_the_loader_names_an_invalid_setting_without_its_value():
    with pytest.raises(ConfigurationError) as refused:
        load_settings({"WORKER_THREADS": TOKEN, "SLACK_BOT_TOKEN": TOKEN})
    text = "".join(traceback.format_exception(refused.value))
    assert "WORKER_THREADS" in text
    assert "PlantedSlackTokenTail42" not in text


def test_the_lambda_handler_logs_an_invalid_setting_without_its_value(
    monkeypatch, caplog, tmp_path
):
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    monkeypatch.setenv("WORKER_THREADS", TOKEN)
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.delenv("SECRETS_ARN", raising=False)
    lambda_handler.reset_container_for_tests()
    event = {"source": "aws.events", "detail-type": "Scheduled Event"}
    with pytest.raises(ConfigurationError) as refused:
        lambda_handler.handler(event, SimpleNamespace(aws_request_id="r-1"))
    assert "WORKER_THREADS" in caplog.text
    assert "PlantedSlackTokenTail42" not in caplog.text
    assert "PlantedSlackTokenTail42" not in "".join(traceback.format_exception(refused.value))


def test_overrides_win_over_the_environment_whichever_name_either_uses():
    settings = load_settings(
        {"APPROVAL_TTL": "45", "CODEHEALER_DATA_DIR": "/srv/env"},
        overrides={"approval_ttl_minutes": 5, "data_dir": "/srv/forced"},
    )
    assert settings.decision.approval_ttl_minutes == 5
    assert str(settings.database.data_dir) == "/srv/forced"


def test_overrides_win_over_the_secrets_arn_secret(secretsmanager_arn):
    client, arn = secretsmanager_arn
    environ = {"SECRETS_ARN": arn, "AWS_REGION": "us-east-1"}
    settings = load_settings(
        environ, overrides={"GITHUB_API_URL": "http://127.0.0.1:9"}, secrets_client=client
    )
    assert settings.github.api_url == "http://127.0.0.1:9"
    assert settings.github.token.get_secret_value() == "ghp_FromTheSecret000000000000000000000"


def test_settings_are_built_only_by_the_loader():
    """CLI, server, Lambda and migrations read their settings the same way (SECRETS_ARN too)."""
    built_elsewhere = [
        f"{path.relative_to(APP.parent)}:{number}"
        for path in APP.rglob("*.py")
        if path not in (APP / "settings_loader.py", APP / "core" / "config.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\bSettings\(", line)
    ]
    assert built_elsewhere == []
