"""Settings for environments whose secrets live in AWS Secrets Manager (Lambda).

``load_settings()`` reads the environment; when ``SECRETS_ARN`` is set it also reads that JSON
secret, whose keys are environment variable names, and its values win over the environment.
Nothing is read at import time.
"""

import os
from collections.abc import Mapping
from typing import Any

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from app.adapters.secrets.aws import fetch_secret_json
from app.core.config import Settings, VariablesSource, source_variables


class _MappingSettings(Settings):
    """Settings built only from init arguments: no process environment, no ``.env`` file."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (VariablesSource(settings_cls, source_variables(init_settings)),)


def _build(environ: Mapping[str, str] | None, overrides: dict[str, Any]) -> Settings:
    if environ is None or environ is os.environ:
        # pydantic-settings: init arguments take precedence over environment variables and .env.
        return Settings(**overrides)
    values = {key.lower(): value for key, value in environ.items()}
    values.update(overrides)
    return _MappingSettings(**values)


def load_settings(
    environ: Mapping[str, str] | None = None, *, secrets_client: Any = None
) -> Settings:
    """The settings from ``environ`` (default: the process environment) and ``SECRETS_ARN``.

    Keys of the secret are environment variable names (``GITHUB_TOKEN``); unknown keys are
    ignored, like unknown environment variables.
    """
    settings = _build(environ, {})
    if not settings.aws.secrets_arn:
        return settings
    secret = fetch_secret_json(
        settings.aws.secrets_arn, region=settings.aws.region, client=secrets_client
    )
    return _build(environ, {key.lower(): value for key, value in secret.items()})
