"""Settings: built once at startup (``app.settings_loader``) or by a test, then passed down.

Settings come in parts, one per integration or concern (``settings.github.token``,
``settings.decision.max_fixes_per_hour``; app/core/settings_parts.py), and each adapter is
built from its own part. Every setting keeps its documented environment variable
(``GITHUB_TOKEN``, ``MAX_FIXES_PER_HOUR``): a part's fields are read from its prefix plus the
field name, or from the names their ``validation_alias`` lists. The same names, in any case, are the keyword arguments of
``Settings(...)`` (``Settings(github_token=...)``) and the keys of the Secrets Manager secret.

Nothing in the code base reads ``os.environ`` except this module, and only when a
``Settings`` object is constructed.
"""

import os
from collections.abc import Mapping
from functools import cache
from typing import Any

from pydantic import AliasChoices, BaseModel, Field, SecretStr, ValidationError
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
from app.core.settings_parts import (
    AnalysisSettings,
    ArgoCDSettings,
    AwsSettings,
    DashboardSettings,
    DatabaseSettings,
    DecisionSettings,
    GitHubSettings,
    KubernetesSettings,
    NvidiaSettings,
    ReportSettings,
    ServerSettings,
    SettingsPart,
    SlackSettings,
    SweepSettings,
    WorkerSettings,
    secret_fields,
)

EMBEDDING_DIMENSIONS = 768
# Credentials callers present to CodeHealer: staging and prod refuse shorter ones (a short or
# guessable value lets anyone in; the rate limit on failed keys only slows guessing down).
MIN_SECRET_LENGTH = 16


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
        for name, (section, field) in setting_variables().items():
            if name.lower() in self.variables:
                target = values.setdefault(section, {}) if section else values
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

