"""The container: what ``build_container`` built, the long-running parts it makes on demand
(worker, sweeper, reporter), and closing what it opened."""

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypedDict

from anyio import CapacityLimiter

from app.adapters.database.engine import Database
from app.adapters.external.argocd.client import ArgoCDClient
from app.adapters.external.github.client import GitHubClient
from app.adapters.external.kubernetes.client import KubernetesClient
from app.adapters.external.slack.client import SlackClient
from app.adapters.queue.in_process import InProcessQueue
from app.core.config import Settings
from app.core.enums import ActionKind, IncidentSource
from app.core.events.signals import SourceParser
from app.core.metrics import Metrics
from app.core.ports import Classifier, Embedder, LogSource, Queue
from app.core.rate_limit import AuthFailureLimiter
from app.domain.decisions.models import Thresholds
from app.domain.remediators.base import Remediator
from app.services.analyzer import Analyzer
from app.services.approvals import ApprovalService
from app.services.dashboard import DashboardQuery
from app.services.decision import DecisionService
from app.services.github_sweep import Reconciler
from app.services.health import HealthCheck
from app.services.incident_views import IncidentQuery
from app.services.ingest import IngestService
from app.services.interactions import InteractionService
from app.services.metrics import KpiQuery
from app.services.notifier import SlackNotifier
from app.services.pauses import PauseService
from app.services.pipeline import EventProcessor, PipelineStep
from app.services.reference_memory import ReferenceMemoryService
from app.services.remediation import RemediationService
from app.services.reports import Reporter
from app.services.runbooks import RunbookLibrary
from app.services.sweep import Sweeper, SweepTask
from app.services.verification import VerificationRecorder
from app.services.verification_sweep import StaleAttemptChecker, TargetHealthChecker
from app.services.worker import IncidentWorker


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
    reference_memory: ReferenceMemoryService
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
    pauses: PauseService  # the kill switch: CLI, API and Slack
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
