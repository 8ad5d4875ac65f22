"""Secret stores: the environment (local) and AWS Secrets Manager (Lambda)."""

from app.core.errors import ConfigurationError


class SecretNotFound(ConfigurationError, KeyError):
    """A named secret does not exist in the store. The message names it, never a value."""

    def __init__(self, name: str, *, store: str):
        super().__init__(f"secret {name!r} not found in {store}")
        self.name = name
        self.store = store

    def __str__(self) -> str:
        # KeyError would render the message quoted, as if it were a key.
        return str(self.args[0])


__all__ = ["SecretNotFound"]
