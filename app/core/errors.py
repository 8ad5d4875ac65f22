"""The exception tree. The API maps these to HTTP in one handler; services never raise HTTPException.

CodeHealerError
├── BadRequestError            malformed input the sender can fix (400)
│   └── PayloadTooLargeError   body over the configured limit (413)
├── AuthenticationError        missing or wrong signature / token (401)
├── NotFoundError              unknown id (404)
├── ConfigurationError         settings that cannot work together (startup refuses)
├── NormalizationError         a payload that could not be turned into an event
└── IntegrationError           an outside system failed
    ├── GitHubError
    ├── KubernetesError
    ├── ArgoCDError
    ├── SlackError
    └── LLMError
"""


class CodeHealerError(Exception):
    """Base of every error CodeHealer raises on purpose."""


class BadRequestError(CodeHealerError):
    status_code = 400


class PayloadTooLargeError(BadRequestError):
    status_code = 413


class AuthenticationError(CodeHealerError):
    status_code = 401


class NotFoundError(CodeHealerError):
    status_code = 404


class ConfigurationError(CodeHealerError):
    """Settings that cannot work; raised at startup, never on a request."""


class NormalizationError(CodeHealerError):
    """A payload that could not be normalized into an event."""


class IntegrationError(CodeHealerError):
    """An outside system failed or answered something unusable."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.upstream_status = status_code
        self.retryable = retryable
        self.retry_after = retry_after


class GitHubError(IntegrationError):
    """The GitHub API failed or refused."""


class KubernetesError(IntegrationError):
    """The Kubernetes API server failed or refused."""


class ArgoCDError(IntegrationError):
    """The Argo CD API failed or refused."""


class SlackError(IntegrationError):
    """The Slack Web API failed or refused."""


class LLMError(IntegrationError):
    """The LLM or embedding service failed or answered something unusable."""


class CircuitOpenError(IntegrationError):
    """The circuit breaker of an integration is open; callers escalate instead of queueing."""
