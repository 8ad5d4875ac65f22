"""The parts of the settings, one per integration or concern (``settings.github``,
``settings.decision``, ...). Each field keeps its documented environment variable: the part's
prefix plus the field name (``GITHUB_`` + ``token``), or the names its ``validation_alias``
lists. ``app.core.config.Settings`` reads the variables and puts each in its part.
"""

from functools import cache
from pathlib import Path
from typing import get_args
from urllib.parse import urlsplit

from pydantic import (
    AliasChoices,
    AliasGenerator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.core.enums import Strategy

DEFAULT_GITHUB_API_URL = "https://api.github.com"
DEFAULT_NVIDIA_BASE_URL = "https://integrate.api.nvidia.com/v1"


def part_config(prefix: str) -> ConfigDict:
    """A part whose fields are read from ``<prefix><FIELD NAME>`` unless they say otherwise."""
    return ConfigDict(
        alias_generator=AliasGenerator(validation_alias=lambda name: f"{prefix}{name}".upper()),
        validate_by_name=True,
        validate_by_alias=True,
        extra="forbid",
    )


class SettingsPart(BaseModel):
    """One part of the settings; built by ``Settings`` from the environment, or by a test."""

    model_config = part_config("")

    @field_validator("*", mode="before")
    @classmethod
    def _blank_secret_is_unset(cls, value: object, info: ValidationInfo) -> object:
        """Every secret: empty or whitespace-only (``API_KEY=`` as .env.example ships it) is not
        set, so no check anywhere can take it for a key."""
        if info.field_name in secret_fields(cls) and _blank(value):
            return None
        return value


class ServerSettings(SettingsPart):
    """The HTTP API: who may call it and what a request may cost."""

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
    # `codehealer serve`: connections and requests at once; beyond them, new requests are 503.
    http_max_connections: int = Field(default=256, ge=1)
    # Seconds a connection has to send a complete request head (request line and headers).
    http_header_timeout_seconds: float = Field(default=10.0, gt=0)
    # Seconds an idle keep-alive connection is kept open between requests.
    http_keep_alive_seconds: int = Field(default=5, ge=1)
    # Largest request head in bytes (larger: 400).
    http_max_header_bytes: int = Field(default=16 * 1024, ge=1024)
    # Connections the kernel queues before they are accepted.
    http_backlog: int = Field(default=2048, ge=1)

    @model_validator(mode="after")
    def _check_body_budget(self) -> "ServerSettings":
        if self.unverified_body_budget_bytes < self.max_body_bytes:
            raise ValueError(
                "UNVERIFIED_BODY_BUDGET_BYTES must be at least MAX_BODY_BYTES "
                f"({self.unverified_body_budget_bytes} < {self.max_body_bytes}): a body within "
                "the limit could never be read"
            )
        return self


class DatabaseSettings(SettingsPart):
    """PostgreSQL: DATABASE_URL, or the embedded server in CODEHEALER_DATA_DIR."""

    model_config = part_config("DB_")

    url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    data_dir: Path = Field(
        default=Path(".codehealer"),
        validation_alias=AliasChoices("CODEHEALER_DATA_DIR", "DATA_DIR"),
    )
    proxy: bool = False
    pool_size: int = 10
    null_pool: bool = False


class WorkerSettings(SettingsPart):
    """The threads that take incidents through the pipeline (`serve` and `worker`)."""

    model_config = part_config("WORKER_")

    enabled: bool = True
    poll_seconds: float = 2.0
    claim_timeout_seconds: int = 600
    batch_size: int = 1
    # Incidents processed at once by `serve` and `worker`: each thread takes one incident
    # through its GitHub/Kubernetes calls, so throughput is threads / (sum of call latencies).
    threads: int = Field(default=4, ge=1, le=32)
    # The time one incident may take, all its outbound calls included, before it is put back to
    # wait; below the claim timeout, so no other worker takes over an incident still in hand.
    incident_deadline_seconds: float = Field(default=300.0, gt=0)
    # An incident whose work needs a service that is down, hung or behind its open circuit waits
    # and is tried again (first wait, doubling up to the longest), until it has waited the limit
    # for that service; then it escalates ("GitHub unreachable for 2 h").
    dependency_retry_first_seconds: float = Field(
        default=60.0, gt=0, validation_alias="DEPENDENCY_RETRY_FIRST_SECONDS"
    )
    dependency_retry_longest_seconds: float = Field(
        default=900.0, gt=0, validation_alias="DEPENDENCY_RETRY_LONGEST_SECONDS"
    )
    dependency_wait_limit_minutes: float = Field(
        default=120.0, ge=0, validation_alias="DEPENDENCY_WAIT_LIMIT_MINUTES"
    )

    @model_validator(mode="after")
    def _check_incident_deadline(self) -> "WorkerSettings":
        if self.incident_deadline_seconds >= self.claim_timeout_seconds:
            raise ValueError(
                "WORKER_INCIDENT_DEADLINE_SECONDS must be below WORKER_CLAIM_TIMEOUT_SECONDS: "
                "an incident still in hand would otherwise be claimed by a second worker"
            )
        return self


class SweepSettings(SettingsPart):
    """The scheduled sweep: verifying attempts nobody reported on, catching missed runs."""

    verify_after_minutes: int = 30
    reconcile_lookback_hours: int = 24


class GitHubSettings(SettingsPart):
    model_config = part_config("GITHUB_")

    webhook_secret: SecretStr | None = None
    token: SecretStr | None = None
    # A GitHub App (both set): calls are made with short-lived installation tokens instead.
    app_id: int | None = Field(default=None, gt=0)
    app_private_key: SecretStr | None = None
    api_url: str = DEFAULT_GITHUB_API_URL
    repositories: str = ""
    timeout_seconds: float = 10.0
    max_retries: int = 4
    max_concurrency: int = 8
    # A failure is compared with the same job's log in the workflow's last successful run (on
    # the failed run's branch): one run listing and one log download per workflow and job,
    # kept this long; only this much of a green log (its head and tail) is read.
    green_run_comparison: bool = True
    green_log_cache_seconds: int = Field(default=3600, ge=0)
    green_log_max_bytes: int = Field(default=1024 * 1024, ge=1)

    @field_validator("app_id", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """``GITHUB_APP_ID=`` as copied from .env.example means: no App."""
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def app_configured(self) -> bool:
        """GitHub calls are made as a GitHub App (installation tokens), not with GITHUB_TOKEN."""
        return self.app_id is not None and self.app_private_key is not None

    @property
    def can_act(self) -> bool:
        return self.token is not None or self.app_configured

    @property
    def repository_names(self) -> list[str]:
        """GITHUB_REPOSITORIES (comma-separated): what the sweep reconciles."""
        return [name.strip() for name in self.repositories.split(",") if name.strip()]


class NvidiaSettings(SettingsPart):
    """NVIDIA NIM (chat and embeddings), hosted or self-hosted; the hosted API without a key
    means the offline classifier and embedder."""

    model_config = part_config("NVIDIA_")

    api_key: SecretStr | None = None
    base_url: str = DEFAULT_NVIDIA_BASE_URL
    model: str = "meta/llama-3.1-70b-instruct"
    # Embeddings may come from another server (a NIM embedding container, Ollama) than chat.
    # Unset: NVIDIA_BASE_URL.
    embed_base_url: str | None = None
    embed_model: str = "nvidia/llama-3.2-nv-embedqa-1b-v2"
    timeout_seconds: float = 30.0
    max_retries: int = 3

    @field_validator("embed_base_url", mode="before")
    @classmethod
    def _blank_url_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def embeddings_url(self) -> str:
        """Where embeddings are asked for: NVIDIA_EMBED_BASE_URL, else NVIDIA_BASE_URL."""
        return self.embed_base_url or self.base_url

    @property
    def chat_enabled(self) -> bool:
        """NIM classifies: with a key, or at a self-hosted server, which may need none."""
        return self.api_key is not None or not is_hosted_nvidia(self.base_url)

    @property
    def embeddings_enabled(self) -> bool:
        """NIM embeds: with a key, or at a self-hosted server, which may need none."""
        return self.api_key is not None or not is_hosted_nvidia(self.embeddings_url)


def is_hosted_nvidia(url: str) -> bool:
    """Whether ``url`` is NVIDIA's hosted API (integrate.api.nvidia.com and its kin), which
    answers nothing without NVIDIA_API_KEY."""
    host = (urlsplit(url.strip()).hostname or "").lower().rstrip(".")
    return host == "nvidia.com" or host.endswith(".nvidia.com")


class AnalysisSettings(SettingsPart):
    similar_incidents_k: int = 5
    hnsw_ef_search: int = 100
    # Search vectors kept per process, one per failure signature and model (about 3 KB each):
    # a failure seen again is searched for without asking the embedder.
    query_embedding_cache_size: int = Field(default=1024, ge=0)
    weight_classifier: float = 0.4
    weight_similarity: float = 0.3
    weight_history: float = 0.3
    patterns_file: Path = Path("config/failure_patterns.yaml")
    # `codehealer serve` seeds the reference memory (labelled failures shipped in app/data)
    # when its version is not in the database yet; false: only `db seed-reference` does.
    seed_reference: bool = True
    # Where no pattern matches, the reference memory's words may name the category (never a
    # fix) when their posterior reaches this; above 1 turns it off.
    reference_words_min_probability: float = Field(default=0.9, ge=0)

    @model_validator(mode="after")
    def _check_weights(self) -> "AnalysisSettings":
        total = self.weight_classifier + self.weight_similarity + self.weight_history
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"confidence weights must add up to 1.0, got {total:.3f}")
        return self


class DecisionSettings(SettingsPart):
    strategy: Strategy | None = None
    confidence_threshold: float = 0.85
    conservative_threshold: float = 0.95
    approval_threshold: float = 0.60
    max_rerun_attempts: int = 2
    max_fixes_per_hour: int = 10
    max_fixes_per_hour_per_target: int = 3
    recurrence_limit: int = 3
    # The same action on the same target this many times in the window, each fix working:
    # the next one escalates as "the fix works but the cause remains" (symptom_not_cause).
    cause_remains_after: int = Field(default=3, ge=1)
    cause_remains_window_days: float = Field(default=7, gt=0)
    storm_targets: int = 5
    shadow_mode: bool = False
    # "action:target,...": where refresh_secret / argocd_rollback may run without a person
    # (target: owner/repo, Argo CD app or namespace, or a pattern such as octo-org/* or *).
    high_risk_actions_allowed: str = ""
    # A crash loop or failing health that began this long after a sync of a new revision (or
    # a Deployment's rollout) is the deploy's fault: undoing it is proposed for approval.
    deploy_cause_window_minutes: float = Field(default=30, gt=0)
    rules_file: Path = Path("config/remediation_rules.yaml")
    approval_ttl_minutes: int = Field(
        default=30, validation_alias=AliasChoices("APPROVAL_TTL", "APPROVAL_TTL_MINUTES")
    )
    target_precision: float = 0.95
    # Earned autonomy (app/domain/learning/autonomy.py): an action runs alone for a failure
    # once the lower bound of its evidence clears the precision its risk requires.
    autonomy: bool = True
    autonomy_precision_low: float = Field(default=0.75, gt=0, lt=1)
    autonomy_precision_medium: float = Field(default=0.85, gt=0, lt=1)
    autonomy_precision_high: float = Field(default=0.95, gt=0, lt=1)
    autonomy_revoke_after: int = Field(default=3, ge=1)
    autonomy_prior_weight: float = Field(default=5.0, ge=0)


class KubernetesSettings(SettingsPart):
    model_config = part_config("K8S_")

    webhook_token: SecretStr | None = None
    api_url: str | None = None
    token: SecretStr | None = None
    ca_file: Path | None = None
    in_cluster: bool = False
    cluster_name: str = "default"
    max_memory: str = "4Gi"
    timeout_seconds: float = 10.0


class ArgoCDSettings(SettingsPart):
    model_config = part_config("ARGOCD_")

    webhook_token: SecretStr | None = None
    url: str | None = None
    token: SecretStr | None = None
    timeout_seconds: float = 15.0
    verify_tls: bool = True


class SlackSettings(SettingsPart):
    model_config = part_config("SLACK_")

    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    channel: str = "#codehealer"
    base_url: str = "https://slack.com/api/"
    approver_ids: str = ""
    approver_group: str | None = None

    @property
    def approvers(self) -> frozenset[str]:
        """SLACK_APPROVER_IDS (comma-separated Slack user ids)."""
        return frozenset(user.strip() for user in self.approver_ids.split(",") if user.strip())


class DashboardSettings(SettingsPart):
    """Where people reach CodeHealer: links in Slack messages, runbooks."""

    public_url: str = "http://127.0.0.1:8000"
    # Where runbook pages live: ``<base>/<key>.md``. Unset: the dashboard's own copy.
    runbook_base_url: str | None = None

    @property
    def runbook_base(self) -> str:
        """RUNBOOK_BASE_URL, or the runbooks the dashboard serves under PUBLIC_URL."""
        if self.runbook_base_url and self.runbook_base_url.strip():
            return self.runbook_base_url.strip().rstrip("/")
        return f"{self.public_url.rstrip('/')}/dashboard/runbooks"


class ReportSettings(SettingsPart):
    """Figures of the weekly report and the dashboard (cost and time saved)."""

    llm_price_per_1k_tokens: float = 0.0
    minutes_per_manual_fix: float = 15.0


class AwsSettings(SettingsPart):
    queue_url: str | None = None
    secrets_arn: str | None = None
    region: str = Field(default="us-east-1", validation_alias="AWS_REGION")


def _blank(value: object) -> bool:
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    return isinstance(text, str) and not text.strip()


@cache
def secret_fields(model: type[BaseModel]) -> frozenset[str]:
    """The fields of a part that hold a secret (``SecretStr``, optional or not)."""
    return frozenset(
        name
        for name, field in model.model_fields.items()
        if SecretStr in (field.annotation, *get_args(field.annotation))
    )
