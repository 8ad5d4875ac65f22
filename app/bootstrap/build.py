"""``build_container``: the one function that puts the builders of the package together."""

from contextlib import ExitStack
from typing import Unpack

from anyio import CapacityLimiter

from app.bootstrap.analysis import build_analyzer, build_linker, build_reference_memory
from app.bootstrap.clients import open_clients
from app.bootstrap.container import Container, Overrides
from app.bootstrap.decisions import build_decisions
from app.bootstrap.infrastructure import build_metrics, open_database, open_queue
from app.bootstrap.registries import (
    allowed_actions,
    build_parsers,
    build_registry,
    load_secret_sources,
)
from app.bootstrap.services import build_auth_limiter, build_notifier, dependency_wait_policy
from app.core.config import Settings
from app.services.dashboard import DashboardQuery
from app.services.health import HealthCheck
from app.services.incident_views import IncidentQuery
from app.services.ingest import IngestService
from app.services.interactions import InteractionService
from app.services.metrics import KpiQuery
from app.services.pauses import PauseService
from app.services.pipeline import EventProcessor
from app.services.remediation import RemediationService
from app.services.runbooks import RunbookLibrary
from app.services.verification import VerificationRecorder


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
        linker = build_linker(settings, db, clients, remediators)
        steps = overrides.get("steps")
        processor = EventProcessor(
            db,
            [analyzer, linker, decider, remediation] if steps is None else steps,
            waits=dependency_wait_policy(settings),
            deadline_seconds=settings.worker.incident_deadline_seconds,
        )
        verifier = VerificationRecorder(decider.autonomy)
        parsers = overrides.get("parsers") or build_parsers(settings)
        pauses = PauseService(db)
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
            reference_memory=build_reference_memory(db, analyzer),
            notifier=build_notifier(settings, db, clients.slack),
            slack=clients.slack,
            kubernetes=clients.kubernetes,
            argocd=clients.argocd,
            github=clients.github,
            database_slots=CapacityLimiter(max(1, settings.database.pool_size)),
            auth_limiter=build_auth_limiter(settings),
            incident_views=IncidentQuery(db),
            kpis=KpiQuery(db, max_fixes_per_hour=settings.decision.max_fixes_per_hour),
            health=HealthCheck(db),
            dashboard=DashboardQuery(db, settings),
            runbooks=RunbookLibrary(),
            interactions=InteractionService(
                db,
                approvals,
                clients.slack,
                approver_group=settings.slack.approver_group,
                pauses=pauses,
            ),
            pauses=pauses,
            # Last: until here, a failure closes what was opened on leaving ``with``.
            resources=opened.pop_all(),
        )
