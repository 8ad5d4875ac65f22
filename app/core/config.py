"""Settings: built once at startup (``app.settings_loader``) or by a test, then passed down.

Settings come in parts, one per integration or concern (``settings.github.token``,
``settings.decision.max_fixes_per_hour``), and each adapter is built from its own part. Every
setting keeps its documented environment variable (``GITHUB_TOKEN``, ``MAX_FIXES_PER_HOUR``):
a part's fields are read from its prefix plus the field name, or from the names their
``validation_alias`` lists. The same names, in any case, are the keyword arguments of
``Settings(...)`` (``Settings(github_token=...)``) and the keys of the Secrets Manager secret.

Nothing in the code base reads ``os.environ`` except this module, and only when a
``Settings`` object is constructed.
"""

import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, get_args

from pydantic import (
    AliasChoices,
    AliasGenerator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from app.core.enums import Environment, Strategy
from app.core.errors import ConfigurationError, InvalidSettingsError
from app.core.redaction import mask_secrets

DEFAULT_GITHUB_API_URL = "https://api.github.com"
DEFAULT_NVIDIA_BASE_URL = "https://integrate.api.nvidia.com/v1"
EMBEDDING_DIMENSIONS = 768
# Credentials callers present to CodeHealer: staging and prod refuse shorter ones (a short or
# guessable value lets anyone in; the rate limit on failed keys only slows guessing down).
MIN_SECRET_LENGTH = 16


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


class NvidiaSettings(SettingsPart):
    """NVIDIA NIM (chat and embeddings); without a key, the offline classifier and embedder."""

    model_config = part_config("NVIDIA_")

    api_key: SecretStr | None = None
    base_url: str = DEFAULT_NVIDIA_BASE_URL
    model: str = "meta/llama-3.1-70b-instruct"
    embed_model: str = "nvidia/llama-3.2-nv-embedqa-1b-v2"
    timeout_seconds: float = 30.0
    max_retries: int = 3


class AnalysisSettings(SettingsPart):
    similar_incidents_k: int = 5
    hnsw_ef_search: int = 100
    weight_classifier: float = 0.4
    weight_similarity: float = 0.3
    weight_history: float = 0.3
    patterns_file: Path = Path("config/failure_patterns.yaml")

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
    storm_targets: int = 5
    shadow_mode: bool = False
    # "action:target,...": where refresh_secret / argocd_rollback may run without a person
    # (target: owner/repo, Argo CD app or namespace, or a pattern such as octo-org/* or *).
    high_risk_actions_allowed: str = ""
    rules_file: Path = Path("config/remediation_rules.yaml")
    approval_ttl_minutes: int = Field(
        default=30, validation_alias=AliasChoices("APPROVAL_TTL", "APPROVAL_TTL_MINUTES")
    )
    target_precision: float = 0.95


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


class Settings(BaseSettings):
    """Every setting CodeHealer reads: the runtime ones here, the others in their part."""

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
    dry_run: bool | None = None

    # --- parts ---------------------------------------------------------------------------
    server: ServerSettings = Field(default_factory=ServerSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    sweep: SweepSettings = Field(default_factory=SweepSettings)
    github: GitHubSettings = Field(default_factory=GitHubSettings)
    nvidia: NvidiaSettings = Field(default_factory=NvidiaSettings)
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings)
    decision: DecisionSettings = Field(default_factory=DecisionSettings)
    kubernetes: KubernetesSettings = Field(default_factory=KubernetesSettings)
    argocd: ArgoCDSettings = Field(default_factory=ArgoCDSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    dashboard: DashboardSettings = Field(default_factory=DashboardSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    aws: AwsSettings = Field(default_factory=AwsSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Same precedence as pydantic-settings: arguments, then the environment, then .env.
        return (
            VariablesSource(settings_cls, source_variables(init_settings)),
            VariablesSource(settings_cls, source_variables(env_settings)),
            VariablesSource(settings_cls, source_variables(dotenv_settings)),
        )

    # --- derived -------------------------------------------------------------------------
    @property
    def effective_strategy(self) -> Strategy:
        if self.decision.strategy is not None:
            return self.decision.strategy
        if self.environment is Environment.PROD:
            return Strategy.CONSERVATIVE
        return Strategy.SLACK_FIRST

    @property
    def effective_dry_run(self) -> bool:
        """DRY_RUN when set; otherwise dry-run until some integration has credentials to act."""
        if self.dry_run is not None:
            return self.dry_run
        can_act = (
            self.github.can_act
            or self.argocd.token is not None
            or self.kubernetes.token is not None
            or self.kubernetes.in_cluster
        )
        return not can_act

    @property
    def openapi_docs_enabled(self) -> bool:
        if self.server.openapi_docs is not None:
            return self.server.openapi_docs
        return self.environment is not Environment.PROD

    @property
    def requires_api_key(self) -> bool:
        return self.server.api_key is not None or self.environment is Environment.PROD

    def check_startup(self) -> list[str]:
        """Refuse settings that cannot run safely; return warnings for ones that can."""
        warnings: list[str] = []
        github = self.github
        if github.webhook_secret is None:
            if self.environment is not Environment.DEV:
                raise ConfigurationError(
                    f"GITHUB_WEBHOOK_SECRET is required when ENVIRONMENT={self.environment.value}"
                )
            warnings.append(
                "GITHUB_WEBHOOK_SECRET is not set: unsigned GitHub deliveries are ACCEPTED "
                "(allowed only in ENVIRONMENT=dev)"
            )
        if self.environment is Environment.PROD and self.server.api_key is None:
            raise ConfigurationError("API_KEY is required when ENVIRONMENT=prod")
        warnings += self._check_credential_strength()
        if (github.app_id is None) != (github.app_private_key is None):
            raise ConfigurationError(
                "GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY go together: set both or neither"
            )
        if github.app_configured and github.token is not None:
            warnings.append("GITHUB_TOKEN is ignored: GitHub calls are made as the GitHub App")
        return warnings

    def inbound_credentials(self) -> dict[str, SecretStr | None]:
        """Credentials callers present to CodeHealer, by variable."""
        return {
            "API_KEY": self.server.api_key,
            "GITHUB_WEBHOOK_SECRET": self.github.webhook_secret,
            "K8S_WEBHOOK_TOKEN": self.kubernetes.webhook_token,
            "ARGOCD_WEBHOOK_TOKEN": self.argocd.webhook_token,
        }

    def _check_credential_strength(self) -> list[str]:
        """Staging and prod refuse short inbound credentials; dev only warns about them."""
        weak = [
            name
            for name, secret in self.inbound_credentials().items()
            if secret is not None and len(secret.get_secret_value().strip()) < MIN_SECRET_LENGTH
        ]
        if not weak:
            return []
        problem = f"{', '.join(weak)} must be at least {MIN_SECRET_LENGTH} characters long"
        if self.environment is not Environment.DEV:
            raise ConfigurationError(f"{problem} when ENVIRONMENT={self.environment.value}")
        return [f"{problem} in staging and prod"]


class VariablesSource(PydanticBaseSettingsSource):
    """Settings from flat variables (``GITHUB_TOKEN``, any case), each put in its part."""

    def __init__(self, settings_cls: type[BaseSettings], variables: Mapping[str, Any]):
        super().__init__(settings_cls)
        self.variables = {key.lower(): value for key, value in variables.items()}

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads every variable at once

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for part in settings_parts():
            given = self.variables.get(part)
            if isinstance(given, BaseModel):  # a whole part, as a test may pass one
                values[part] = given.model_dump()
            elif isinstance(given, Mapping):
                values[part] = dict(given)
        # The first of a setting's names wins (APPROVAL_TTL before APPROVAL_TTL_MINUTES).
        for name, (part, field) in setting_variables().items():
            if name.lower() in self.variables:
                target = values.setdefault(part, {}) if part else values
                target.setdefault(field, self.variables[name.lower()])
        return values


def source_variables(source: PydanticBaseSettingsSource) -> Mapping[str, Any]:
    """What a pydantic-settings source was given: the arguments, or the variables it read."""
    if isinstance(source, InitSettingsSource):
        return source.init_kwargs
    if isinstance(source, EnvSettingsSource):  # the process environment, or a .env file
        return source.env_vars
    return {}


def settings_parts() -> list[str]:
    """The names of the parts (``github``, ``decision``, ...)."""
    return [name for name, field in Settings.model_fields.items() if _part_type(field)]


def _part_type(field: FieldInfo) -> type[SettingsPart] | None:
    annotation = field.annotation
    if isinstance(annotation, type) and issubclass(annotation, SettingsPart):
        return annotation
    return None


@cache
def setting_variables() -> dict[str, tuple[str | None, str]]:
    """Every environment variable CodeHealer reads, in declaration order, and where it goes:
    (part, field), part None for the runtime settings on ``Settings`` itself. A setting with
    several names lists its documented one first."""
    table: dict[str, tuple[str | None, str]] = {}
    for name, field in Settings.model_fields.items():
        part = _part_type(field)
        if part is None:
            table[name.upper()] = (None, name)
            continue
        for field_name, part_field in part.model_fields.items():
            for variable in field_variables(part_field, field_name):
                table[variable] = (name, field_name)
    return table


def field_variables(field: FieldInfo, name: str) -> tuple[str, ...]:
    """The environment variables a field of a part is read from, the documented one first."""
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return tuple(choice for choice in alias.choices if isinstance(choice, str))
    return (alias,) if isinstance(alias, str) else (name.upper(),)


def documented_variables() -> list[str]:
    """One variable per setting: the name README and .env.example document."""
    seen: set[tuple[str | None, str]] = set()
    names = []
    for name, place in setting_variables().items():
        if place not in seen:
            seen.add(place)
            names.append(name)
    return names


def documented_name(variable: str) -> str:
    """The documented name of the setting ``variable`` names (``approval_ttl_minutes`` is
    APPROVAL_TTL); a name that is no setting, upper-cased."""
    place = setting_variables().get(variable.upper())
    if place is None:
        return variable.upper()
    return next(name for name, found in setting_variables().items() if found == place)


def setting_value(settings: Settings, variable: str) -> Any:
    """The value of the setting read from ``variable`` (``GITHUB_TOKEN``)."""
    part, field = setting_variables()[variable.upper()]
    owner = settings if part is None else getattr(settings, part)
    return getattr(owner, field)


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


def secret_variables() -> list[str]:
    """The documented variables whose value is a secret."""
    return [
        name
        for name in documented_variables()
        if (place := setting_variables()[name])[0] is not None
        and place[1] in secret_fields(_part_class(place[0]))
    ]


def _part_class(part: str | None) -> type[BaseModel]:
    found = _part_type(Settings.model_fields[part]) if part else None
    return found or Settings


def setting_env_name(loc: tuple[int | str, ...]) -> str:
    """The variable an error location names: ``("worker", "threads")`` is WORKER_THREADS."""
    names: dict[tuple[str | None, str], str] = {}
    for variable, place in setting_variables().items():
        names.setdefault(place, variable)
    if len(loc) >= 2 and (str(loc[0]), str(loc[1])) in names:
        return names[(str(loc[0]), str(loc[1]))]
    if len(loc) >= 2 and str(loc[1]).upper() in setting_variables():
        return str(loc[1]).upper()  # validated by its alias
    if len(loc) == 1 and (None, str(loc[0])) in names:
        return names[(None, str(loc[0]))]
    return "settings"


def describe_invalid_settings(error: ValidationError) -> str:
    """One line per invalid setting, named by its variable; the values are left out."""
    lines = [
        f"  {setting_env_name(tuple(e['loc']))}: {mask_secrets(e['msg'])}"
        for e in error.errors(include_url=False, include_input=False, include_context=False)
    ]
    return "invalid settings:\n" + "\n".join(lines)


def process_environment() -> dict[str, str]:
    """A copy of the process environment, for the env SecretStore (the one other reader)."""
    return dict(os.environ)

