"""The composition root: the one place that builds the engine, clients, registries and services.

``build_container(settings, **overrides)`` is used by the FastAPI app, the CLI, the Lambda
handlers and the tests; tests hand in what they own through the typed ``Overrides``. It is
made of small builders, each from its part of the settings: ``open_database``,
``open_clients``, ``build_registry``, ``build_analyzer``, ``build_decisions``, ... The
container closes every client it opened: ``with build_container(settings) as container:``.
"""

import logging
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, Generic, Protocol, TypedDict, TypeVar, Unpack

import yaml
from anyio import CapacityLimiter

from app.adapters.ai.local.embedder import LocalEmbedder
from app.adapters.database.embedded import EmbeddedPostgres
from app.adapters.database.engine import Database, create_db_engine
from app.adapters.external.argocd.client import ArgoCDClient, build_argocd_client
from app.adapters.external.argocd.logs import ArgoAppLogSource
from app.adapters.external.github.client import GitHubClient, build_github_client
from app.adapters.external.github.green_run import LastGreenRun
from app.adapters.external.github.logs import GitHubLogSource
from app.adapters.external.http import ResilientClient
from app.adapters.external.kubernetes.client import KubernetesClient, build_kubernetes_client
from app.adapters.external.kubernetes.logs import KubernetesLogSource
from app.adapters.external.slack.client import SlackClient, build_slack_client
from app.adapters.metrics.emf import EmfMetrics
from app.adapters.queue.factory import build_queue
from app.adapters.queue.in_process import InProcessQueue
from app.adapters.queue.sqs import SqsQueue
from app.adapters.secrets.aws import AwsSecretStore, secrets_manager_client
from app.adapters.secrets.env import EnvSecretStore
from app.core.analysis.models import ClassifierVerdict, SimilarIncident
from app.core.cluster_ports import ArgoCDApi, KubernetesApi
from app.core.config import Settings, process_environment
from app.core.enums import ActionKind, IncidentSource, Strategy
from app.core.events.argocd import parse_argocd_delivery
from app.core.events.github import parse_github_delivery
from app.core.events.kubernetes import parse_kubernetes_delivery
from app.core.events.signals import SourceParser
from app.core.metrics import Metrics, NullMetrics
from app.core.ports import Classifier, Embedder, GitHubActions, LogSource, Queue, SecretStore
from app.core.rate_limit import AuthFailureLimiter
from app.core.settings_parts import AwsSettings, DatabaseSettings, GitHubSettings, NvidiaSettings
from app.domain.classification.fixability_guard import RuleFixabilityGuard
from app.domain.classification.rule_classifier import RuleClassifier
from app.domain.decisions.engine import DecisionEngine
from app.domain.decisions.models import ActionRisks, Thresholds
from app.domain.dependency_waits import WaitPolicy
from app.domain.learning.autonomy import AutonomyPolicy
from app.domain.remediators.argocd_hard_refresh import ArgoHardRefresh
from app.domain.remediators.argocd_rollback import ArgoRollback
from app.domain.remediators.argocd_sync import ArgoSync
from app.domain.remediators.base import PERSON_ACTIONS, Remediator, declared_risks
from app.domain.remediators.refresh_secret import RefreshSecret, SecretSource
from app.domain.remediators.rerun_failed_jobs import RerunFailedJobs
from app.domain.remediators.rerun_no_cache import RerunNoCache
from app.domain.remediators.restart_pod import RestartPod
from app.domain.remediators.rollout_restart import RolloutRestart
from app.domain.remediators.scale_memory import ScaleMemory
from app.domain.rules.base import DecisionRule
from app.domain.rules.blacklist import BlacklistRule
from app.domain.rules.blast_radius import BlastRadiusRule, HourlyBudget
from app.domain.rules.fixability import FixabilityRule
from app.domain.rules.high_risk import HighRiskActionRule
from app.domain.rules.recurrence import RecurrenceRule
from app.domain.rules.retry_budget import RetryBudgetRule
from app.domain.rules.storm import StormRule
from app.domain.scoring.confidence import ConfidenceWeights
from app.domain.strategies.base import DecisionStrategy
from app.domain.strategies.conservative import ConservativeStrategy
from app.domain.strategies.hybrid import HybridStrategy
from app.domain.strategies.slack_first import SlackFirstStrategy
from app.services.analyzer import Analyzer
from app.services.approvals import ApprovalService
from app.services.attempt_planner import AttemptPlanner
from app.services.autonomy import AutonomyService
from app.services.dashboard import DashboardQuery
from app.services.decision import DecisionService
from app.services.github_sweep import Reconciler
from app.services.health import HealthCheck
from app.services.incident_views import IncidentQuery
from app.services.ingest import IngestService
from app.services.interactions import InteractionService
from app.services.learning import calibrated_thresholds
from app.services.metrics import KpiQuery
from app.services.notifier import SlackNotifier
from app.services.pipeline import EventProcessor, PipelineStep
from app.services.remediation import RemediationService
from app.services.reports import Reporter
from app.services.runbooks import RunbookLibrary
from app.services.sweep import Sweeper, SweepTask
from app.services.verification import VerificationRecorder
from app.services.verification_sweep import StaleAttemptChecker, TargetHealthChecker
from app.services.worker import IncidentWorker

log = logging.getLogger(__name__)

APP_ROOT = Path(__file__).resolve().parents[1]


class Overrides(TypedDict, total=False):
    """What a test or a benchmark hands the composition root instead of what the settings
    describe. The caller keeps what it hands in: the container never closes it."""

    database_url: str
    db: Database
    queue: Queue
    metrics: Metrics
    github: GitHubClient
    kubernetes: KubernetesClient
    argocd: ArgoCDClient
    slack: SlackClient | None  # None: no Slack, whatever the settings say
    log_sources: dict[IncidentSource, LogSource]
    embedder: Embedder
    classifier: Classifier
    thresholds: Callable[[], Thresholds]  # read on every decision
    remediators: dict[ActionKind, Remediator]
    steps: Sequence[PipelineStep]
    parsers: dict[IncidentSource, SourceParser]


@dataclass
class Container:
    settings: Settings
    database_url: str
    db: Database
    queue: Queue
    ingest: IngestService
    processor: EventProcessor
    analyzer: Analyzer
    decider: DecisionService
    remediation: RemediationService
    verifier: VerificationRecorder
    approvals: ApprovalService
    notifier: SlackNotifier
    # Threads doing a webhook's database work at once: as many as the pool keeps connections,
    # so a burst queues here instead of opening (and closing again) overflow connections.
    database_slots: CapacityLimiter
    # Failed key checks per client address (X-API-Key, dashboard sign-in, HTTP Basic).
    auth_limiter: AuthFailureLimiter
    # What the routers call (app/api): read models, health, Slack clicks.
    incident_views: IncidentQuery
    kpis: KpiQuery
    health: HealthCheck
    dashboard: DashboardQuery
    runbooks: RunbookLibrary
    interactions: InteractionService
    github: GitHubClient | None = None
    slack: SlackClient | None = None
    kubernetes: KubernetesClient | None = None
    argocd: ArgoCDClient | None = None
    # What the container opened (clients, the engine, the embedded server), closed by close().
    resources: ExitStack = field(default_factory=ExitStack)

    def new_worker(self, worker_id: str | None = None) -> IncidentWorker:
        s = self.settings
        return IncidentWorker(
            self.db,
            self.processor,
            batch_size=s.worker.batch_size,
            poll_seconds=s.worker.poll_seconds,
            claim_timeout=timedelta(seconds=s.worker.claim_timeout_seconds),
            wakeup=self.queue if isinstance(self.queue, InProcessQueue) else None,
            worker_id=worker_id,
            notify=self.notifier.deliver_pending,
        )

    def new_sweeper(self) -> Sweeper:
        tasks: dict[str, SweepTask] = {}
        if self.github is not None:
            s = self.settings
            tasks["stale_attempts"] = StaleAttemptChecker(
                self.db,
                self.github,
                self.verifier,
                older_than=timedelta(minutes=s.sweep.verify_after_minutes),
            )
            tasks["reconcile"] = Reconciler(
                self.db,
                self.github,
                self.ingest,
                repositories=s.github.repository_names,
                lookback=timedelta(hours=s.sweep.reconcile_lookback_hours),
            )
        tasks["cluster_verification"] = TargetHealthChecker(
            self.db, self.verifier, kubernetes=self.kubernetes, argocd=self.argocd
        )
        tasks["slack"] = self.notifier.deliver_pending
        return Sweeper(worker=self.new_worker(worker_id="sweep"), tasks=tasks)

    def new_reporter(self) -> Reporter:
        s = self.settings
        return Reporter(
            self.db,
            self.slack,
            channel=s.slack.channel,
            price_per_1k_tokens=s.report.llm_price_per_1k_tokens,
            minutes_per_manual_fix=s.report.minutes_per_manual_fix,
            max_fixes_per_hour=s.decision.max_fixes_per_hour,
        )

    def close(self) -> None:
        """Close every client the container opened, dispose of its engine and stop the
        embedded server, last opened first; what it was handed stays open. Idempotent."""
        self.resources.close()

    def __enter__(self) -> "Container":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def resolve_database(settings: DatabaseSettings) -> tuple[str, EmbeddedPostgres | None]:
    """DATABASE_URL when set; otherwise the embedded server in CODEHEALER_DATA_DIR."""
    if settings.url:
        return settings.url, None
    embedded = EmbeddedPostgres(settings.data_dir).start()
    return embedded.ensure_database(), embedded


def build_metrics(settings: Settings) -> Metrics:
    if settings.metrics_backend == "emf":
        return EmfMetrics(environment=settings.environment.value)
    return NullMetrics()


def build_parsers(settings: Settings) -> dict[IncidentSource, SourceParser]:
    """The ingest registry: each webhook source's parser (app/core/events/signals.py)."""
    cluster = settings.kubernetes.cluster_name
    return {
        IncidentSource.GITHUB: parse_github_delivery,
        IncidentSource.ARGOCD: parse_argocd_delivery,
        IncidentSource.KUBERNETES: partial(parse_kubernetes_delivery, default_cluster=cluster),
    }


def config_path(path: Path) -> Path:
    """Config files resolve against the working directory, then the application's root."""
    if path.is_absolute() or path.exists():
        return path
    return APP_ROOT / path


def build_embedder(settings: NvidiaSettings, nim: ResilientClient | None) -> Embedder:
    """NIM embeddings over ``nim`` (the embeddings client, when NIM embeds), else the local
    embedder."""
    if nim is None:
        return LocalEmbedder()
    from app.adapters.ai.nvidia.embedder import NimEmbedder  # only with a key (cold start)

    return NimEmbedder(nim, model=settings.embed_model)


def build_classifier(
    settings: Settings, nim: ResilientClient | None, *, actions: Collection[ActionKind]
) -> Classifier:
    """The NIM classifier over ``nim`` (falling back to the rules), else the rules; the
    model may propose only ``actions``."""
    # Compiling the failure patterns takes a noticeable part of a Lambda cold start, and the
    # API function never classifies: build on the first classification.
    return _LazyClassifier(lambda: _classifier(settings, nim, actions))


def _classifier(
    settings: Settings, nim: ResilientClient | None, actions: Collection[ActionKind]
) -> Classifier:
    rules = RuleClassifier.from_file(config_path(settings.analysis.patterns_file))
    if nim is None:
        return rules
    from app.adapters.ai.nvidia.classifier import NimClassifier  # only with a key

    return NimClassifier(
        nim,
        model=settings.nvidia.model,
        actions=actions,
        fallback=rules,
        guard=RuleFixabilityGuard(rules),
    )


def hourly_budget(settings: Settings) -> HourlyBudget:
    """The one hourly budget: the decision rules and approvals check the same limits."""
    return HourlyBudget(
        settings.decision.max_fixes_per_hour, settings.decision.max_fixes_per_hour_per_target
    )


def build_decision_engine(settings: Settings) -> tuple[DecisionEngine, StormRule]:
    risks = action_risks()
    strategies: dict[Strategy, DecisionStrategy] = {
        Strategy.CONSERVATIVE: ConservativeStrategy(),
        Strategy.SLACK_FIRST: SlackFirstStrategy(low_risk=risks.low),
        Strategy.HYBRID: HybridStrategy(),
    }
    storm = StormRule(settings.decision.storm_targets)
    decision = settings.decision
    rules: list[DecisionRule] = [
        FixabilityRule(),
        HighRiskActionRule.from_setting(decision.high_risk_actions_allowed, high_risk=risks.high),
        BlacklistRule.from_file(config_path(decision.rules_file)),
        RetryBudgetRule(decision.max_rerun_attempts, reruns=risks.reruns),
        RecurrenceRule(settings.decision.recurrence_limit),
        storm,
        BlastRadiusRule.for_budget(hourly_budget(settings)),
    ]
    return DecisionEngine(strategies, rules), storm


T = TypeVar("T")


class _Lazy(Generic[T]):
    """Builds its target once, on first use (thread-safe: worker threads share it)."""

    def __init__(self, factory: Callable[[], T]):
        self._factory = factory
        self._target: T | None = None
        self._lock = threading.Lock()

    def target(self) -> T:
        if self._target is None:
            with self._lock:
                if self._target is None:
                    self._target = self._factory()
        return self._target


class _LazySecretStore(_Lazy[AwsSecretStore]):
    """Builds its store on first use, so unused AWS clients cost nothing at startup."""

    def get(self, name: str) -> str:
        return self.target().get(name)

    def close(self) -> None:
        if self._target is not None:
            self._target.close()


class _LazyClassifier(_Lazy[Classifier]):
    """The configured classifier, built on the first classification."""

    @property
    def name(self) -> str:
        return self.target().name

    def classify(self, excerpt: str, similar: list[SimilarIncident]) -> ClassifierVerdict:
        return self.target().classify(excerpt, similar)


def build_secret_stores(settings: AwsSettings, opened: ExitStack) -> dict[str, SecretStore]:
    """Where refresh_secret reads new values: the environment, or Secrets Manager (its client
    built on first use and closed with the container)."""
    aws = _owned(
        opened, _LazySecretStore(lambda: AwsSecretStore(secrets_manager_client(settings.region)))
    )
    return {"env": EnvSecretStore(process_environment()), "aws": aws}


def load_rules_config(settings: Settings) -> dict[str, Any]:
    return yaml.safe_load(config_path(settings.decision.rules_file).read_text()) or {}


def load_secret_sources(settings: Settings) -> list[SecretSource]:
    """The secrets refresh_secret may replace (``secrets:`` of the remediation rules file)."""
    entries = load_rules_config(settings).get("secrets", [])
    return [SecretSource.model_validate(entry) for entry in entries]


# Every remediator class. The registry holds those of the configured integrations; what each
# class declares (its risk, whether it re-runs a workflow run) tells the rules how careful to be.
REMEDIATOR_CLASSES: tuple[type[Remediator], ...] = (
    RerunFailedJobs,
    RerunNoCache,
    RefreshSecret,
    RestartPod,
    RolloutRestart,
    ScaleMemory,
    ArgoSync,
    ArgoHardRefresh,
    ArgoRollback,
)


def action_risks() -> ActionRisks:
    """The risks the remediator classes declare, for the decision rules and strategies."""
    return declared_risks(REMEDIATOR_CLASSES)


def build_autonomy(settings: Settings) -> AutonomyService:
    """Earned autonomy: the precision each risk requires, for the strategy in force."""
    decision = settings.decision
    return AutonomyService(
        policy=AutonomyPolicy(
            low=decision.autonomy_precision_low,
            medium=decision.autonomy_precision_medium,
            high=decision.autonomy_precision_high,
            revoke_after=decision.autonomy_revoke_after,
            prior_weight=decision.autonomy_prior_weight,
        ),
        strategy=settings.effective_strategy,
        risks={remediator.action: remediator.risk for remediator in REMEDIATOR_CLASSES},
        reruns=action_risks().reruns,
        enabled=decision.autonomy,
    )


def build_remediators(
    github: GitHubActions | None,
    *,
    secret_sources: list[SecretSource],
    stores: dict[str, SecretStore],
    kubernetes: KubernetesApi | None = None,
    argocd: ArgoCDApi | None = None,
    max_memory: str = "4Gi",
) -> dict[ActionKind, Remediator]:
    """Registry keyed by action. An action without an entry is never executed (it escalates):
    integrations that are not configured contribute nothing."""
    remediators: list[Remediator] = []
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
            ScaleMemory(kubernetes, max_memory=max_memory),
        ]
    if argocd is not None:
        remediators += [ArgoSync(argocd), ArgoHardRefresh(argocd), ArgoRollback(argocd)]
    return {remediator.action: remediator for remediator in remediators}


def dependency_wait_policy(settings: Settings) -> WaitPolicy:
    return WaitPolicy(
        first_wait=timedelta(seconds=settings.worker.dependency_retry_first_seconds),
        longest_wait=timedelta(seconds=settings.worker.dependency_retry_longest_seconds),
        give_up_after=timedelta(minutes=settings.worker.dependency_wait_limit_minutes),
    )


def settings_thresholds(settings: Settings) -> Thresholds:
    return Thresholds(
        auto=settings.decision.confidence_threshold,
        conservative_auto=settings.decision.conservative_threshold,
        approval=settings.decision.approval_threshold,
    )


def build_container(settings: Settings, **overrides: Unpack[Overrides]) -> Container:
    """Everything the service runs on, built from ``settings``. What it opens is closed by
    ``Container.close()`` (or on leaving ``with``), and at once when building fails."""
    unknown = set(overrides) - Overrides.__optional_keys__
    if unknown:
        raise TypeError(f"unknown overrides: {sorted(unknown)}")
    with ExitStack() as opened:
        database_url, db = open_database(settings.database, overrides, opened)
        queue = overrides.get("queue") or open_queue(settings.aws, opened)
        metrics = overrides.get("metrics") or build_metrics(settings)
        clients = open_clients(settings, overrides, opened)
        secret_sources = load_secret_sources(settings)
        remediators = overrides.get("remediators")
        if remediators is None:
            remediators = build_registry(settings, clients, secret_sources, opened)
        analyzer = build_analyzer(
            settings, db, clients, allowed_actions(remediators), metrics, overrides
        )
        decider, approvals = build_decisions(
            settings, db, queue, secret_sources, metrics, overrides
        )
        remediation = RemediationService(db, remediators, metrics=metrics)
        steps = overrides.get("steps")
        processor = EventProcessor(
            db,
            [analyzer, decider, remediation] if steps is None else steps,
            waits=dependency_wait_policy(settings),
            deadline_seconds=settings.worker.incident_deadline_seconds,
        )
        verifier = VerificationRecorder(decider.autonomy)
        parsers = overrides.get("parsers") or build_parsers(settings)
        return Container(
            settings=settings,
            database_url=database_url,
            db=db,
            queue=queue,
            ingest=IngestService(db, queue, parsers, verifier, metrics=metrics),
            processor=processor,
            analyzer=analyzer,
            decider=decider,
            remediation=remediation,
            verifier=verifier,
            approvals=approvals,
            notifier=build_notifier(settings, db, clients.slack),
            slack=clients.slack,
            kubernetes=clients.kubernetes,
            argocd=clients.argocd,
            github=clients.github,
            database_slots=CapacityLimiter(max(1, settings.database.pool_size)),
            auth_limiter=AuthFailureLimiter(
                max_failures=settings.server.auth_failure_limit,
                window_seconds=settings.server.auth_failure_window_seconds,
                max_clients=settings.server.auth_failure_max_clients,
            ),
            incident_views=IncidentQuery(db),
            kpis=KpiQuery(db, max_fixes_per_hour=settings.decision.max_fixes_per_hour),
            health=HealthCheck(db),
            dashboard=DashboardQuery(db, settings),
            runbooks=RunbookLibrary(),
            interactions=InteractionService(
                db, approvals, clients.slack, approver_group=settings.slack.approver_group
            ),
            # Last: until here, a failure closes what was opened on leaving ``with``.
            resources=opened.pop_all(),
        )


SupportsCloseT = TypeVar("SupportsCloseT", bound="_SupportsClose")


class _SupportsClose(Protocol):
    def close(self) -> None: ...


def _owned(opened: ExitStack, resource: SupportsCloseT) -> SupportsCloseT:
    """``resource``, closed with the container: what it opens, never what it is handed."""
    return opened.enter_context(closing(resource))


def open_queue(settings: AwsSettings, opened: ExitStack) -> Queue:
    """SQS when QUEUE_URL is set (its client closed with the container), else in-process."""
    queue = build_queue(settings)
    return _owned(opened, queue) if isinstance(queue, SqsQueue) else queue


def open_database(
    settings: DatabaseSettings, overrides: Overrides, opened: ExitStack
) -> tuple[str, Database]:
    """The database and its URL: a given ``db``, else DATABASE_URL (or the ``database_url``
    override), else the embedded server, started here and stopped with the container."""
    given = overrides.get("db")
    if given is not None:
        return overrides.get("database_url") or str(given.engine.url), given
    url = overrides.get("database_url")
    if url is None:
        url, embedded = resolve_database(settings)
        if embedded is not None:
            opened.callback(embedded.stop)
    db = Database(create_db_engine(url, settings))
    opened.callback(db.dispose)
    return url, db


@dataclass(frozen=True)
class Clients:
    """One client per configured integration; None where it is not configured."""

    github: GitHubClient | None
    kubernetes: KubernetesClient | None
    argocd: ArgoCDClient | None
    slack: SlackClient | None
    # NVIDIA NIM chat, and NIM embeddings: one shared client (and breaker) when both go to
    # the same server.
    nim: ResilientClient | None
    nim_embeddings: ResilientClient | None = None


def open_clients(settings: Settings, overrides: Overrides, opened: ExitStack) -> Clients:
    """The integrations' clients: those handed in as they are, the others built from their
    part of the settings and closed with the container."""
    github = overrides.get("github")
    if github is None and settings.github.can_act:
        github = _owned(opened, build_github_client(settings.github))
    kubernetes = overrides.get("kubernetes")
    if kubernetes is None:
        built = build_kubernetes_client(settings.kubernetes, environ=process_environment())
        kubernetes = None if built is None else _owned(opened, built)
    argocd = overrides.get("argocd")
    if argocd is None:
        built_argocd = build_argocd_client(settings.argocd)
        argocd = None if built_argocd is None else _owned(opened, built_argocd)
    # slack-sdk opens a connection per call: nothing of Slack's stays open to close.
    slack = overrides["slack"] if "slack" in overrides else build_slack_client(settings.slack)
    needs_nim = not ("embedder" in overrides and "classifier" in overrides)
    nim, nim_embeddings = open_nim(settings.nvidia, opened) if needs_nim else (None, None)
    return Clients(github, kubernetes, argocd, slack, nim, nim_embeddings)


def open_nim(
    settings: NvidiaSettings, opened: ExitStack
) -> tuple[ResilientClient | None, ResilientClient | None]:
    """The NVIDIA NIM clients for chat and for embeddings, each when NIM does that part (a key
    is set, or its server is self-hosted); one shared client when both go to the same server."""
    if not (settings.chat_enabled or settings.embeddings_enabled):
        return None, None
    from app.adapters.ai.nvidia.client import build_nim_http  # only when used (cold start)

    chat = _owned(opened, build_nim_http(settings)) if settings.chat_enabled else None
    if not settings.embeddings_enabled:
        return chat, None
    if chat is not None and settings.embeddings_url == settings.base_url:
        return chat, chat
    return chat, _owned(opened, build_nim_http(settings, base_url=settings.embeddings_url))


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
    )


def allowed_actions(registry: Mapping[ActionKind, Remediator]) -> list[ActionKind]:
    """What the classifier may propose: what a configured remediator executes, or what a
    person does (nothing, or a configuration change)."""
    return [action for action in ActionKind if action in registry or action in PERSON_ACTIONS]


def build_offline_analyzer(settings: Settings, opened: ExitStack) -> Analyzer:
    """The analysis step without a database (`codehealer analyze --no-db`), proposing what the
    configured remediators could do; what it opens is closed with ``opened``."""
    clients = open_clients(settings, {}, opened)
    registry = build_registry(settings, clients, load_secret_sources(settings), opened)
    return build_analyzer(settings, None, clients, allowed_actions(registry), NullMetrics(), {})


def build_analyzer(
    settings: Settings,
    db: Database | None,
    clients: Clients,
    actions: Collection[ActionKind],
    metrics: Metrics,
    overrides: Overrides,
) -> Analyzer:
    """The analysis step; ``actions``: what the classifier may propose."""
    log_sources = overrides.get("log_sources") or {
        IncidentSource.GITHUB: GitHubLogSource(
            clients.github, green=build_green_run(settings.github)
        ),
        IncidentSource.KUBERNETES: KubernetesLogSource(clients.kubernetes),
        IncidentSource.ARGOCD: ArgoAppLogSource(clients.argocd),
    }
    analysis = settings.analysis
    embedder = overrides.get("embedder") or build_embedder(settings.nvidia, clients.nim_embeddings)
    return Analyzer(
        db,
        log_sources=log_sources,
        embedder=embedder,
        # Analysis goes on without NIM when its embeddings fail (the classifier falls back
        # to the rules by itself).
        fallback_embedder=None if isinstance(embedder, LocalEmbedder) else LocalEmbedder(),
        classifier=overrides.get("classifier")
        or build_classifier(settings, clients.nim, actions=actions),
        weights=ConfidenceWeights(
            analysis.weight_classifier, analysis.weight_similarity, analysis.weight_history
        ),
        k=analysis.similar_incidents_k,
        ef_search=analysis.hnsw_ef_search,
        query_cache_size=analysis.query_embedding_cache_size,
        metrics=metrics,
    )


def build_green_run(settings: GitHubSettings) -> LastGreenRun | None:
    """What finds a failed job's log in the last successful run, unless that is switched off."""
    if not settings.green_run_comparison:
        return None
    return LastGreenRun(
        ttl_seconds=settings.green_log_cache_seconds, max_log_bytes=settings.green_log_max_bytes
    )


def build_decisions(
    settings: Settings,
    db: Database,
    queue: Queue,
    secret_sources: list[SecretSource],
    metrics: Metrics,
    overrides: Overrides,
) -> tuple[DecisionService, ApprovalService]:
    """The decision step and the approvals: one planner, one budget, the same rules."""
    engine, storm = build_decision_engine(settings)
    planner = AttemptPlanner(
        budget=hourly_budget(settings),
        dry_run=settings.effective_dry_run or settings.decision.shadow_mode,
        secret_names=[source.name for source in secret_sources],
    )
    approval_ttl = timedelta(minutes=settings.decision.approval_ttl_minutes)
    decider = DecisionService(
        db,
        engine,
        environment=settings.environment,
        strategy=settings.effective_strategy,
        thresholds=overrides.get("thresholds")
        or calibrated_thresholds(db, settings_thresholds(settings)),
        storm_rule=storm,
        planner=planner,
        rerun_actions=action_risks().reruns,
        shadow=settings.decision.shadow_mode,
        approval_ttl=approval_ttl,
        metrics=metrics,
        autonomy=build_autonomy(settings),
    )
    approvals = ApprovalService(
        db,
        queue,
        approvers=settings.slack.approvers,
        ttl=approval_ttl,
        decider=decider,
        planner=planner,
    )
    return decider, approvals


def build_notifier(settings: Settings, db: Database, slack: SlackClient | None) -> SlackNotifier:
    return SlackNotifier(
        db,
        slack,
        channel=settings.slack.channel,
        public_url=settings.dashboard.public_url,
        runbook_base_url=settings.dashboard.runbook_base,
    )
