"""The database, the work queue and the metrics sink, each from its part of the settings."""

from __future__ import annotations

from contextlib import ExitStack
from typing import TYPE_CHECKING

from app.adapters.database.engine import Database, create_db_engine
from app.adapters.metrics.emf import EmfMetrics
from app.adapters.queue.factory import build_queue
from app.adapters.queue.sqs import SqsQueue
from app.bootstrap.container import Overrides
from app.bootstrap.resources import owned
from app.core.config import Settings
from app.core.metrics import Metrics, NullMetrics
from app.core.ports import Queue
from app.core.settings_parts import AwsSettings, DatabaseSettings

if TYPE_CHECKING:
    from app.adapters.database.embedded import EmbeddedPostgres


def resolve_database(settings: DatabaseSettings) -> tuple[str, EmbeddedPostgres | None]:
    """DATABASE_URL when set; otherwise the embedded server in CODEHEALER_DATA_DIR."""
    if settings.url:
        return settings.url, None
    # Imported only without DATABASE_URL: Lambda always has one (cold start).
    from app.adapters.database.embedded import EmbeddedPostgres

    embedded = EmbeddedPostgres(settings.data_dir).start()
    return embedded.ensure_database(), embedded


def open_database(
    settings: DatabaseSettings, overrides: Overrides, opened: ExitStack
) -> tuple[str, Database]:
    """The database and its URL: a given ``db``, else DATABASE_URL (or the ``database_url``
    override), else the embedded server, started here and stopped with the container."""
    given = overrides.get("db")
    if given is not None:
        return overrides.get("database_url") or str(given.engine.url), given
    url = overrides.get("database_url")
    if url is None:
        url, embedded = resolve_database(settings)
        if embedded is not None:
            opened.callback(embedded.stop)
    db = Database(create_db_engine(url, settings))
    opened.callback(db.dispose)
    return url, db


def open_queue(settings: AwsSettings, opened: ExitStack) -> Queue:
    """SQS when QUEUE_URL is set (its client closed with the container), else in-process."""
    queue = build_queue(settings)
    return owned(opened, queue) if isinstance(queue, SqsQueue) else queue


def build_metrics(settings: Settings) -> Metrics:
    if settings.metrics_backend == "emf":
        return EmfMetrics(environment=settings.environment.value)
    return NullMetrics()
