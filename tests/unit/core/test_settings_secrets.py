"""Secrets and tokens in Settings: blank means not set; staging and prod refuse missing or weak ones."""

import shutil
from pathlib import Path

import pytest

from app.core.config import MIN_SECRET_LENGTH, Settings, secret_variables, setting_value
from app.core.errors import ConfigurationError

STRONG = "s3cret-value-" + "x" * MIN_SECRET_LENGTH
WEAK = "x" * (MIN_SECRET_LENGTH - 1)
SECRET_FIELDS = sorted(name.lower() for name in secret_variables())
# What callers present to CodeHealer: a guessable one lets anyone in.
ENV_EXAMPLE = Path(__file__).parents[3] / ".env.example"
INBOUND = ["api_key", "github_webhook_secret", "k8s_webhook_token", "argocd_webhook_token"]


def settings(**values) -> Settings:
    base = {"github_webhook_secret": STRONG, "api_key": STRONG}
    return Settings(_env_file=None, **(base | values))


def test_every_inbound_credential_is_a_secret_field():
    assert set(INBOUND) <= set(SECRET_FIELDS)


@pytest.mark.parametrize("field", SECRET_FIELDS)
@pytest.mark.parametrize("blank", ["", "   ", "\t\n", "\xa0"])
def test_a_blank_secret_is_not_set(field, blank):
    assert setting_value(Settings(_env_file=None, **{field: blank}), field) is None


@pytest.mark.parametrize("field", SECRET_FIELDS)
def test_a_blank_secret_from_the_environment_is_not_set(field, monkeypatch):
    monkeypatch.setenv(field.upper(), "")
    assert setting_value(Settings(_env_file=None), field) is None


def test_env_example_copied_as_is_sets_no_secret(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(ENV_EXAMPLE, tmp_path / ".env")
    copied = Settings()
    assert all(setting_value(copied, field) is None for field in SECRET_FIELDS)


def test_a_secret_keeps_its_exact_value():
    assert settings(api_key=f" {STRONG} ").server.api_key.get_secret_value() == f" {STRONG} "


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_staging_and_prod_refuse_an_empty_webhook_secret(environment):
    with pytest.raises(ConfigurationError, match="GITHUB_WEBHOOK_SECRET"):
        settings(environment=environment, github_webhook_secret="").check_startup()


def test_prod_refuses_an_empty_api_key():
    with pytest.raises(ConfigurationError, match="API_KEY"):
        settings(environment="prod", api_key=" ").check_startup()


@pytest.mark.parametrize("environment", ["staging", "prod"])
@pytest.mark.parametrize("field", INBOUND)
def test_staging_and_prod_refuse_a_weak_credential(environment, field):
    with pytest.raises(ConfigurationError, match=field.upper()) as refused:
        settings(environment=environment, **{field: WEAK}).check_startup()
    assert WEAK not in str(refused.value)


@pytest.mark.parametrize("field", INBOUND)
def test_padding_does_not_make_a_credential_strong(field):
    padded = "a" + " " * MIN_SECRET_LENGTH
    with pytest.raises(ConfigurationError, match=field.upper()):
        settings(environment="prod", **{field: padded}).check_startup()


def test_prod_starts_with_strong_credentials():
    tokens = {"k8s_webhook_token": STRONG, "argocd_webhook_token": STRONG}
    assert settings(environment="prod", **tokens).check_startup() == []


def test_dev_warns_about_a_weak_credential_and_starts():
    warnings = settings(environment="dev", api_key=WEAK).check_startup()
    assert any("API_KEY" in warning for warning in warnings)
