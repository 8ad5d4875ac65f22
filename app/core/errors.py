"""The exception tree. Services never raise HTTPException: app/api/errors.py maps this tree to HTTP
in one handler. An error with a ``status_code`` is answered with it (and Retry-After when it
carries ``retry_after``); a NormalizationError is answered 400 as a bad request; anything else,
``IntegrationError`` included, is a 500 carrying a correlation id, never its message.

CodeHealerError
├── BadRequestError            malformed input the sender can fix (400)
│   ├── PayloadTooLargeError   body over the configured limit (413)
│   └── RequestTimeoutError    body arriving slower than the configured floor (408)
├── AuthenticationError        missing or wrong signature / token (401)
├── TooManyAttemptsError       too many failed keys from one address; retry after a while (429)
├── ServiceBusyError           no capacity for the request now; retry after a while (503)
├── NotFoundError              unknown id (404)
├── ConfigurationError         settings that cannot work (refused at startup, or by the
│   │                          command that needs them)
│   └── InvalidSettingsError   a setting that does not validate (named, its value left out);
│                              also a ValueError
├── NormalizationError         a payload a parser could not turn into signals (answered 400)
├── RetryLater                 a pipeline step: not yet (logs not ready); try after ``delay``
├── EscalateIncident           a pipeline step: a person must look; ``key`` names the runbook
└── IntegrationError           an outside system failed (``retryable``: it may work later)
    ├── GitHubError
    ├── KubernetesError
    ├── ArgoCDError
    ├── SlackError
    ├── LLMError
    └── CircuitOpenError       the integration's circuit is open: no call was made (retryable)
"""

from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for the annotation only: core imports nothing from domain at run time
    from app.domain.escalation import EscalationReason


class CodeHealerError(Exception):
    """Base of every error CodeHealer raises on purpose."""


class BadRequestError(CodeHealerError):
    status_code = 400


class PayloadTooLargeError(BadRequestError):
    status_code = 413


class RequestTimeoutError(BadRequestError):
    status_code = 408


class ServiceBusyError(CodeHealerError):
    """No capacity for this request now: the sender should deliver again after ``retry_after``
    seconds (sent as Retry-After)."""

    status_code = 503

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class AuthenticationError(CodeHealerError):
    status_code = 401


class TooManyAttemptsError(CodeHealerError):
    """This client address failed too many key checks: every check, even a right key, is
    refused for ``retry_after`` seconds (sent as Retry-After)."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class NotFoundError(CodeHealerError):
    status_code = 404


class ConfigurationError(CodeHealerError):
    """Settings that cannot work; raised at startup or by the command that needs them (posting
    the weekly report without a Slack token), never on a request."""


class InvalidSettingsError(ConfigurationError, ValueError):
    """Settings that do not validate: one line per setting, without its value (it may be a
    secret). A ValueError, like the validation error it replaces."""


class NormalizationError(CodeHealerError):
    """A payload a parser could not turn into signals: a field missing or invalid, an
    unsupported shape or version. It names what is wrong; the HTTP layer answers it 400."""


class RetryLater(CodeHealerError):
    """The incident cannot be processed yet (e.g. logs not ready); try again after ``delay``."""

    def __init__(self, reason: str, *, delay: timedelta = timedelta(seconds=30)):
        super().__init__(reason)
        self.delay = delay


class EscalateIncident(CodeHealerError):
    """A person must look at this incident; ``reason`` says why, ``key`` names its runbook."""

    def __init__(self, reason: str, *, key: "EscalationReason"):
        super().__init__(reason)
        self.key = key


class IntegrationError(CodeHealerError):
    """An outside system failed or answered something unusable.

    ``retryable``: the system is down, slow, busy or refusing calls for now (transport error,
    timeout, 5xx or 429 after the retries, an open circuit); the same call may work later.
    ``service`` names the system for people ("GitHub unreachable for 2 h").
    """

    service = "Outside service"

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        service: str | None = None,
    ):
        super().__init__(message)
        self.upstream_status = status_code
        self.retryable = retryable
        self.retry_after = retry_after
        if service is not None:
            self.service = service


class GitHubError(IntegrationError):
    """The GitHub API failed or refused."""

    service = "GitHub"


class KubernetesError(IntegrationError):
    """The Kubernetes API server failed or refused."""

    service = "Kubernetes API"


class ArgoCDError(IntegrationError):
    """The Argo CD API failed or refused."""

    service = "Argo CD"


class SlackError(IntegrationError):
    """The Slack Web API failed or refused."""

    service = "Slack"


class LLMError(IntegrationError):
    """The LLM or embedding service failed or answered something unusable."""

    service = "LLM service"


class CircuitOpenError(IntegrationError):
    """The circuit breaker of an integration is open: no call is made, the work waits."""
