"""Shared fixtures: one real PostgreSQL + pgvector per test run, a fresh database, clean tables.

With DATABASE_URL set the tests create their own database on that server; otherwise they start
the embedded server in a temporary folder and delete it at the end.
"""

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from app.adapters.database import tables  # noqa: F401  (registers the tables)
from app.adapters.database.embedded import EmbeddedPostgres, create_database, drop_database
from app.adapters.database.migrate import upgrade
from app.bootstrap import Container, build_container
from app.core.config import Settings

FIXTURES = Path(__file__).parent / "fixtures"
WEBHOOK_SECRET = "test-webhook-secret"


def fixture_bytes(relative: str) -> bytes:
    return (FIXTURES / relative).read_bytes()


def with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A server URL whose database we may connect to in order to create others."""
    external = os.environ.get("DATABASE_URL")
    if external:
        yield external
        return
    # Under a temporary folder: as root, the embedded server loosens permissions on parents.
    folder = Path(tempfile.mkdtemp(prefix="codehealer-test-pg-"))
    server = EmbeddedPostgres(folder, delete_on_exit=True).start()
    try:
        yield server.server_url()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def new_database(pg_server_url: str):
    """Factory: create an empty database on the test server; all are dropped at the end."""
    created: list[str] = []

    def make(prefix: str = "codehealer_test") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        create_database(pg_server_url, name)
        created.append(name)
        return with_database(pg_server_url, name)

    yield make
    for name in created:
        drop_database(pg_server_url, name)


@pytest.fixture(scope="session")
def database_url(new_database) -> str:
    url = new_database()
    upgrade(url)
    return url


def make_settings(database_url: str | None = None, **overrides) -> Settings:
    values = {
        "database_url": database_url,
        "environment": "dev",
        "github_webhook_secret": WEBHOOK_SECRET,
        "github_token": None,
        "github_app_id": None,
        "github_app_private_key": None,
        "api_key": None,
        "nvidia_api_key": None,
        "dry_run": None,
        "worker_poll_seconds": 0.05,
        "log_format": "text",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def container(settings: Settings, database_url: str) -> Iterator[Container]:
    built = build_container(settings, database_url=database_url)
    try:
        yield built
    finally:
        _truncate(built)
        built.close()


def _truncate(container: Container) -> None:
    names = ", ".join(t.name for t in SQLModel.metadata.sorted_tables)
    with container.db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def client(container: Container):
    from fastapi.testclient import TestClient

    from app.main import create_app

    with TestClient(create_app(container), raise_server_exceptions=False) as test_client:
        yield test_client
