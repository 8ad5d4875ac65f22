"""A GitHub App configured from the Secrets Manager settings secret (as on Lambda), against moto."""

import json

import boto3
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from moto import mock_aws

from app.adapters.external.github.app_auth import load_private_key
from app.settings_loader import load_settings

REGION = "us-east-1"


@pytest.fixture
def secretsmanager(monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield boto3.client("secretsmanager", region_name=REGION)


def test_app_id_and_multiline_pem_key_come_from_the_settings_secret(secretsmanager):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    # As `jq --rawfile` writes it: the id a JSON number, the key with its newlines.
    secret = {"GITHUB_APP_ID": 364102, "GITHUB_APP_PRIVATE_KEY": pem}
    arn = secretsmanager.create_secret(Name="codehealer/dev/app", SecretString=json.dumps(secret))[
        "ARN"
    ]

    settings = load_settings(
        {"SECRETS_ARN": arn, "AWS_REGION": REGION}, secrets_client=secretsmanager
    )

    assert settings.github.app_id == 364102 and settings.github.app_configured
    assert settings.effective_dry_run is False
    loaded = load_private_key(settings.github.app_private_key)
    assert loaded.public_key().public_numbers() == key.public_key().public_numbers()
    assert "PRIVATE KEY" not in repr(settings)
