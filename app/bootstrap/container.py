"""The container: what ``build_container`` opened, the parts built from it on first use, the
long-running parts it makes on demand (worker, sweeper, reporter), and closing what it opened.

Each part imports what it builds when it is first read, not when this module is imported: a
Lambda execution environment's first webhook loads the ingest path only, not the clients,
the analysis, the decision rules or the read models (cold start, docs/benchmarks.md).
Reading ``build_all()`` builds every part at once (a SnapStart snapshot, a server's start).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, TypedDict

from app.bootstrap.resources import built_on_first_use

if TYPE_CHECKING:
    from anyio import CapacityLimiter

    from app.adapters.database.engine import Database
    from app.adapters.external.argocd.client import ArgoCDClient
    from app.adapters.external.github.client import GitHubClient
    from app.adapters.external.kubernetes.client import KubernetesClient
    from app.adapters.external.slack.client import SlackClient
    from app.bootstrap.clients import Clients
    from app.bootstrap.registries import SourceRemediators
    from app.bootstrap.sources import Source
    from app.core.config import Settings
    from app.core.enums import ActionKind, IncidentSource
    from app.core.events.signals import SourceParser
    from app.core.metrics import Metrics
    from app.core.ports import Classifier, Embedder, LogSource, Queue
    from app.core.rate_limit import AuthFailureLimiter
    from app.core.webhook_auth import WebhookSource
    from app.domain.decisions.models import Thresholds
    from app.domain.remediators.base import Remediator
    from app.domain.remediators.refresh_secret import SecretSource
    from app.services.analyzer import Analyzer
    from app.services.approvals import ApprovalService
    from app.services.dashboard import DashboardQuery
    from app.services.decision import DecisionService
    from app.services.deployment_links import DeploymentLinker
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
    from app.services.sweep import Sweeper
    from app.services.verification import VerificationRecorder
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
    webhook_sources: dict[str, WebhookSource]
    sources: Sequence[Source]  # the table of webhook sources (app/bootstrap/sources.py)
    source_clients: dict[str, object]  # an added source's client, by the source's name


@dataclass
class Container:
    settings: Settings
    database_url: str
    db: Database
    queue: Queue
    metrics: Metrics
    # Threads doing a webhook's database work at once: as many as the pool keeps connections,
    # so a burst queues here instead of opening (and closing again) overflow connections.
    database_slots: CapacityLimiter
    # Failed key checks per client address (X-API-Key, dashboard sign-in, HTTP Basic).
    auth_limiter: AuthFailureLimiter
    # What the caller handed in instead of what the settings describe (never closed here).
    overrides: Overrides = field(default_factory=lambda: Overrides())
    # What the container opened (clients, the engine, the embedded server), closed by close().
    resources: ExitStack = field(default_factory=ExitStack)
    building: threading.RLock = field(default_factory=threading.RLock, repr=False)
    closed: bool = False

    # --- the integrations' clients (None where not configured) ---------------------------
    @built_on_first_use
    def clients(self) -> Clients:
        from app.bootstrap.clients import open_clients

        return open_clients(self.settings, self.overrides, self.resources, self.sources)

    @property
    def github(self) -> GitHubClient | None:
        return self.clients.github

    @property
    def slack(self) -> SlackClient | None:
        return self.clients.slack

    @property
    def kubernetes(self) -> KubernetesClient | None:
        return self.clients.kubernetes

    @property
    def argocd(self) -> ArgoCDClient | None:
        return self.clients.argocd

    # --- ingest: the webhook path --------------------------------------------------------
    @property
    def sources(self) -> Sequence[Source]:
        """The webhook sources: each one's parser, endpoint, client, log source, remediators."""
        given = self.overrides.get("sources")
        if given is not None:
            return given
        from app.bootstrap.sources import SOURCES

        return SOURCES

    @built_on_first_use
    def ingest(self) -> IngestService:
        from app.bootstrap.ingest import build_ingest

        return build_ingest(self)

    @property
    def webhook_sources(self) -> dict[str, WebhookSource]:
        """The webhook endpoints by name and how each sender is verified. Read from the
        settings on every delivery (two small objects), so a token set on the settings
        later, as a test does, applies."""
        given = self.overrides.get("webhook_sources")
        if given is not None:
            return given
        from app.bootstrap.ingest import build_webhook_sources

        return build_webhook_sources(self.settings, self.sources)

    @built_on_first_use
    def verifier(self) -> VerificationRecorder:
        from app.services.verification import VerificationRecorder

        return VerificationRecorder(self.decider.autonomy)

    # --- the pipeline: analysis, decision, remediation -----------------------------------
    @built_on_first_use
    def secret_sources(self) -> list[SecretSource]:
        from app.bootstrap.registries import load_secret_sources

        return load_secret_sources(self.settings)

    @built_on_first_use
    def remediators(self) -> dict[ActionKind, Remediator]:
        from app.bootstrap.registries import build_registry

        given = self.overrides.get("remediators")
        if given is not None:
            return given
        return build_registry(self.settings, self.clients, self.secret_sources, self.resources)

    @built_on_first_use
    def source_remediators(self) -> SourceRemediators:
        """The added sources' own ways of doing an action, by (source, action)."""
        from app.bootstrap.registries import build_source_remediators

        return build_source_remediators(self.clients, self.sources)

    @built_on_first_use
    def analyzer(self) -> Analyzer:
        from app.bootstrap.analysis import build_analyzer
        from app.bootstrap.registries import allowed_actions

        own_ways = (action for _, action in self.source_remediators)
        actions = allowed_actions(self.remediators, own_ways)
        return build_analyzer(
            self.settings,
            self.db,
            self.clients,
            actions,
            self.metrics,
            self.overrides,
            sources=self.sources,
        )

    @built_on_first_use
    def linker(self) -> DeploymentLinker:
        from app.bootstrap.analysis import build_linker

        return build_linker(self.settings, self.db, self.clients, self.remediators)

    @built_on_first_use
    def decisions(self) -> tuple[DecisionService, ApprovalService]:
        from app.bootstrap.decisions import build_decisions

        return build_decisions(
            self.settings, self.db, self.queue, self.secret_sources, self.metrics, self.overrides
        )

    @property
    def decider(self) -> DecisionService:
        return self.decisions[0]

    @property
    def approvals(self) -> ApprovalService:
        return self.decisions[1]

    @built_on_first_use
    def reference_memory(self) -> ReferenceMemoryService:
        from app.bootstrap.analysis import build_reference_memory

        return build_reference_memory(self.db, self.analyzer)

    @built_on_first_use
    def remediation(self) -> RemediationService:
        from app.services.remediation import RemediationService

        return RemediationService(
            self.db, self.remediators, by_source=self.source_remediators, metrics=self.metrics
        )

    @built_on_first_use
    def processor(self) -> EventProcessor:
        from app.bootstrap.services import build_processor

        return build_processor(self)

    @built_on_first_use
    def notifier(self) -> SlackNotifier:
        from app.bootstrap.services import build_notifier

        return build_notifier(self.settings, self.db, self.slack)

    # --- what the routers call (app/api): read models, health, Slack clicks --------------
    @built_on_first_use
    def incident_views(self) -> IncidentQuery:
        from app.services.incident_views import IncidentQuery

        return IncidentQuery(self.db)

    @built_on_first_use
    def kpis(self) -> KpiQuery:
        from app.services.metrics import KpiQuery

        return KpiQuery(self.db, max_fixes_per_hour=self.settings.decision.max_fixes_per_hour)

    @built_on_first_use
    def health(self) -> HealthCheck:
        from app.services.health import HealthCheck

        return HealthCheck(self.db)

    @built_on_first_use
    def dashboard(self) -> DashboardQuery:
        from app.services.dashboard import DashboardQuery

        return DashboardQuery(self.db, self.settings)

    @built_on_first_use
    def runbooks(self) -> RunbookLibrary:
        from app.services.runbooks import RunbookLibrary

        return RunbookLibrary()

    @built_on_first_use
    def interactions(self) -> InteractionService:
        from app.services.interactions import InteractionService

        approver_group = self.settings.slack.approver_group
        return InteractionService(
            self.db, self.approvals, self.slack, approver_group=approver_group, pauses=self.pauses
        )

    @built_on_first_use
    def pauses(self) -> PauseService:
        """The kill switch: CLI, API and Slack."""
        from app.services.pauses import PauseService

        return PauseService(self.db)

    def build_all(self) -> None:
        """Build every part now (a SnapStart snapshot, a long-running server or worker): a
        part that cannot be built fails here, and no request pays for building one.

        Raises:
            ConfigurationError: a part's file or setting is wrong (a rules file missing or
                not valid), named with the part.
        """
        from yaml import YAMLError

        from app.core.errors import ConfigurationError

        for name, member in vars(type(self)).items():
            if not isinstance(member, built_on_first_use):
                continue
            try:
                getattr(self, name)
            except (OSError, ValueError, YAMLError) as exc:  # a file unreadable or invalid
                raise ConfigurationError(f"cannot build {name}: {exc}") from exc

    # --- made on demand ------------------------------------------------------------------
    def new_worker(self, worker_id: str | None = None) -> IncidentWorker:
        from app.adapters.queue.in_process import InProcessQueue
        from app.services.worker import IncidentWorker

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
        from app.services.github_sweep import Reconciler
        from app.services.sweep import Sweeper, SweepTask
        from app.services.verification_sweep import StaleAttemptChecker, TargetHealthChecker

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
        from app.services.reports import Reporter

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
        self.closed = True
        self.resources.close()

    def __enter__(self) -> Container:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
