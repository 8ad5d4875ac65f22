"""Settings: built once at startup (the CLI, the Lambda loader) or by a test, then passed down.

Nothing in the code base reads ``os.environ`` except this module, and only when a
``Settings`` object is constructed.
"""

import os
from functools import cache
from pathlib import Path
from typing import Any, get_args

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from app.core.enums import Environment, Strategy
from app.core.errors import ConfigurationError, InvalidSettingsError
from app.core.redaction import mask_secrets

DEFAULT_GITHUB_API_URL = "https://api.github.com"
DEFAULT_NVIDIA_BASE_URL = "https://integrate.api.nvidia.com/v1"
EMBEDDING_DIMENSIONS = 768
# Credentials callers present to CodeHealer: staging and prod refuse shorter ones (a short or
# guessable value lets anyone in; the rate limit on failed keys only slows guessing down).
MIN_SECRET_LENGTH = 16
INBOUND_CREDENTIALS = (
    "api_key",
    "github_webhook_secret",
    "k8s_webhook_token",
    "argocd_webhook_token",
)


class Settings(BaseSettings):
    """Every setting CodeHealer reads. Environment variable names are the field names, upper-cased."""

    # An empty variable (``DRY_RUN=`` as .env.example ships it) is unset: the default applies.
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        env_ignore_empty=True,
    )

    def __init__(self, **values: Any) -> None:
        # pydantic's own message repeats the input values, secrets included.
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise InvalidSettingsError(describe_invalid_settings(exc)) from None
        except SettingsError as exc:
            raise InvalidSettingsError(mask_secrets(str(exc))) from None

    # --- runtime -------------------------------------------------------------------------
    environment: Environment = Environment.DEV
    log_level: str = "INFO"
    log_format: str = Field(default="json", description="json | text")
    metrics_backend: str = Field(default="none", description="none | emf (CloudWatch)")
    database_url: str | None = None
    data_dir: Path = Field(
        default=Path(".codehealer"),
        validation_alias=AliasChoices("CODEHEALER_DATA_DIR", "data_dir"),
    )
    db_proxy: bool = False
    db_pool_size: int = 10
    db_null_pool: bool = False
    dry_run: bool | None = None
    api_key: SecretStr | None = None
    # Failed key checks (X-API-Key, dashboard sign-in, HTTP Basic) one client address may make
    # within the window; past it every key check from that address, right or wrong, is a 429
    # until its oldest failure leaves the window. Counted per process, for at most
    # AUTH_FAILURE_MAX_CLIENTS addresses (the least recent are forgotten first).
    auth_failure_limit: int = Field(default=10, ge=1)
    auth_failure_window_seconds: int = Field(default=300, ge=1)
    auth_failure_max_clients: int = Field(default=10_000, ge=1)
    # /docs, /redoc and /openapi.json. Unset: on, except in prod.
    openapi_docs: bool | None = None
    max_body_bytes: int = Field(default=25 * 1024 * 1024, gt=0)
    # Signed bodies (GitHub, Slack) are in memory before their signature can be checked: all
    # requests together hold at most this many such bytes; beyond it, 503 with Retry-After.
    unverified_body_budget_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    # A body must arrive within BODY_READ_TIMEOUT_SECONDS plus one second per
    # BODY_MIN_BYTES_PER_SECOND received; slower (a trickling sender) is cut off with 408.
    body_read_timeout_seconds: float = Field(default=10.0, gt=0)
    body_min_bytes_per_second: int = Field(default=16 * 1024, gt=0)

    # --- HTTP server (`codehealer serve`) ------------------------------------------------
    # Connections and requests at once; beyond them, new requests are answered 503.
    http_max_connections: int = Field(default=256, ge=1)
    # Seconds a connection has to send a complete request head (request line and headers).
    http_header_timeout_seconds: float = Field(default=10.0, gt=0)
    # Seconds an idle keep-alive connection is kept open between requests.
    http_keep_alive_seconds: int = Field(default=5, ge=1)
    # Largest request head in bytes (larger: 400).
    http_max_header_bytes: int = Field(default=16 * 1024, ge=1024)
    # Connections the kernel queues before they are accepted.
    http_backlog: int = Field(default=2048, ge=1)

    # --- worker --------------------------------------------------------------------------
    worker_enabled: bool = True
    worker_poll_seconds: float = 2.0
    worker_claim_timeout_seconds: int = 600
    worker_batch_size: int = 1
    # Incidents processed at once by `serve` and `worker`: each thread takes one incident
    # through its GitHub/Kubernetes calls, so throughput is threads / (sum of call latencies).
    worker_threads: int = Field(default=4, ge=1, le=32)
    # The time one incident may take, all its outbound calls included, before it is put back to
    # wait; below the claim timeout, so no other worker takes over an incident still in hand.
    worker_incident_deadline_seconds: float = Field(default=300.0, gt=0)
    # An incident whose work needs a service that is down, hung or behind its open circuit waits
    # and is tried again (first wait, doubling up to the longest), until it has waited the limit
    # for that service; then it escalates ("GitHub unreachable for 2 h").
    dependency_retry_first_seconds: float = Field(default=60.0, gt=0)
    dependency_retry_longest_seconds: float = Field(default=900.0, gt=0)
    dependency_wait_limit_minutes: float = Field(default=120.0, ge=0)

    # --- GitHub --------------------------------------------------------------------------
    github_webhook_secret: SecretStr | None = None
    github_token: SecretStr | None = None
    # A GitHub App (both set): calls are made with short-lived installation tokens instead.
    github_app_id: int | None = Field(default=None, gt=0)
    github_app_private_key: SecretStr | None = None
    github_api_url: str = DEFAULT_GITHUB_API_URL
    github_repositories: str = ""
    github_timeout_seconds: float = 10.0
    github_max_retries: int = 4
    github_max_concurrency: int = 8

    # --- analysis ------------------------------------------------------------------------
    nvidia_api_key: SecretStr | None = None
    nvidia_base_url: str = DEFAULT_NVIDIA_BASE_URL
    nvidia_model: str = "meta/llama-3.1-70b-instruct"
    nvidia_embed_model: str = "nvidia/llama-3.2-nv-embedqa-1b-v2"
    nvidia_timeout_seconds: float = 30.0
    nvidia_max_retries: int = 3
    similar_incidents_k: int = 5
    hnsw_ef_search: int = 100
    weight_classifier: float = 0.4
    weight_similarity: float = 0.3
    weight_history: float = 0.3
    llm_price_per_1k_tokens: float = 0.0
    minutes_per_manual_fix: float = 15.0

    # --- decisions -----------------------------------------------------------------------
    strategy: Strategy | None = None
    confidence_threshold: float = 0.85
    conservative_threshold: float = 0.95
    approval_threshold: float = 0.60
    max_rerun_attempts: int = 2
    max_fixes_per_hour: int = 10
    max_fixes_per_hour_per_target: int = 3
    recurrence_limit: int = 3
    storm_targets: int = 5
    shadow_mode: bool = False
    # "action:target,...": where refresh_secret / argocd_rollback may run without a person
    # (target: owner/repo, Argo CD app or namespace, or a pattern such as octo-org/* or *).
    high_risk_actions_allowed: str = ""
    rules_file: Path = Path("config/remediation_rules.yaml")
    verify_after_minutes: int = 30
    reconcile_lookback_hours: int = 24
    patterns_file: Path = Path("config/failure_patterns.yaml")

    # --- Kubernetes and Argo CD --------------------------------------------------------
    k8s_webhook_token: SecretStr | None = None
    k8s_api_url: str | None = None
    k8s_token: SecretStr | None = None
    k8s_ca_file: Path | None = None
    k8s_in_cluster: bool = False
    k8s_cluster_name: str = "default"
    k8s_max_memory: str = "4Gi"
    k8s_timeout_seconds: float = 10.0
    argocd_webhook_token: SecretStr | None = None
    argocd_url: str | None = None
    argocd_token: SecretStr | None = None
    argocd_timeout_seconds: float = 15.0
    argocd_verify_tls: bool = True

    # --- Slack and learning --------------------------------------------------------------
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_channel: str = "#codehealer"
    slack_base_url: str = "https://slack.com/api/"
    slack_approver_ids: str = ""
    slack_approver_group: str | None = None
    approval_ttl_minutes: int = Field(
        default=30,
        validation_alias=AliasChoices(
            "APPROVAL_TTL", "APPROVAL_TTL_MINUTES", "approval_ttl_minutes"
        ),
    )
    target_precision: float = 0.95
    public_url: str = "http://127.0.0.1:8000"
    # Where runbook pages live: ``<base>/<key>.md``. Unset: the dashboard's own copy.
    runbook_base_url: str | None = None

    # --- AWS -----------------------------------------------------------------------------
    queue_url: str | None = None
    secrets_arn: str | None = None
    aws_region: str = "us-east-1"

    @field_validator("*", mode="before")
    @classmethod
    def _blank_secret_is_unset(cls, value: object, info: ValidationInfo) -> object:
        """Every secret: empty or whitespace-only (``API_KEY=`` as .env.example ships it) is not
        set, so no check anywhere can take it for a key."""
        if info.field_name in secret_fields(cls) and _blank(value):
            return None
        return value

    @field_validator("github_app_id", "github_app_private_key", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """``GITHUB_APP_ID=`` as copied from .env.example means: no App."""
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _check_body_budget(self) -> "Settings":
        if self.unverified_body_budget_bytes < self.max_body_bytes:
            raise ValueError(
                "UNVERIFIED_BODY_BUDGET_BYTES must be at least MAX_BODY_BYTES "
                f"({self.unverified_body_budget_bytes} < {self.max_body_bytes}): a body within "
                "the limit could never be read"
            )
        return self

    @model_validator(mode="after")
    def _check_weights(self) -> "Settings":
        total = self.weight_classifier + self.weight_similarity + self.weight_history
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"confidence weights must add up to 1.0, got {total:.3f}")
        return self

    @model_validator(mode="after")
    def _check_incident_deadline(self) -> "Settings":
        if self.worker_incident_deadline_seconds >= self.worker_claim_timeout_seconds:
            raise ValueError(
                "WORKER_INCIDENT_DEADLINE_SECONDS must be below WORKER_CLAIM_TIMEOUT_SECONDS: "
                "an incident still in hand would otherwise be claimed by a second worker"
            )
        return self

    # --- derived -------------------------------------------------------------------------
    @property
    def effective_strategy(self) -> Strategy:
        if self.strategy is not None:
            return self.strategy
        if self.environment is Environment.PROD:
            return Strategy.CONSERVATIVE
        return Strategy.SLACK_FIRST

    @property
    def effective_dry_run(self) -> bool:
        """DRY_RUN when set; otherwise dry-run until some integration has credentials to act."""
        if self.dry_run is not None:
            return self.dry_run
        can_act = (
            self.github_token is not None
            or self.github_app_configured
            or self.argocd_token is not None
            or self.k8s_token is not None
            or self.k8s_in_cluster
        )
        return not can_act

    @property
    def runbook_base(self) -> str:
        """RUNBOOK_BASE_URL, or the runbooks the dashboard serves under PUBLIC_URL."""
        if self.runbook_base_url and self.runbook_base_url.strip():
            return self.runbook_base_url.strip().rstrip("/")
        return f"{self.public_url.rstrip('/')}/dashboard/runbooks"

    @property
    def github_app_configured(self) -> bool:
        """GitHub calls are made as a GitHub App (installation tokens), not with GITHUB_TOKEN."""
        return self.github_app_id is not None and self.github_app_private_key is not None

    @property
    def openapi_docs_enabled(self) -> bool:
        if self.openapi_docs is not None:
            return self.openapi_docs
        return self.environment is not Environment.PROD

    @property
    def requires_api_key(self) -> bool:
        return self.api_key is not None or self.environment is Environment.PROD

    def check_startup(self) -> list[str]:
        """Refuse settings that cannot run safely; return warnings for ones that can."""
        warnings: list[str] = []
        if self.github_webhook_secret is None:
            if self.environment is not Environment.DEV:
                raise ConfigurationError(
                    f"GITHUB_WEBHOOK_SECRET is required when ENVIRONMENT={self.environment.value}"
                )
            warnings.append(
                "GITHUB_WEBHOOK_SECRET is not set: unsigned GitHub deliveries are ACCEPTED "
                "(allowed only in ENVIRONMENT=dev)"
            )
        if self.environment is Environment.PROD and self.api_key is None:
            raise ConfigurationError("API_KEY is required when ENVIRONMENT=prod")
        warnings += self._check_credential_strength()
        if (self.github_app_id is None) != (self.github_app_private_key is None):
            raise ConfigurationError(
                "GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY go together: set both or neither"
            )
        if self.github_app_configured and self.github_token is not None:
            warnings.append("GITHUB_TOKEN is ignored: GitHub calls are made as the GitHub App")
        return warnings

    def _check_credential_strength(self) -> list[str]:
        """Staging and prod refuse short inbound credentials; dev only warns about them."""
        weak = [
            setting_env_name(name)
            for name in INBOUND_CREDENTIALS
            if (secret := getattr(self, name)) is not None
            and len(secret.get_secret_value().strip()) < MIN_SECRET_LENGTH
        ]
        if not weak:
            return []
        problem = f"{', '.join(weak)} must be at least {MIN_SECRET_LENGTH} characters long"
        if self.environment is not Environment.DEV:
            raise ConfigurationError(f"{problem} when ENVIRONMENT={self.environment.value}")
        return [f"{problem} in staging and prod"]


def _blank(value: object) -> bool:
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    return isinstance(text, str) and not text.strip()


@cache
def secret_fields(model: type[BaseSettings]) -> frozenset[str]:
    """The settings that hold a secret (``SecretStr``, optional or not)."""
    return frozenset(
        name
        for name, field in model.model_fields.items()
        if SecretStr in (field.annotation, *get_args(field.annotation))
    )


def setting_env_name(name: str) -> str:
    """The environment variable a setting is read from: its first alias, or its name."""
    field = Settings.model_fields.get(name)
    alias = field.validation_alias if field is not None else None
    if isinstance(alias, AliasChoices) and isinstance(alias.choices[0], str):
        return alias.choices[0]
    return name.upper()


def describe_invalid_settings(error: ValidationError) -> str:
    """One line per invalid setting, named by its variable; the values are left out."""
    lines = [
        f"  {setting_env_name(str(e['loc'][0])) if e['loc'] else 'settings'}: "
        f"{mask_secrets(e['msg'])}"
        for e in error.errors(include_url=False, include_input=False, include_context=False)
    ]
    return "invalid settings:\n" + "\n".join(lines)


def process_environment() -> dict[str, str]:
    """A copy of the process environment, for the env SecretStore (the one other reader)."""
    return dict(os.environ)
