"""The composition root: the one place that builds the engine, clients, registries and services.

``build_container(settings, **overrides)`` is used by the FastAPI app, the CLI, the Lambda
handlers and the tests; tests hand in what they own through the typed ``Overrides``. It is
made of small builders, each from its part of the settings, one module per concern:

    container.py       Container (and Overrides): what was built, new_worker/new_sweeper/
                       new_reporter, close() of what it opened
    infrastructure.py  the database (or the embedded server), the queue, the metrics sink
    clients.py         one client per integration: GitHub, Kubernetes, Argo CD, Slack, NIM
    registries.py      the registries keyed by enum: parsers, log sources, remediators
    analysis.py        the analysis step: embedder, classifier, analyzer
    decisions.py       the decision step and approvals: strategies, rules, budget, autonomy
    services.py        the other services: event processor's waits, notifier, auth limiter
    build.py           build_container, putting them together
    resources.py       closing what the container opens, building on first use, config paths

The container closes every client it opened: ``with build_container(settings) as container:``.
"""

from app.bootstrap.analysis import (
    build_analyzer,
    build_classifier,
    build_embedder,
    build_offline_analyzer,
)
from app.bootstrap.build import build_container
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
from app.bootstrap.registries import (
    REMEDIATOR_CLASSES,
    action_risks,
    allowed_actions,
    build_green_run,
    build_log_sources,
    build_parsers,
    build_registry,
    build_remediators,
    build_secret_stores,
    load_rules_config,
    load_secret_sources,
)
from app.bootstrap.resources import APP_ROOT, config_path
from app.bootstrap.services import build_notifier, dependency_wait_policy

__all__ = [
    "APP_ROOT",
    "REMEDIATOR_CLASSES",
    "Clients",
    "Container",
    "Overrides",
    "action_risks",
    "allowed_actions",
    "build_analyzer",
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
    "build_registry",
    "build_remediators",
    "build_secret_stores",
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
