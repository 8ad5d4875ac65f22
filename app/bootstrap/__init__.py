"""The composition root: the one place that builds the engine, clients, registries and services.

``build_container(settings, **overrides)`` is used by the FastAPI app, the CLI, the Lambda
handlers and the tests; tests hand in what they own through the typed ``Overrides``. It opens
the database and the queue; every other part of the container is built when first read, by
small builders, each from its part of the settings, one module per concern:

    container.py       Container (and Overrides): its parts, each built on first use
                       (build_all() builds them all), new_worker/new_sweeper/new_reporter,
                       close() of what it opened
    build.py           build_container: the database, the queue, the metrics sink
    infrastructure.py  the database (or the embedded server), the queue, the metrics sink
    sources.py         the table of webhook sources, one entry each: parser, endpoint and
                       sender check, and an added source's client, log source, remediators
    ingest.py          the webhook path: each source's parser (the ingest registry), ingest
    clients.py         one client per integration: GitHub, Kubernetes, Argo CD, Slack, NIM
    registries.py      the registries keyed by enum: log sources, remediators
    analysis.py        the analysis step: embedder, classifier, analyzer
    decisions.py       the decision step and approvals: strategies, rules, budget, autonomy
    services.py        the other services: the event processor, the notifier
    resources.py       closing what the container opens, building on first use, config paths

A new part is a builder in the module of its concern and a ``@built_on_first_use`` method of
``Container`` that imports the builder and calls it. The container closes every client it
opened: ``with build_container(settings) as container:``.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.bootstrap.analysis import (
        build_analyzer,
        build_classifier,
        build_embedder,
        build_offline_analyzer,
    )
    from app.bootstrap.build import build_auth_limiter, build_container
    from app.bootstrap.clients import Clients, open_clients, open_nim
    from app.bootstrap.container import Container, Overrides
    from app.bootstrap.decisions import (
        build_autonomy,
        build_decision_engine,
        build_decisions,
        hourly_budget,
        settings_thresholds,
    )
    from app.bootstrap.infrastructure import (
        build_metrics,
        open_database,
        open_queue,
        resolve_database,
    )
    from app.bootstrap.ingest import build_parsers, build_webhook_sources
    from app.bootstrap.registries import (
        REMEDIATOR_CLASSES,
        action_risks,
        allowed_actions,
        build_green_run,
        build_log_sources,
        build_registry,
        build_remediators,
        build_secret_stores,
        load_rules_config,
        load_secret_sources,
    )
    from app.bootstrap.resources import APP_ROOT, config_path
    from app.bootstrap.services import build_notifier, build_processor, dependency_wait_policy

# Where each public name lives. A name is imported from its module when first read (PEP 562),
# so that reading one part (the Container for an annotation, build_container on Lambda) does
# not import every builder and what it builds (cold start, docs/benchmarks.md).
_MODULES: dict[str, tuple[str, ...]] = {
    "analysis": ("build_analyzer", "build_classifier", "build_embedder", "build_offline_analyzer"),
    "build": ("build_auth_limiter", "build_container"),
    "clients": ("Clients", "open_clients", "open_nim"),
    "container": ("Container", "Overrides"),
    "decisions": (
        "build_autonomy",
        "build_decision_engine",
        "build_decisions",
        "hourly_budget",
        "settings_thresholds",
    ),
    "infrastructure": ("build_metrics", "open_database", "open_queue", "resolve_database"),
    "ingest": ("build_parsers", "build_webhook_sources"),
    "registries": (
        "REMEDIATOR_CLASSES",
        "action_risks",
        "allowed_actions",
        "build_green_run",
        "build_log_sources",
        "build_registry",
        "build_remediators",
        "build_secret_stores",
        "load_rules_config",
        "load_secret_sources",
    ),
    "resources": ("APP_ROOT", "config_path"),
    "services": ("build_notifier", "build_processor", "dependency_wait_policy"),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}

# The same names, written out for the tools that read __all__ (a test holds them equal).
__all__ = [
    "APP_ROOT",
    "Clients",
    "Container",
    "Overrides",
    "REMEDIATOR_CLASSES",
    "action_risks",
    "allowed_actions",
    "build_analyzer",
    "build_auth_limiter",
    "build_autonomy",
    "build_classifier",
    "build_container",
    "build_decision_engine",
    "build_decisions",
    "build_embedder",
    "build_green_run",
    "build_log_sources",
    "build_metrics",
    "build_notifier",
    "build_offline_analyzer",
    "build_parsers",
    "build_processor",
    "build_registry",
    "build_remediators",
    "build_secret_stores",
    "build_webhook_sources",
    "config_path",
    "dependency_wait_policy",
    "hourly_budget",
    "load_rules_config",
    "load_secret_sources",
    "open_clients",
    "open_database",
    "open_nim",
    "open_queue",
    "resolve_database",
    "settings_thresholds",
]


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
