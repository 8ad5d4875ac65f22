"""The one settings loader: the CLI (and so `serve`, `worker` and `db`), the Lambda handlers and
hand-run migrations all read their settings here.

``load_settings()`` reads the environment and ``.env``; when ``SECRETS_ARN`` is set it also reads
that JSON secret, whose keys are environment variable names, and its values win over the
environment. ``overrides`` (the demo's forced values) win over both. Nothing is read at import
time.
"""

import os
from collections.abc import Mapping
from typing import Any

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from app.adapters.secrets.aws import fetch_secret_json
from app.core.config import Settings, VariablesSource, documented_name, source_variables


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


def _layered(*layers: Mapping[str, Any]) -> dict[str, Any]:
    """Later layers win, whichever of a setting's names (or case) each layer uses."""
    merged: dict[str, Any] = {}
    for layer in layers:
        merged.update({documented_name(key): value for key, value in layer.items()})
    return merged


def _build(environ: Mapping[str, str] | None, values: dict[str, Any]) -> Settings:
    if environ is None or environ is os.environ:
        # pydantic-settings: init arguments take precedence over environment variables and .env.
        return Settings(**values)
    return _MappingSettings(**_layered(environ, values))


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    secrets_client: Any = None,
) -> Settings:
    """The settings from ``environ`` (default: the process environment and ``.env``), the
    ``SECRETS_ARN`` secret and ``overrides``, each winning over the one before.

    Keys of the secret and of ``overrides`` are environment variable names (``GITHUB_TOKEN``,
    any case); unknown keys are ignored, like unknown environment variables.
    """
    forced = _layered(overrides or {})
    settings = _build(environ, forced)
    if not settings.aws.secrets_arn:
        return settings
    secret = fetch_secret_json(
        settings.aws.secrets_arn, region=settings.aws.region, client=secrets_client
    )
    return _build(environ, _layered(secret, forced))
