"""``build_container``: opens what everything else is built on (the database, the queue, the
metrics sink); the container builds each other part on first use."""

from contextlib import ExitStack
from typing import Unpack

from anyio import CapacityLimiter

from app.bootstrap.container import Container, Overrides
from app.bootstrap.infrastructure import build_metrics, open_database, open_queue
from app.core.config import Settings
from app.core.rate_limit import AuthFailureLimiter


def build_container(settings: Settings, **overrides: Unpack[Overrides]) -> Container:
    """Everything the service runs on, built from ``settings``. What it opens is closed by
    ``Container.close()`` (or on leaving ``with``), and at once when building fails."""
    unknown = set(overrides) - Overrides.__optional_keys__
    if unknown:
        raise TypeError(f"unknown overrides: {sorted(unknown)}")
    with ExitStack() as opened:
        database_url, db = open_database(settings.database, overrides, opened)
        queue = overrides.get("queue") or open_queue(settings.aws, opened)
        return Container(
            settings=settings,
            database_url=database_url,
            db=db,
            queue=queue,
            metrics=overrides.get("metrics") or build_metrics(settings),
            database_slots=CapacityLimiter(max(1, settings.database.pool_size)),
            auth_limiter=build_auth_limiter(settings),
            overrides=overrides,
            # Last: until here, a failure closes what was opened on leaving ``with``.
            resources=opened.pop_all(),
        )


def build_auth_limiter(settings: Settings) -> AuthFailureLimiter:
    server = settings.server
    return AuthFailureLimiter(
        max_failures=server.auth_failure_limit,
        window_seconds=server.auth_failure_window_seconds,
        max_clients=server.auth_failure_max_clients,
    )
