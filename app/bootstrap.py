"""The composition root: the one place that builds the engine, clients, registries and services.

``build_container(settings, **overrides)`` is used by the FastAPI app, the CLI, the Lambda
handlers and the tests; tests pass fakes or test doubles as overrides.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from anyio import CapacityLimiter

from app.adapters.ai.local.embedder import LocalEmbedder
from app.adapters.database.embedded import EmbeddedPostgres
from app.adapters.database.engine import Database, create_db_engine
from app.adapters.external.argocd.client import ArgoCDClient, build_argocd_client
from app.adapters.external.argocd.logs import ArgoAppLogSource
from app.adapters.external.github.client import GitHubClient, build_github_client
from app.adapters.external.github.logs import GitHubLogSource
from app.adapters.external.kubernetes.client import KubernetesClient, build_kubernetes_client
from app.adapters.external.kubernetes.logs import KubernetesLogSource
from app.adapters.external.slack.client import SlackClient, build_slack_client
from app.adapters.metrics.emf import EmfMetrics
from app.adapters.queue.factory import build_queue
from app.adapters.queue.in_process import InProcessQueue
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
from app.core.ports import Classifier, Embedder, GitHubActions, Queue, SecretStore
from app.core.rate_limit import AuthFailureLimiter
from app.domain.classification.fixability_guard import RuleFixabilityGuard
from app.domain.classification.rule_classifier import RuleClassifier
from app.domain.decisions.engine import DecisionEngine
from app.domain.decisions.models import Thresholds
from app.domain.dependency_waits import WaitPolicy
from app.domain.remediators.argocd_hard_refresh import ArgoHardRefresh
from app.domain.remediators.argocd_rollback import ArgoRollback
from app.domain.remediators.argocd_sync import ArgoSync
from app.domain.remediators.base import Remediator
from app.domain.remediators.refresh_secret import RefreshSecret, SecretSource
from app.domain.remediators.rerun_failed_jobs import RerunFailedJobs
from app.domain.remediators.rerun_no_cache import RerunNoCache
from app.domain.remediators.restart_pod import RestartPod
from app.domain.remediators.rollout_restart import RolloutRestart
from app.domain.remediators.scale_memory import ScaleMemory
from app.domain.rules.blacklist import BlacklistRule
from app.domain.rules.blast_radius import BlastRadiusRule, HourlyBudget
from app.domain.rules.fixability import FixabilityRule
from app.domain.rules.high_risk import HighRiskActionRule
from app.domain.rules.recurrence import RecurrenceRule
from app.domain.rules.retry_budget import RetryBudgetRule
from app.domain.rules.storm import StormRule
from app.domain.scoring.confidence import ConfidenceWeights
from app.domain.strategies.conservative import ConservativeStrategy
from app.domain.strategies.hybrid import HybridStrategy
from app.domain.strategies.slack_first import SlackFirstStrategy
from app.services.analyzer import Analyzer
from app.services.approvals import ApprovalService
from app.services.attempt_planner import AttemptPlanner
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
from app.services.pipeline import EventProcessor
from app.services.remediation import RemediationService
from app.services.reports import Reporter
from app.services.runbooks import RunbookLibrary
from app.services.sweep import Sweeper, SweepTask
from app.services.verification import VerificationRecorder
from app.services.verification_sweep import StaleAttemptChecker, TargetHealthChecker
from app.services.worker import IncidentWorker

log = logging.getLogger(__name__)

APP_ROOT = Path(__file__).resolve().parents[1]
KNOWN_OVERRIDES = frozenset(
    {
        "database_url",
        "db",
        "queue",
        "steps",
        "parsers",
        "embedder",
        "classifier",
        "github",
        "log_sources",
        "thresholds",
        "remediators",
        "metrics",
        "slack",
        "kubernetes",
        "argocd",
    }
)


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
    embedded: EmbeddedPostgres | None = None
    closers: list[Callable[[], None]] = field(default_factory=list)

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
            repositories = [r.strip() for r in s.github.repositories.split(",") if r.strip()]
            tasks["reconcile"] = Reconciler(
                self.db,
                self.github,
                self.ingest,
                repositories=repositories,
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
        for close in reversed(self.closers):
            close()
        self.closers.clear()
        self.db.dispose()
        if self.embedded is not None:
            self.embedded.stop()
            self.embedded = None


def resolve_database(settings: Settings) -> tuple[str, EmbeddedPostgres | None]:
    """DATABASE_URL when set; otherwise the embedded server in CODEHEALER_DATA_DIR."""
    if settings.database.url:
        return settings.database.url, None
    embedded = EmbeddedPostgres(settings.database.data_dir).start()
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


def build_embedder(settings: Settings, overrides: dict[str, Any]) -> Embedder:
    if "embedder" in overrides:
        return overrides["embedder"]
    if settings.nvidia.api_key is None:
        return LocalEmbedder()
    from app.adapters.ai.nvidia.client import build_nim_http  # only with a key (cold start)
    from app.adapters.ai.nvidia.embedder import NimEmbedder

    return NimEmbedder(build_nim_http(settings.nvidia), model=settings.nvidia.embed_model)


def build_classifier(settings: Settings, overrides: dict[str, Any]) -> Classifier:
    if "classifier" in overrides:
        return overrides["classifier"]
    # Compiling the failure patterns takes a noticeable part of a Lambda cold start, and the
    # API function never classifies: build on the first classification.
    return _LazyClassifier(lambda: _classifier(settings))


def _classifier(settings: Settings) -> Classifier:
    rules = RuleClassifier.from_file(config_path(settings.analysis.patterns_file))
    if settings.nvidia.api_key is None:
        return rules
    from app.adapters.ai.nvidia.classifier import NimClassifier  # only with a key
    from app.adapters.ai.nvidia.client import build_nim_http

    return NimClassifier(
        build_nim_http(settings.nvidia),
        model=settings.nvidia.model,
        fallback=rules,
        guard=RuleFixabilityGuard(rules),
    )


def hourly_budget(settings: Settings) -> HourlyBudget:
    """The one hourly budget: the decision rules and approvals check the same limits."""
    return HourlyBudget(
        settings.decision.max_fixes_per_hour, settings.decision.max_fixes_per_hour_per_target
    )


def build_decision_engine(settings: Settings) -> tuple[DecisionEngine, StormRule]:
    strategies = {
        Strategy.CONSERVATIVE: ConservativeStrategy(),
        Strategy.SLACK_FIRST: SlackFirstStrategy(),
        Strategy.HYBRID: HybridStrategy(),
    }
    storm = StormRule(settings.decision.storm_targets)
    rules = [
        FixabilityRule(),
        HighRiskActionRule.from_setting(settings.decision.high_risk_actions_allowed),
        BlacklistRule.from_file(config_path(settings.decision.rules_file)),
        RetryBudgetRule(settings.decision.max_rerun_attempts),
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


class _LazySecretStore(_Lazy[SecretStore]):
    """Builds its store on first use, so unused AWS clients cost nothing at startup."""

    def get(self, name: str) -> str:
        return self.target().get(name)


class _LazyClassifier(_Lazy[Classifier]):
    """The configured classifier, built on the first classification."""

    @property
    def name(self) -> str:
        return self.target().name

    def classify(self, excerpt: str, similar: list[SimilarIncident]) -> ClassifierVerdict:
        return self.target().classify(excerpt, similar)


def build_secret_stores(settings: Settings) -> dict[str, SecretStore]:
    return {
        "env": EnvSecretStore(process_environment()),
        "aws": _LazySecretStore(
            lambda: AwsSecretStore(secrets_manager_client(settings.aws.region))
        ),
    }


def load_rules_config(settings: Settings) -> dict[str, Any]:
    return yaml.safe_load(config_path(settings.decision.rules_file).read_text()) or {}


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


def build_container(settings: Settings, **overrides: Any) -> Container:
    unknown = set(overrides) - KNOWN_OVERRIDES
    if unknown:
        raise TypeError(f"unknown overrides: {sorted(unknown)}")
    embedded = None
    database_url = overrides.get("database_url")
    if database_url is None and "db" not in overrides:
        database_url, embedded = resolve_database(settings)
    db = overrides.get("db") or Database(create_db_engine(database_url, settings.database))
    queue = overrides.get("queue") or build_queue(settings.aws)
    metrics = overrides.get("metrics") or build_metrics(settings)
    closers: list[Callable[[], None]] = []
    github = overrides.get("github")
    if github is None and (settings.github.token is not None or settings.github.app_configured):
        github = build_github_client(settings.github)
        closers.append(github.close)
    kubernetes = overrides.get("kubernetes")
    if kubernetes is None:
        kubernetes = build_kubernetes_client(settings.kubernetes, environ=process_environment())
        if kubernetes is not None:
            closers.append(kubernetes.close)
    argocd = overrides.get("argocd")
    if argocd is None:
        argocd = build_argocd_client(settings.argocd)
        if argocd is not None:
            closers.append(argocd.close)
    analyzer = Analyzer(
        db,
        log_sources=overrides.get("log_sources")
        or {
            IncidentSource.GITHUB: GitHubLogSource(github),
            IncidentSource.KUBERNETES: KubernetesLogSource(kubernetes),
            IncidentSource.ARGOCD: ArgoAppLogSource(argocd),
        },
        embedder=build_embedder(settings, overrides),
        classifier=build_classifier(settings, overrides),
        weights=ConfidenceWeights(
            settings.analysis.weight_classifier,
            settings.analysis.weight_similarity,
            settings.analysis.weight_history,
        ),
        k=settings.analysis.similar_incidents_k,
        ef_search=settings.analysis.hnsw_ef_search,
        metrics=metrics,
    )
    rules_config = load_rules_config(settings)
    secret_sources = [SecretSource.model_validate(e) for e in rules_config.get("secrets", [])]
    engine, storm = build_decision_engine(settings)
    planner = AttemptPlanner(
        budget=hourly_budget(settings),
        dry_run=settings.effective_dry_run or settings.decision.shadow_mode,
        secret_names=[source.name for source in secret_sources],
    )
    decider = DecisionService(
        db,
        engine,
        environment=settings.environment,
        strategy=settings.effective_strategy,
        thresholds=overrides.get("thresholds")
        or calibrated_thresholds(db, settings_thresholds(settings)),
        storm_rule=storm,
        planner=planner,
        shadow=settings.decision.shadow_mode,
        approval_ttl=timedelta(minutes=settings.decision.approval_ttl_minutes),
        metrics=metrics,
    )
    approvals = ApprovalService(
        db,
        queue,
        approvers=frozenset(u.strip() for u in settings.slack.approver_ids.split(",") if u.strip()),
        ttl=timedelta(minutes=settings.decision.approval_ttl_minutes),
        decider=decider,
        planner=planner,
    )
    remediators = overrides.get("remediators")
    if remediators is None:
        remediators = build_remediators(
            github,
            secret_sources=secret_sources,
            stores=build_secret_stores(settings),
            kubernetes=kubernetes,
            argocd=argocd,
            max_memory=settings.kubernetes.max_memory,
        )
    remediation = RemediationService(db, remediators, metrics=metrics)
    steps = overrides.get("steps")
    processor = EventProcessor(
        db,
        [analyzer, decider, remediation] if steps is None else steps,
        waits=dependency_wait_policy(settings),
        deadline_seconds=settings.worker.incident_deadline_seconds,
    )
    verifier = VerificationRecorder()
    parsers = overrides.get("parsers") or build_parsers(settings)
    ingest = IngestService(db, queue, parsers, verifier, metrics=metrics)
    slack = overrides["slack"] if "slack" in overrides else build_slack_client(settings.slack)
    notifier = SlackNotifier(
        db,
        slack,
        channel=settings.slack.channel,
        public_url=settings.dashboard.public_url,
        runbook_base_url=settings.dashboard.runbook_base,
    )
    return Container(
        settings=settings,
        database_url=database_url or str(db.engine.url),
        db=db,
        queue=queue,
        ingest=ingest,
        processor=processor,
        analyzer=analyzer,
        decider=decider,
        remediation=remediation,
        verifier=verifier,
        approvals=approvals,
        notifier=notifier,
        slack=slack,
        kubernetes=kubernetes,
        argocd=argocd,
        github=github,
        embedded=embedded,
        closers=closers,
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
            db, approvals, slack, approver_group=settings.slack.approver_group
        ),
    )
