"""One client per configured integration (GitHub, Kubernetes, Argo CD, Slack, NVIDIA NIM),
each built from its part of the settings unless the caller hands one in."""

from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from app.adapters.external.argocd.client import ArgoCDClient, build_argocd_client
from app.adapters.external.github.client import GitHubClient, build_github_client
from app.adapters.external.http import ResilientClient
from app.adapters.external.kubernetes.client import KubernetesClient, build_kubernetes_client
from app.adapters.external.slack.client import SlackClient, build_slack_client
from app.bootstrap.container import Overrides
from app.bootstrap.resources import owned
from app.bootstrap.sources import SOURCES, Source, added, load
from app.core.config import Settings, process_environment
from app.core.enums import IncidentSource
from app.core.settings_parts import NvidiaSettings


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
    # The clients of the sources added to the built-in three, by source: the configured ones.
    by_source: Mapping[IncidentSource, Any] = field(default_factory=dict)


def open_clients(
    settings: Settings,
    overrides: Overrides,
    opened: ExitStack,
    sources: Sequence[Source] = SOURCES,
) -> Clients:
    """The integrations' clients: those handed in as they are, the others built from their
    part of the settings and closed with the container."""
    github = overrides.get("github")
    if github is None and settings.github.can_act:
        github = owned(opened, build_github_client(settings.github))
    kubernetes = overrides.get("kubernetes")
    if kubernetes is None:
        built = build_kubernetes_client(settings.kubernetes, environ=process_environment())
        kubernetes = None if built is None else owned(opened, built)
    argocd = overrides.get("argocd")
    if argocd is None:
        built_argocd = build_argocd_client(settings.argocd)
        argocd = None if built_argocd is None else owned(opened, built_argocd)
    # slack-sdk opens a connection per call: nothing of Slack's stays open to close.
    slack = overrides["slack"] if "slack" in overrides else build_slack_client(settings.slack)
    needs_nim = not ("embedder" in overrides and "classifier" in overrides)
    nim, nim_embeddings = open_nim(settings.nvidia, opened) if needs_nim else (None, None)
    by_source = open_source_clients(settings, overrides, opened, sources)
    return Clients(github, kubernetes, argocd, slack, nim, nim_embeddings, by_source)


def open_source_clients(
    settings: Settings, overrides: Overrides, opened: ExitStack, sources: Sequence[Source]
) -> dict[IncidentSource, Any]:
    """The clients of the added sources: one handed in (``source_clients``, by the source's
    name) as it is; else built from the settings (None: not configured) and closed with the
    container when it can be closed."""
    given = overrides.get("source_clients", {})
    clients: dict[IncidentSource, Any] = {}
    for source in added(sources):
        client = given.get(source.name) or load(str(source.client))(settings)
        if client is None:
            continue
        if source.name not in given and hasattr(client, "close"):
            client = owned(opened, client)
        clients[source.source] = client
    return clients


def open_nim(
    settings: NvidiaSettings, opened: ExitStack
) -> tuple[ResilientClient | None, ResilientClient | None]:
    """The NVIDIA NIM clients for chat and for embeddings, each when NIM does that part (a key
    is set, or its server is self-hosted); one shared client when both go to the same server."""
    if not (settings.chat_enabled or settings.embeddings_enabled):
        return None, None
    from app.adapters.ai.nvidia.client import build_nim_http  # only when used (cold start)

    chat = owned(opened, build_nim_http(settings)) if settings.chat_enabled else None
    if not settings.embeddings_enabled:
        return chat, None
    if chat is not None and settings.embeddings_url == settings.base_url:
        return chat, chat
    return chat, owned(opened, build_nim_http(settings, base_url=settings.embeddings_url))
