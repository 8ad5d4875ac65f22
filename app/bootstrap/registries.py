"""The registries of the pipeline, plain dicts keyed by enum: each source's log source, each
action's remediator (with the secret stores refresh_secret reads). The ingest registry, each
webhook source's parser, is in ingest.py."""

from collections.abc import Iterable, Mapping, Sequence
from contextlib import ExitStack
from typing import Any
from urllib.parse import urlsplit

import yaml

from app.adapters.external.argocd.logs import ArgoAppLogSource
from app.adapters.external.github.green_run import LastGreenRun
from app.adapters.external.github.logs import GitHubLogSource
from app.adapters.external.http import ResilientClient
from app.adapters.external.kubernetes.logs import KubernetesLogSource
from app.adapters.secrets.aws import AwsSecretStore, secrets_manager_client
from app.adapters.secrets.env import EnvSecretStore
from app.bootstrap.clients import Clients
from app.bootstrap.resources import Lazy, config_path, owned
from app.bootstrap.sources import SOURCES, Source, added, load
from app.core.cluster_ports import ArgoCDApi, KubernetesApi
from app.core.config import Settings, process_environment
from app.core.enums import ActionKind, IncidentSource
from app.core.ports import GitHubActions, GitHubPullRequests, LogSource, SecretStore
from app.core.settings_parts import AwsSettings, GitHubSettings
from app.domain.config_fixes.propose import FixModel
from app.domain.decisions.models import ActionRisks
from app.domain.remediators.argocd_hard_refresh import ArgoHardRefresh
from app.domain.remediators.argocd_rollback import ArgoRollback
from app.domain.remediators.argocd_sync import ArgoSync
from app.domain.remediators.base import PERSON_ACTIONS, Remediator, declared_risks
from app.domain.remediators.gitops import GitOpsMemory
from app.domain.remediators.open_fix_pull_request import OpenFixPullRequest
from app.domain.remediators.refresh_secret import RefreshSecret, SecretSource
from app.domain.remediators.rerun_failed_jobs import RerunFailedJobs
from app.domain.remediators.rerun_no_cache import RerunNoCache
from app.domain.remediators.restart_pod import RestartPod
from app.domain.remediators.rollout_restart import RolloutRestart
from app.domain.remediators.rollout_undo import RolloutUndo
from app.domain.remediators.scale_memory import ScaleMemory


def build_log_sources(
    settings: Settings, clients: Clients, sources: Sequence[Source] = SOURCES
) -> dict[IncidentSource, LogSource]:
    """Where the analysis reads a failure's log, by the incident's source."""
    built_in: dict[IncidentSource, LogSource] = {
        IncidentSource.GITHUB: GitHubLogSource(
            clients.github, green=build_green_run(settings.github)
        ),
        IncidentSource.KUBERNETES: KubernetesLogSource(clients.kubernetes),
        IncidentSource.ARGOCD: ArgoAppLogSource(clients.argocd),
    }
    for source in added(sources):
        client = clients.by_source.get(source.source)
        if client is not None and source.log_source is not None:
            built_in[source.source] = load(source.log_source)(client)
    return built_in


def build_green_run(settings: GitHubSettings) -> LastGreenRun | None:
    """What finds a failed job's log in the last successful run, unless that is switched off."""
    if not settings.green_run_comparison:
        return None
    return LastGreenRun(
        ttl_seconds=settings.green_log_cache_seconds, max_log_bytes=settings.green_log_max_bytes
    )


# Every remediator class. The registry holds those of the configured integrations; what each
# class declares (its risk, whether it re-runs a workflow run) tells the rules how careful to be.
BUILT_IN_REMEDIATOR_CLASSES: tuple[type[Remediator], ...] = (
    RerunFailedJobs,
    RerunNoCache,
    RefreshSecret,
    OpenFixPullRequest,
    RestartPod,
    RolloutRestart,
    ScaleMemory,
    ArgoSync,
    ArgoHardRefresh,
    ArgoRollback,
    RolloutUndo,
)
REMEDIATOR_CLASSES: tuple[type[Remediator], ...] = BUILT_IN_REMEDIATOR_CLASSES + tuple(
    load(reference) for source in added(SOURCES) for reference in source.remediators
)


def action_risks() -> ActionRisks:
    """The risks the remediator classes declare, for the decision rules and strategies."""
    return declared_risks(REMEDIATOR_CLASSES)


def build_remediators(
    github: GitHubActions | None,
    *,
    secret_sources: list[SecretSource],
    stores: dict[str, SecretStore],
    kubernetes: KubernetesApi | None = None,
    argocd: ArgoCDApi | None = None,
    max_memory: str = "4Gi",
    pulls: GitHubPullRequests | None = None,
    fix_model: FixModel | None = None,
    github_host: str = "github.com",
) -> dict[ActionKind, Remediator]:
    """Registry keyed by action. An action without an entry is never executed (it escalates):
    integrations that are not configured contribute nothing. ``pulls`` (GitHub's contents and
    pull requests) proposes configuration fixes, and with Argo CD the memory raises of the
    workloads it manages."""
    remediators: list[Remediator] = []
    if pulls is not None:
        remediators.append(OpenFixPullRequest(pulls, model=fix_model))
    gitops = (
        GitOpsMemory(argocd, pulls, github_host=github_host)
        if argocd is not None and pulls is not None
        else None
    )
    if github is not None:
        remediators += [
            RerunFailedJobs(github),
            RerunNoCache(github),
            RefreshSecret(github, sources=secret_sources, stores=stores),
        ]
    if kubernetes is not None:
        remediators += [
            RestartPod(kubernetes),
            RolloutRestart(kubernetes),
            RolloutUndo(kubernetes),
            ScaleMemory(kubernetes, max_memory=max_memory, gitops=gitops),
        ]
    if argocd is not None:
        remediators += [ArgoSync(argocd), ArgoHardRefresh(argocd), ArgoRollback(argocd)]
    return {remediator.action: remediator for remediator in remediators}


def build_registry(
    settings: Settings, clients: Clients, secret_sources: list[SecretSource], opened: ExitStack
) -> dict[ActionKind, Remediator]:
    """The remediators of the configured integrations."""
    return build_remediators(
        clients.github,
        secret_sources=secret_sources,
        stores=build_secret_stores(settings.aws, opened),
        kubernetes=clients.kubernetes,
        argocd=clients.argocd,
        max_memory=settings.kubernetes.max_memory,
        pulls=clients.github,
        fix_model=build_fix_model(settings, clients.nim),
        github_host=github_web_host(settings.github.api_url),
    )


# Keyed by the source's value, as the incident row stores it.
SourceRemediators = dict[tuple[str, ActionKind], Remediator]


def build_source_remediators(
    clients: Clients, sources: Sequence[Source] = SOURCES
) -> SourceRemediators:
    """The added sources' own ways of doing an action, keyed by (source, action): the
    remediation step runs one for that source's incidents instead of the default
    remediator of the action (a GitLab pipeline's jobs are retried through GitLab)."""
    remediators: SourceRemediators = {}
    for source in added(sources):
        client = clients.by_source.get(source.source)
        if client is None:
            continue
        for reference in source.remediators:
            remediator = load(reference)(client)
            remediators[(source.source.value, remediator.action)] = remediator
    return remediators


def build_fix_model(settings: Settings, nim: ResilientClient | None) -> FixModel | None:
    """NIM chat as the model of configuration fixes, when NIM chats; else repairs only."""
    if nim is None:
        return None
    from app.adapters.ai.nvidia.config_fixer import NimConfigFixer  # only with NIM (cold start)

    return NimConfigFixer(nim, model=settings.nvidia.model)


def github_web_host(api_url: str) -> str:
    """Where repositories are cloned from: github.com for api.github.com, else the GitHub
    Enterprise host (``https://HOST/api/v3``)."""
    host = urlsplit(api_url).hostname or "github.com"
    return host.removeprefix("api.") if host == "api.github.com" else host


def allowed_actions(
    registry: Mapping[ActionKind, Remediator], also: Iterable[ActionKind] = ()
) -> list[ActionKind]:
    """What the classifier may propose: what a configured remediator executes (``also``: the
    actions an added source does its own way), or what a person does (nothing)."""
    executable = set(registry) | set(also) | PERSON_ACTIONS
    return [action for action in ActionKind if action in executable]


class LazySecretStore(Lazy[AwsSecretStore]):
    """Builds its store on first use, so unused AWS clients cost nothing at startup."""

    def get(self, name: str) -> str:
        return self.target().get(name)

    def close(self) -> None:
        if self._target is not None:
            self._target.close()


def build_secret_stores(settings: AwsSettings, opened: ExitStack) -> dict[str, SecretStore]:
    """Where refresh_secret reads new values: the environment, or Secrets Manager (its client
    built on first use and closed with the container)."""
    aws = owned(
        opened, LazySecretStore(lambda: AwsSecretStore(secrets_manager_client(settings.region)))
    )
    return {"env": EnvSecretStore(process_environment()), "aws": aws}


def load_rules_config(settings: Settings) -> dict[str, Any]:
    return yaml.safe_load(config_path(settings.decision.rules_file).read_text()) or {}


def load_secret_sources(settings: Settings) -> list[SecretSource]:
    """The secrets refresh_secret may replace (``secrets:`` of the remediation rules file)."""
    entries = load_rules_config(settings).get("secrets", [])
    return [SecretSource.model_validate(entry) for entry in entries]
