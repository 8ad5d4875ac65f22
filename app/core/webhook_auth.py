"""How a webhook source proves who sent a delivery: the two shapes the ingest routes check.

A source registers one of these beside its parser (app/bootstrap): a token the sender repeats
in a header (Argo CD's and Alertmanager's ``Authorization: Bearer``, GitLab's
``X-Gitlab-Token``), or an HMAC-SHA256 of the body in a header (GitHub's
``X-Hub-Signature-256``). The routes check either one the same way, so a new source needs no
code in the API layer.
"""

from dataclasses import dataclass

from pydantic import SecretStr

from app.core.enums import IncidentSource


@dataclass(frozen=True, slots=True)
class SharedToken:
    """The configured token, in ``header`` after ``scheme`` (``Bearer <token>``), or alone
    when ``scheme`` is None. Checked before the body is read."""

    header: str
    token: SecretStr | None
    setting: str
    scheme: str | None = "Bearer"

    def expected(self) -> str | None:
        """The exact header value to expect; None when no token is configured."""
        if self.token is None:
            return None
        value = self.token.get_secret_value()
        return value if self.scheme is None else f"{self.scheme} {value}"


@dataclass(frozen=True, slots=True)
class SignedBody:
    """``prefix`` and the hex HMAC-SHA256 of the body with the configured secret, in
    ``header``. A malformed header is refused before the body is read."""

    header: str
    secret: SecretStr | None
    setting: str
    prefix: str = "sha256="


WebhookAuth = SharedToken | SignedBody


@dataclass(frozen=True, slots=True)
class WebhookSource:
    """A webhook endpoint (``POST /api/v1/webhooks/{name}``): the source its signals belong
    to (whose parser reads them) and how its sender is verified."""

    source: IncidentSource
    auth: WebhookAuth
