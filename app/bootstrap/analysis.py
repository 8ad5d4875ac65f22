"""The analysis step: log sources, the embedder and the classifier (NVIDIA NIM when
configured, the local embedder and the rules otherwise)."""

import functools
from collections.abc import Collection, Sequence
from contextlib import ExitStack
from datetime import timedelta

from app.adapters.ai.local.embedder import LocalEmbedder
from app.adapters.database.engine import Database
from app.adapters.external.http import ResilientClient
from app.bootstrap.clients import Clients, open_clients
from app.bootstrap.container import Overrides
from app.bootstrap.registries import (
    allowed_actions,
    build_log_sources,
    build_registry,
    load_secret_sources,
)
from app.bootstrap.resources import Lazy, config_path
from app.bootstrap.sources import SOURCES, Source
from app.core.analysis.excerpt import build_excerpt
from app.core.analysis.models import ClassifierVerdict, SimilarIncident
from app.core.config import Settings
from app.core.enums import ActionKind
from app.core.metrics import Metrics, NullMetrics
from app.core.ports import Classifier, Embedder
from app.core.settings_parts import NvidiaSettings
from app.domain.classification.fixability_guard import RuleFixabilityGuard
from app.domain.classification.reference_words import ReferenceWordsModel, RulesWithReferenceWords
from app.domain.classification.rule_classifier import RuleClassifier
from app.domain.scoring.confidence import ConfidenceWeights
from app.services.analyzer import Analyzer
from app.services.deployment_links import DeploymentLinker
from app.services.reference_memory import ReferenceMemoryService, load_shipped


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
    return LazyClassifier(lambda: _classifier(settings, nim, actions))


def _classifier(
    settings: Settings, nim: ResilientClient | None, actions: Collection[ActionKind]
) -> Classifier:
    rules = RuleClassifier.from_file(config_path(settings.analysis.patterns_file))
    offline = RulesWithReferenceWords(
        rules,
        reference_words_model,
        min_probability=settings.analysis.reference_words_min_probability,
    )
    if nim is None:
        return offline
    from app.adapters.ai.nvidia.classifier import NimClassifier  # only with a key

    return NimClassifier(
        nim,
        model=settings.nvidia.model,
        actions=actions,
        fallback=offline,
        guard=RuleFixabilityGuard(rules),
    )


@functools.cache
def reference_words_model() -> ReferenceWordsModel:
    """The words of the shipped reference memory's labelled failures, per category (built on
    the first excerpt no pattern names, once per process)."""
    return ReferenceWordsModel.train(
        (build_excerpt(entry.log).text, entry.category) for entry in load_shipped().entries
    )


class LazyClassifier(Lazy[Classifier]):
    """The configured classifier, built on the first classification."""

    @property
    def name(self) -> str:
        return self.target().name

    def classify(self, excerpt: str, similar: list[SimilarIncident]) -> ClassifierVerdict:
        return self.target().classify(excerpt, similar)


def build_analyzer(
    settings: Settings,
    db: Database | None,
    clients: Clients,
    actions: Collection[ActionKind],
    metrics: Metrics,
    overrides: Overrides,
    *,
    sources: Sequence[Source] = SOURCES,
) -> Analyzer:
    """The analysis step; ``actions``: what the classifier may propose; ``sources``: the table
    of webhook sources, whose added entries bring their log sources."""
    log_sources = overrides.get("log_sources") or build_log_sources(settings, clients, sources)
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


def build_linker(
    settings: Settings, db: Database, clients: Clients, actions: Collection[ActionKind]
) -> DeploymentLinker:
    """The step after the analysis that links a workload to its deploy and, when the deploy
    caused the failure, proposes undoing it as one of ``actions`` (the configured ones)."""
    return DeploymentLinker(
        db,
        kubernetes=clients.kubernetes,
        argocd=clients.argocd,
        window=timedelta(minutes=settings.decision.deploy_cause_window_minutes),
        actions=actions,
    )


def build_reference_memory(db: Database, analyzer: Analyzer) -> ReferenceMemoryService:
    """The reference memory, embedded by every embedder the analysis searches with."""
    embedders = [analyzer.embedder]
    if analyzer.fallback_embedder is not None:
        embedders.append(analyzer.fallback_embedder)
    return ReferenceMemoryService(db, embedders=embedders)


def build_offline_analyzer(settings: Settings, opened: ExitStack) -> Analyzer:
    """The analysis step without a database (`codehealer analyze --no-db`), proposing what the
    configured remediators could do; what it opens is closed with ``opened``."""
    clients = open_clients(settings, {}, opened)
    registry = build_registry(settings, clients, load_secret_sources(settings), opened)
    return build_analyzer(settings, None, clients, allowed_actions(registry), NullMetrics(), {})
