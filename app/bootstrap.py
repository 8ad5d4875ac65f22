"""The composition root: the one place that builds the engine, clients, registries and services.

``build_container(settings, **overrides)`` is used by the FastAPI app, the CLI, the Lambda
handlers and the tests; tests pass fakes or test doubles as overrides.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from app.adapters.database.embedded import EmbeddedPostgres
from app.adapters.database.engine import Database, create_db_engine
from app.adapters.database.migrate import current_revision, head_revision
from app.adapters.queue.in_process import InProcessQueue
from app.core.config import Settings
from app.core.enums import IncidentSource
from app.core.events.github import parse_github_event
from app.core.ports import Queue
from app.services.ingest import EventParser, IngestService
from app.services.pipeline import EventProcessor, PipelineStep
from app.services.sweep import Sweeper
from app.services.worker import IncidentWorker

log = logging.getLogger(__name__)

KNOWN_OVERRIDES = frozenset({"database_url", "db", "queue", "steps", "parsers"})


@dataclass
class Container:
    settings: Settings
    database_url: str
    db: Database
    queue: Queue
    ingest: IngestService
    processor: EventProcessor
    embedded: EmbeddedPostgres | None = None
    closers: list[Callable[[], None]] = field(default_factory=list)

    def new_worker(self, worker_id: str | None = None) -> IncidentWorker:
        s = self.settings
        return IncidentWorker(
            self.db,
            self.processor,
            batch_size=s.worker_batch_size,
            poll_seconds=s.worker_poll_seconds,
            claim_timeout=timedelta(seconds=s.worker_claim_timeout_seconds),
            wakeup=self.queue if isinstance(self.queue, InProcessQueue) else None,
            worker_id=worker_id,
        )

    def new_sweeper(self) -> Sweeper:
        return Sweeper(worker=self.new_worker(worker_id="sweep"))

    def readiness(self) -> dict[str, Any]:
        try:
            with self.db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            current = current_revision(self.db.engine)
        except Exception as exc:  # readiness reports, it does not raise
            log.warning("readiness: database unreachable: %s", type(exc).__name__)
            return {"ready": False, "database": "unreachable"}
        head = head_revision()
        return {"ready": current == head, "database": "ok", "schema": current, "head": head}

    def close(self) -> None:
        for close in reversed(self.closers):
            close()
        self.closers.clear()
        self.db.dispose()
        if self.embedded is not None:
            self.embedded.stop()
            self.embedded = None


def resolve_database(settings: Settings) -> tuple[str, EmbeddedPostgres | None]:
    """DATABASE_URL when set; otherwise the embedded server in CODEHEALER_DATA_DIR."""
    if settings.database_url:
        return settings.database_url, None
    embedded = EmbeddedPostgres(settings.data_dir).start()
    return embedded.ensure_database(), embedded


def build_parsers() -> dict[IncidentSource, EventParser]:
    return {IncidentSource.GITHUB: parse_github_event}


def build_steps(settings: Settings, db: Database) -> list[PipelineStep]:
    """The processing pipeline, in order. Later stages are added here."""
    return []


def build_container(settings: Settings, **overrides: Any) -> Container:
    unknown = set(overrides) - KNOWN_OVERRIDES
    if unknown:
        raise TypeError(f"unknown overrides: {sorted(unknown)}")
    embedded = None
    database_url = overrides.get("database_url")
    if database_url is None and "db" not in overrides:
        database_url, embedded = resolve_database(settings)
    db = overrides.get("db") or Database(create_db_engine(database_url, settings))
    queue = overrides.get("queue") or InProcessQueue()
    steps = overrides.get("steps")
    processor = EventProcessor(db, build_steps(settings, db) if steps is None else steps)
    ingest = IngestService(db, queue, overrides.get("parsers") or build_parsers())
    return Container(
        settings=settings,
        database_url=database_url or str(db.engine.url),
        db=db,
        queue=queue,
        ingest=ingest,
        processor=processor,
        embedded=embedded,
    )
