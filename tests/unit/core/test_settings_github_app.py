"""Settings of a GitHub App: both values or neither, and an App alone is enough to act."""

import pytest

from app.core.config import Settings
from app.core.errors import ConfigurationError

PEM = "-----BEGIN RSA PRIVATE KEY-----\nnot checked here\n-----END RSA PRIVATE KEY-----\n"


def test_an_app_configuration_alone_can_act():
    settings = Settings(_env_file=None, github_app_id=364102, github_app_private_key=PEM)
    assert settings.github.app_configured
    assert settings.effective_dry_run is False


def test_private_key_is_a_secret_string():
    settings = Settings(_env_file=None, github_app_id=364102, github_app_private_key=PEM)
    assert "not checked here" not in repr(settings)


@pytest.mark.parametrize("values", [{"github_app_id": 364102}, {"github_app_private_key": PEM}])
def test_an_app_id_without_its_key_or_the_reverse_refuses_to_start(values):
    settings = Settings(_env_file=None, **values)
    assert not settings.github.app_configured
    with pytest.raises(ConfigurationError, match="GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY"):
        settings.check_startup()


def test_empty_app_variables_as_in_env_example_mean_no_app(monkeypatch):
    monkeypatch.setenv("GITHUB_APP_ID", "")
    monkeypatch.setenv("GITHUB_APP_PRIVATE_KEY", "")
    settings = Settings(_env_file=None)
    assert settings.github.app_id is None and settings.github.app_private_key is None


def test_a_personal_token_beside_an_app_is_reported_as_ignored():
    settings = Settings(
        _env_file=None, github_app_id=364102, github_app_private_key=PEM, github_token="ghp_x"
    )
    assert any("GITHUB_TOKEN is ignored" in w for w in settings.check_startup())
