"""The ``SecretStore`` port on AWS Secrets Manager, and the JSON settings secret.

The settings secret is one JSON object whose keys are environment variable names
(``{"DATABASE_URL": "...", "GITHUB_TOKEN": "..."}``). Error messages name secrets and keys,
never values.
"""

import json
from typing import Any

from app.adapters.secrets import SecretNotFound
from app.core.errors import ConfigurationError

STORE = "AWS Secrets Manager"


def secrets_manager_client(region: str) -> Any:
    """A boto3 Secrets Manager client for ``region``."""
    # Imported here, not at module top: boto3 is slow to import (cold start).
    import boto3

    return boto3.session.Session().client("secretsmanager", region_name=region)


class AwsSecretStore:
    """Reads the ``SecretString`` of a secret by name or ARN."""

    def __init__(self, client: Any):
        self._client = client

    def close(self) -> None:
        """Close the Secrets Manager client's connections."""
        self._client.close()

    def get(self, name: str) -> str:
        """The current ``SecretString`` of ``name``; ``SecretNotFound`` when there is none."""
        try:
            response = self._client.get_secret_value(SecretId=name)
        except self._client.exceptions.ResourceNotFoundException:
            raise SecretNotFound(name, store=STORE) from None
        value = response.get("SecretString")
        if value is None:
            raise ConfigurationError(
                f"secret {name!r} has no SecretString (binary secrets are not supported)"
            )
        return value


def fetch_secret_json(arn: str, *, region: str, client: Any = None) -> dict[str, str]:
    """The settings secret ``arn`` as a dict of variable name → value.

    Raises:
        SecretNotFound: the secret does not exist.
        ConfigurationError: it is not a JSON object of scalar values.
    """
    store = AwsSecretStore(client if client is not None else secrets_manager_client(region))
    raw = store.get(arn)
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise ConfigurationError(f"secret {arn!r} is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise ConfigurationError(f"secret {arn!r} must be a JSON object of NAME: value")
    return {str(key): _as_text(arn, key, value) for key, value in parsed.items()}


def _as_text(arn: str, key: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)  # true/false/numbers, as an environment variable would hold them
    raise ConfigurationError(
        f"secret {arn!r}: key {key!r} must be a string, number or boolean, "
        f"got {type(value).__name__}"
    )
