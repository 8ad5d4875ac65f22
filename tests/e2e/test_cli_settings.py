"""The `codehealer` command reads its settings through the one loader, the SECRETS_ARN secret
included (as the Lambda handlers do)."""

import json

import boto3
import pytest
import respx
from moto import mock_aws

from app.cli import main
from app.core.security import github_signature

REGION = "eu-west-1"
WEBHOOK_SECRET = "whsec-only-in-secrets-manager-0123"


@pytest.fixture
def secrets_manager(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    for name in ("GITHUB_WEBHOOK_SECRET", "DATABASE_URL", "SECRETS_ARN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": REGION,
        "LOG_FORMAT": "text",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield boto3.client("secretsmanager", region_name=REGION)


def put_secret(client, monkeypatch, values: dict[str, str]) -> None:
    arn = client.create_secret(Name="codehealer/cli", SecretString=json.dumps(values))["ARN"]
    monkeypatch.setenv("SECRETS_ARN", arn)


def test_send_sample_signs_with_the_webhook_secret_from_secrets_arn(
    secrets_manager, monkeypatch
):
    put_secret(secrets_manager, monkeypatch, {"GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET})
    with respx.mock(assert_all_called=True) as router:
        route = router.post("http://127.0.0.1:8000/webhooks/github").respond(202, json={})
        assert main(["send-sample"]) == 0
    request = route.calls.last.request
    assert request.headers["X-Hub-Signature-256"] == github_signature(
        WEBHOOK_SECRET, request.content
    )


def test_db_current_uses_the_database_url_from_secrets_arn(
    secrets_manager, monkeypatch, database_url, tmp_path, capsys
):
    put_secret(secrets_manager, monkeypatch, {"DATABASE_URL": database_url})
    monkeypatch.setenv("CODEHEALER_DATA_DIR", str(tmp_path / "embedded"))
    assert main(["db", "current"]) == 0
    assert "schema at" in capsys.readouterr().out
    assert not (tmp_path / "embedded").exists()  # no embedded server was started instead
