"""The webhook sources, one entry each: what parses a source's deliveries, the endpoint it is
served at and how its sender proves itself, and (for a source added to the built-in three)
its API client, where its logs are read and its own way of doing an action. The other
builders of the composition root read this table: adding a source is an entry here, not a
line in each of them.

Adapters are named "module:attribute" and imported when first built, so that the ingest path
of a Lambda's first webhook, which reads the parsers and the endpoints only, imports no client
and no remediator (cold start).

The built-in sources' clients, log sources and remediators are built in clients.py and
registries.py, since some of their remediators use two of them (a GitOps memory raise: Argo
CD's app and GitHub's pull requests)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from app.core.config import Settings
from app.core.enums import IncidentSource
from app.core.events.argocd import parse_argocd_delivery
from app.core.events.github import parse_github_delivery
from app.core.events.kubernetes import parse_kubernetes_delivery
from app.core.events.signals import SourceParser
from app.core.webhook_auth import SharedToken, WebhookSource


@dataclass(frozen=True)
class Source:
    """One webhook source as the composition root wires it."""

    name: str  # its endpoint, POST /webhooks/{name}, and the override key of its client
    source: IncidentSource
    parser: Callable[[Settings], SourceParser]
    # How its sender proves itself; None: a route of its own (GitHub's one-delivery answer).
    webhook: Callable[[Settings], WebhookSource] | None = None
    # "module:function": settings -> its API client, or None when it is not configured.
    client: str | None = None
    # "module:class": built with the client; where the analysis reads the source's logs.
    log_source: str | None = None
    # "module:class" each, built with the client: the source's own way of doing an action
    # (its class's ``action``), run for this source's incidents instead of the default one.
    remediators: tuple[str, ...] = ()


def load(reference: str) -> Any:
    """The attribute a "module:attribute" reference names, its module imported now."""
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)


def _argocd_endpoint(settings: Settings) -> WebhookSource:
    token = settings.argocd.webhook_token
    return WebhookSource(
        IncidentSource.ARGOCD, SharedToken("authorization", token, "ARGOCD_WEBHOOK_TOKEN")
    )


def _kubernetes_endpoint(settings: Settings) -> WebhookSource:
    token = settings.kubernetes.webhook_token
    return WebhookSource(
        IncidentSource.KUBERNETES, SharedToken("authorization", token, "K8S_WEBHOOK_TOKEN")
    )


def _kubernetes_parser(settings: Settings) -> SourceParser:
    return partial(parse_kubernetes_delivery, default_cluster=settings.kubernetes.cluster_name)


SOURCES: tuple[Source, ...] = (
    Source("github", IncidentSource.GITHUB, lambda _: parse_github_delivery),
    Source("argocd", IncidentSource.ARGOCD, lambda _: parse_argocd_delivery, _argocd_endpoint),
    Source("kubernetes", IncidentSource.KUBERNETES, _kubernetes_parser, _kubernetes_endpoint),
)


def added(sources: Sequence[Source]) -> list[Source]:
    """The sources that bring a client of their own (not the built-in three)."""
    return [source for source in sources if source.client is not None]
