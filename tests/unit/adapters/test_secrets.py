"""Secret stores and settings from AWS Secrets Manager, against moto."""

import json

import boto3
import pytest
from moto import mock_aws

from app.adapters.secrets import SecretNotFound
from app.adapters.secrets.aws import AwsSecretStore, fetch_secret_json
from app.adapters.secrets.env import EnvSecretStore
from app.core.errors import ConfigurationError
from app.settings_loader import load_settings

REGION = "us-east-1"
GITHUB_TOKEN = "ghp_SecretFromSecretsManager0123456789ab"
DATABASE_URL = "postgresql://codehealer:db-password-7f3a@db.internal:5432/codehealer"
SECRET = {
    "DATABASE_URL": DATABASE_URL,
    "GITHUB_TOKEN": GITHUB_TOKEN,
    "GITHUB_WEBHOOK_SECRET": "whsec-from-secrets-manager",
    "NOT_A_SETTING": "ignored",
}


@pytest.fixture
def secretsmanager(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield boto3.client("secretsmanager", region_name=REGION)


@pytest.fixture
def secret_arn(secretsmanager) -> str:
    created = secretsmanager.create_secret(
        Name="codehealer/dev/app", SecretString=json.dumps(SECRET)
    )
    return created["ARN"]


def test_fetch_secret_json_reads_the_settings_secret(secret_arn):
    assert fetch_secret_json(secret_arn, region=REGION) == SECRET


def test_fetch_secret_json_refuses_a_secret_that_is_not_an_object(secretsmanager):
    arn = secretsmanager.create_secret(Name="plain", SecretString=GITHUB_TOKEN)["ARN"]
    with pytest.raises(ConfigurationError, match="not valid JSON") as caught:
        fetch_secret_json(arn, region=REGION, client=secretsmanager)
    assert GITHUB_TOKEN not in str(caught.value)


def test_load_settings_takes_secret_values_from_secrets_arn(secret_arn, secretsmanager):
    environ = {"SECRETS_ARN": secret_arn, "AWS_REGION": REGION, "ENVIRONMENT": "staging"}

    settings = load_settings(environ, secrets_client=secretsmanager)

    assert settings.github.token.get_secret_value() == GITHUB_TOKEN
    assert settings.github.webhook_secret.get_secret_value() == "whsec-from-secrets-manager"
    assert settings.database.url == DATABASE_URL
    assert settings.environment == "staging"
    assert GITHUB_TOKEN not in repr(settings)
    assert "whsec-from-secrets-manager" not in repr(settings)


def test_secret_values_win_over_the_process_environment(secret_arn, monkeypatch):
    monkeypatch.setenv("SECRETS_ARN", secret_arn)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_StaleTokenFromTheEnvironment000000")
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")

    settings = load_settings()

    assert settings.github.token.get_secret_value() == GITHUB_TOKEN
    assert settings.log_level == "DEBUG"  # not in the secret: the environment still counts


def test_load_settings_without_secrets_arn_reads_only_the_environment():
    settings = load_settings({"GITHUB_TOKEN": "ghp_OnlyInTheEnvironment00000000000000"})
    assert settings.aws.secrets_arn is None
    assert settings.github.token.get_secret_value() == "ghp_OnlyInTheEnvironment00000000000000"


def test_aws_secret_store_gets_a_secret_string(secretsmanager):
    secretsmanager.create_secret(Name="codehealer/slack", SecretString="xoxb-slack-token-value")
    store = AwsSecretStore(secretsmanager)
    assert store.get("codehealer/slack") == "xoxb-slack-token-value"


def test_aws_secret_store_missing_name_raises_a_clear_error(secret_arn, secretsmanager):
    with pytest.raises(SecretNotFound) as caught:
        AwsSecretStore(secretsmanager).get("codehealer/missing")
    message = str(caught.value)
    assert message == "secret 'codehealer/missing' not found in AWS Secrets Manager"
    assert isinstance(caught.value, KeyError)
    assert GITHUB_TOKEN not in message


def test_env_secret_store_gets_a_value():
    store = EnvSecretStore({"GITHUB_TOKEN": GITHUB_TOKEN})
    assert store.get("GITHUB_TOKEN") == GITHUB_TOKEN


def test_env_secret_store_missing_name_raises_a_clear_error_without_values():
    store = EnvSecretStore({"GITHUB_TOKEN": GITHUB_TOKEN, "SLACK_BOT_TOKEN": ""})
    with pytest.raises(SecretNotFound) as missing:
        store.get("NVIDIA_API_KEY")
    with pytest.raises(KeyError) as empty:
        store.get("SLACK_BOT_TOKEN")
    assert str(missing.value) == "secret 'NVIDIA_API_KEY' not found in the environment"
    assert "SLACK_BOT_TOKEN" in str(empty.value)
    assert GITHUB_TOKEN not in str(missing.value) + repr(missing.value)
