"""The ``SecretStore`` port over an environment mapping (local runs and tests)."""

from collections.abc import Mapping

from app.adapters.secrets import SecretNotFound


class EnvSecretStore:
    """Reads secrets from a mapping of variable names to values, given by the caller."""

    def __init__(self, environ: Mapping[str, str]):
        self._environ = environ

    def get(self, name: str) -> str:
        """The value of ``name``; raises ``SecretNotFound`` when it is missing or empty."""
        value = self._environ.get(name)
        if not value:
            raise SecretNotFound(name, store="the environment")
        return value
