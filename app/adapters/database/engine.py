"""Engine and session factory built from settings (never at import time)."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ResourceClosedError
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from app.adapters.database.lenient import register_lenient_loaders
from app.adapters.database.vectors import register_binary_vectors
from app.core.settings_parts import DatabaseSettings


def sqlalchemy_url(url: str) -> str:
    """Normalize any postgres URL to the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def create_db_engine(url: str, settings: DatabaseSettings) -> Engine:
    """One engine per process. On Lambda (or behind RDS Proxy) connections are not pooled."""
    connect_args: dict = {"connect_timeout": 10}
    if settings.proxy:
        # RDS Proxy pins a connection that has prepared statements; keep them off.
        connect_args["prepare_threshold"] = None
    kwargs: dict = {"pool_pre_ping": True, "connect_args": connect_args}
    if settings.null_pool or settings.proxy:
        kwargs["poolclass"] = NullPool
    else:
        kwargs.update(pool_size=settings.pool_size, max_overflow=settings.pool_size)
    engine = create_engine(sqlalchemy_url(url), **kwargs)
    event.listen(engine, "connect", _prepare_connection)
    return engine


def _prepare_connection(dbapi_connection, _record) -> None:
    register_binary_vectors(dbapi_connection.adapters)
    register_lenient_loaders(dbapi_connection.adapters)


def first_row(connection: Connection, sql: str, params: Mapping[str, Any]) -> tuple | None:
    """Run one statement on the psycopg connection under ``connection`` and return its first
    row (a tuple). For statements on the webhook's request path: SQLAlchemy's execution
    layer around a driver call costs more than the call itself.

    A driver error goes through the handler SQLAlchemy runs for its own statements, so the
    caller sees what ``exec_driver_sql`` would raise: the error wrapped in SQLAlchemy's tree
    (OperationalError is answered 503), ``handle_error`` events fired and, when the
    connection was lost, this connection and the pool's older ones invalidated, so that the
    next checkout connects afresh. That handler is private API; a test pins the behaviour.
    """
    driver = connection.connection.driver_connection
    if driver is None:  # only an invalidated connection has none; a checked-out one has one
        raise ResourceClosedError("the connection was invalidated")
    try:
        with driver.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    except Exception as exc:
        connection._handle_dbapi_exception(exc, sql, params, None, None)


class Database:
    """Owns the engine; hands out short sessions with commit-or-rollback."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def autocommit(self) -> Iterator[Connection]:
        """A pooled connection on which every statement commits by itself: for work that is
        one statement, it saves BEGIN and COMMIT (two round trips)."""
        with self.engine.connect() as connection:
            yield connection.execution_options(isolation_level="AUTOCOMMIT")

    def dispose(self) -> None:
        self.engine.dispose()
