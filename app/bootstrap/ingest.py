"""The ingest path, what a webhook runs: each source's parser (the ingest registry) and the
ingest service. Kept apart from the other registries so that a Lambda execution
environment's first webhook imports neither the remediators nor the clients (cold start)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from app.bootstrap.resources import Lazy
from app.core.config import Settings
from app.core.enums import IncidentSource
from app.core.events.argocd import parse_argocd_delivery
from app.core.events.github import parse_github_delivery
from app.core.events.kubernetes import parse_kubernetes_delivery
from app.core.events.signals import SourceParser
from app.core.webhook_auth import SharedToken, WebhookSource
from app.domain.verification import Observation
from app.services.ingest import IngestService, Recorder

if TYPE_CHECKING:
    from app.bootstrap.container import Container


def build_parsers(settings: Settings) -> dict[IncidentSource, SourceParser]:
    """The ingest registry: each webhook source's parser (app/core/events/signals.py)."""
    cluster = settings.kubernetes.cluster_name
    return {
        IncidentSource.GITHUB: parse_github_delivery,
        IncidentSource.ARGOCD: parse_argocd_delivery,
        IncidentSource.KUBERNETES: partial(parse_kubernetes_delivery, default_cluster=cluster),
    }


def build_webhook_sources(settings: Settings) -> dict[str, WebhookSource]:
    """The webhook endpoints served by ``POST /webhooks/{name}`` and how each sender proves
    itself. GitHub's route is its own (its dev-only unsigned mode, its one-delivery answer)."""
    return {
        "argocd": WebhookSource(
            IncidentSource.ARGOCD,
            SharedToken("authorization", settings.argocd.webhook_token, "ARGOCD_WEBHOOK_TOKEN"),
        ),
        "kubernetes": WebhookSource(
            IncidentSource.KUBERNETES,
            SharedToken("authorization", settings.kubernetes.webhook_token, "K8S_WEBHOOK_TOKEN"),
        ),
    }


class RecorderOnFirstUse(Lazy[Recorder]):
    """The verification recorder, built when a delivery first reports an outcome (a later
    run attempt, a resolved alert): a failure's delivery does not need it."""

    def record(self, session: Any, observation: Observation) -> int | None:
        return self.target().record(session, observation)


def build_ingest(container: Container) -> IngestService:
    """The ingest service over the container's database and queue."""
    parsers = container.overrides.get("parsers") or build_parsers(container.settings)
    return IngestService(
        container.db,
        container.queue,
        parsers,
        RecorderOnFirstUse(lambda: container.verifier),
        metrics=container.metrics,
    )
