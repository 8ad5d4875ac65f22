"""The ingest path, what a webhook runs: each source's parser (the ingest registry, read from
the table of sources in sources.py) and the ingest service. Kept apart from the other
registries so that a Lambda execution environment's first webhook imports neither the
remediators nor the clients (cold start)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from app.bootstrap.resources import Lazy
from app.bootstrap.sources import SOURCES, Source
from app.core.config import Settings
from app.core.enums import IncidentSource
from app.core.events.signals import SourceParser
from app.core.webhook_auth import WebhookSource
from app.domain.verification import Observation
from app.services.ingest import IngestService, Recorder

if TYPE_CHECKING:
    from app.bootstrap.container import Container


def build_parsers(
    settings: Settings, sources: Sequence[Source] = SOURCES
) -> dict[IncidentSource, SourceParser]:
    """The ingest registry: each webhook source's parser (app/core/events/signals.py)."""
    return {source.source: source.parser(settings) for source in sources}


def build_webhook_sources(
    settings: Settings, sources: Sequence[Source] = SOURCES
) -> dict[str, WebhookSource]:
    """The webhook endpoints served by ``POST /webhooks/{name}`` and how each sender proves
    itself. GitHub's route is its own (its dev-only unsigned mode, its one-delivery answer)."""
    return {
        source.name: source.webhook(settings) for source in sources if source.webhook is not None
    }


class RecorderOnFirstUse(Lazy[Recorder]):
    """The verification recorder, built when a delivery first reports an outcome (a later
    run attempt, a resolved alert): a failure's delivery does not need it."""

    def record(self, session: Any, observation: Observation) -> int | None:
        return self.target().record(session, observation)


def build_ingest(container: Container) -> IngestService:
    """The ingest service over the container's database and queue."""
    parsers = container.overrides.get("parsers") or build_parsers(
        container.settings, container.sources
    )
    return IngestService(
        container.db,
        container.queue,
        parsers,
        RecorderOnFirstUse(lambda: container.verifier),
        metrics=container.metrics,
    )
