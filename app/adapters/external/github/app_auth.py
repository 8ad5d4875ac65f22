"""The two ``GitHubTokenProvider`` adapters: a personal token, and a GitHub App's installation
tokens.

A GitHub App signs in as itself with a short RS256 JWT (issued 60 s in the past, against clock
drift between us and GitHub; expiring within 10 minutes; ``iss`` = the App id) and trades it
for an installation token (``POST /app/installations/{id}/access_tokens``, valid for an hour).
Everything else is called with installation tokens, cached per installation until shortly
before they expire. The worker threads share one cache: each installation has its own lock,
so concurrent incidents of one installation trade the JWT once, not once per thread.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import SecretStr

from app.adapters.external.github.names import checked_repo
from app.adapters.external.http import ResilientClient
from app.core.errors import ConfigurationError, GitHubError
from app.core.ports import GitHubTokenProvider
from app.core.settings_parts import GitHubSettings

log = logging.getLogger(__name__)

JWT_BACKDATE_SECONDS = 60
# GitHub refuses a JWT that expires more than 10 minutes after it receives it.
JWT_LIFETIME_SECONDS = 9 * 60
# An installation token is replaced this long before its expires_at, so that a call started
# with it does not arrive after it lapsed.
REFRESH_MARGIN_SECONDS = 5 * 60
MAX_INSTALLATION_PAGES = 10


class PersonalToken:
    """``GITHUB_TOKEN``: one token for every call, whatever the installation."""

    def __init__(self, token: SecretStr):
        self._token = token

    def token(self, installation_id: int | None, *, repo: str | None = None) -> str:
        return self._token.get_secret_value()

    def refresh(
        self, installation_id: int | None, rejected: str, *, repo: str | None = None
    ) -> str | None:
        return None  # there is no newer personal token to try: the 401 stands

    def installations(self) -> list[int] | None:
        return None


@dataclass(frozen=True)
class InstallationToken:
    value: str
    expires_at: float  # seconds since the epoch

    def usable(self, now: float, margin: float) -> bool:
        return now < self.expires_at - margin


def load_private_key(pem: SecretStr) -> Any:
    """The App's RSA private key from PEM text (newlines may be written as ``\\n``)."""
    # Imported here, not at module top: only an App configuration pays for cryptography.
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    text = pem.get_secret_value().strip().replace("\\n", "\n")
    try:
        key = load_pem_private_key(text.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # from None: the parser's message must not carry any of the key into a traceback.
        raise ConfigurationError(
            "GITHUB_APP_PRIVATE_KEY is not an unencrypted PEM private key "
            "(the .pem file GitHub generates for the App)"
        ) from None
    if not isinstance(key, RSAPrivateKey):
        raise ConfigurationError("GITHUB_APP_PRIVATE_KEY must be an RSA key, as GitHub issues")
    return key


def app_jwt(app_id: int, private_key: Any, *, now: float) -> str:
    """The JWT a GitHub App signs in with (RS256)."""
    import jwt  # here, not at module top: cold starts without an App do not load it

    issued = int(now)
    claims = {
        "iat": issued - JWT_BACKDATE_SECONDS,
        "exp": issued + JWT_LIFETIME_SECONDS,
        "iss": str(app_id),
    }
    return jwt.encode(claims, private_key, algorithm="RS256")


class AppInstallationTokens:
    """``GITHUB_APP_ID`` + ``GITHUB_APP_PRIVATE_KEY``: installation tokens, cached per installation."""

    def __init__(
        self,
        api: ResilientClient,
        *,
        app_id: int,
        private_key: SecretStr,
        clock: Callable[[], float] = time.time,
        refresh_margin: float = REFRESH_MARGIN_SECONDS,
    ):
        self.api = api
        self.app_id = app_id
        self._key = load_private_key(private_key)
        self._clock = clock
        self._margin = refresh_margin
        self._tokens: dict[int, InstallationToken] = {}
        self._repo_installations: dict[str, int] = {}
        self._locks: dict[int, threading.Lock] = {}
        self._guard = threading.Lock()

    def jwt(self) -> str:
        return app_jwt(self.app_id, self._key, now=self._clock())

    def token(self, installation_id: int | None, *, repo: str | None = None) -> str:
        installation = self._installation(installation_id, repo)
        with self._lock_for(installation):
            cached = self._tokens.get(installation)
            if cached is not None and cached.usable(self._clock(), self._margin):
                return cached.value
            return self._exchange(installation)

    def refresh(
        self, installation_id: int | None, rejected: str, *, repo: str | None = None
    ) -> str | None:
        installation = self._installation(installation_id, repo)
        with self._lock_for(installation):
            cached = self._tokens.get(installation)
            if (
                cached is not None
                and cached.value != rejected
                and cached.usable(self._clock(), self._margin)
            ):
                return cached.value  # another call replaced it while this one waited
            log.info("GitHub refused the token of installation %s: getting a new one", installation)
            return self._exchange(installation)

    def installations(self) -> list[int] | None:
        """``GET /app/installations``: the App's installations that are not suspended."""
        found: list[int] = []
        for page in range(1, MAX_INSTALLATION_PAGES + 1):
            batch = self._as_app(
                "GET", "/app/installations", params={"per_page": 100, "page": page}
            ).json()
            found += [int(i["id"]) for i in batch if not i.get("suspended_at")]
            if len(batch) < 100:
                break
        return found

    # --- helpers -------------------------------------------------------------------------
    def _lock_for(self, installation: int) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(installation, threading.Lock())

    def _installation(self, installation_id: int | None, repo: str | None) -> int:
        """The named installation; else the one installed on ``repo`` (a delivery that came
        through a repository or organization webhook names none)."""
        if installation_id is not None:
            return installation_id
        if repo is None:
            raise GitHubError(
                "a GitHub App call needs an installation, and none is known", status_code=401
            )
        with self._guard:
            known = self._repo_installations.get(repo)
        if known is not None:
            return known
        body = self._as_app("GET", f"/repos/{checked_repo(repo)}/installation").json()
        installation = int(body["id"])
        with self._guard:
            self._repo_installations[repo] = installation
        return installation

    def _exchange(self, installation: int) -> str:
        """``POST /app/installations/{id}/access_tokens``; the caller holds the installation's lock."""
        body = self._as_app("POST", f"/app/installations/{int(installation)}/access_tokens").json()
        token, expires = body.get("token"), body.get("expires_at")
        if not isinstance(token, str) or not token or not isinstance(expires, str):
            raise GitHubError(f"GitHub answered no usable token for installation {installation}")
        try:
            expires_at = datetime.fromisoformat(expires).timestamp()
        except ValueError:
            raise GitHubError(
                f"GitHub answered an unreadable expires_at for installation {installation}"
            ) from None
        fresh = InstallationToken(token, expires_at)
        self._tokens[installation] = fresh
        log.info("GitHub App installation %s: new token, expires at %s", installation, expires)
        return fresh.value

    def _as_app(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            return self.api.request(
                method, path, headers={"Authorization": f"Bearer {self.jwt()}"}, **kwargs
            )
        except GitHubError as exc:
            if exc.upstream_status == 401:
                raise GitHubError(
                    f"GitHub refused the App's JWT for {method} {path}: check GITHUB_APP_ID, "
                    "GITHUB_APP_PRIVATE_KEY and this machine's clock",
                    status_code=401,
                ) from exc
            raise


def build_token_provider(settings: GitHubSettings, api: ResilientClient) -> GitHubTokenProvider | None:
    """The App when it is configured, else ``GITHUB_TOKEN``, else None (anonymous calls)."""
    if settings.app_configured:
        assert settings.app_id is not None and settings.app_private_key is not None
        return AppInstallationTokens(
            api, app_id=settings.app_id, private_key=settings.app_private_key
        )
    if settings.token is not None:
        return PersonalToken(settings.token)
    return None
