"""Statements sent on the driver connection (``first_row``) fail the way SQLAlchemy's own do."""

import pytest
from sqlalchemy.exc import DataError, OperationalError

from app.adapters.database.engine import Database, create_db_engine, first_row
from tests.conftest import make_settings

KILL_OWN_BACKEND = "SELECT pg_terminate_backend(pg_backend_pid())"


@pytest.fixture
def small_pool(database_url):
    """A pool of its own: these tests lose connections on purpose."""
    db = Database(create_db_engine(database_url, make_settings(database_url, db_pool_size=2).database))
    yield db
    db.dispose()


def backend_pid(db: Database) -> int:
    with db.autocommit() as connection:
        return first_row(connection, "SELECT pg_backend_pid()", {})[0]


def test_first_row_returns_the_first_row_as_a_tuple(small_pool):
    with small_pool.autocommit() as connection:
        row = first_row(connection, "SELECT %(a)s::int, %(b)s::text", {"a": 7, "b": "x"})
    assert row == (7, "x")


def test_first_row_returns_none_when_the_statement_returns_no_row(small_pool):
    with small_pool.autocommit() as connection:
        assert first_row(connection, "SELECT 1 WHERE false", {}) is None


def test_a_connection_lost_during_the_statement_raises_sqlalchemy_operational_error(small_pool):
    with pytest.raises(OperationalError) as raised, small_pool.autocommit() as connection:
        first_row(connection, KILL_OWN_BACKEND, {})
    assert raised.value.connection_invalidated


def test_a_connection_lost_during_the_statement_makes_the_pool_connect_afresh(small_pool):
    # Two connections in the pool; one of them is lost, the other is still alive.
    with small_pool.autocommit() as first, small_pool.autocommit() as second:
        pooled = {first_row(c, "SELECT pg_backend_pid()", {})[0] for c in (first, second)}
    with pytest.raises(OperationalError), small_pool.autocommit() as connection:
        first_row(connection, KILL_OWN_BACKEND, {})
    # The survivor is older than the loss (a failover takes every connection of its
    # generation): it is discarded too, not handed out again.
    assert backend_pid(small_pool) not in pooled
    assert backend_pid(small_pool) not in pooled


def test_a_statement_error_inside_a_transaction_is_raised_as_sqlalchemys_error(small_pool):
    with pytest.raises(DataError) as raised, small_pool.session() as session:
        first_row(session.connection(), "SELECT 1/0", {})
    assert "division by zero" in str(raised.value)
