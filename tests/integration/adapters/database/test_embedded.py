"""The embedded PostgreSQL after a crash, and as root: a server nobody stops any more is stopped
on the next start, a postmaster.pid that names no server of this folder is cleared, and the
data folder's parents keep their permissions."""

import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from app.adapters.database.embedded import EmbeddedPostgres
from tests.support.processes import alive, stopped_within

STARTS_AND_WAITS = """
import sys, time
from pathlib import Path
from app.adapters.database.embedded import EmbeddedPostgres
EmbeddedPostgres(Path(sys.argv[1])).start()
print("up", flush=True)
time.sleep(600)
"""


@pytest.fixture
def folder() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="codehealer-embedded-"))
    path.chmod(0o711)  # other users may pass, as through /srv or /home: no dedicated folder
    yield path
    for pid_file in path.rglob("postmaster.pid"):  # leave no server behind, whatever happened
        pid = int(pid_file.read_text().split()[0] or 0)
        if pid and alive(pid):
            os.kill(pid, signal.SIGQUIT)
    shutil.rmtree(path, ignore_errors=True)


def postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "pgdata" / "postmaster.pid").read_text().split()[0])


def answers(server: EmbeddedPostgres) -> bool:
    with psycopg.connect(server.server_url(), connect_timeout=5) as conn:
        return conn.execute("SELECT 1").fetchone() == (1,)


def stop_and_check(server: EmbeddedPostgres, data_dir: Path) -> None:
    pid = postmaster_pid(data_dir)
    server.stop()
    assert not (data_dir / "pgdata" / "postmaster.pid").exists()
    assert stopped_within(pid, 10)


def initialised(data_dir: Path) -> str:
    """Start and stop a server once; return the postmaster.pid it wrote while it ran."""
    server = EmbeddedPostgres(data_dir).start()
    content = (data_dir / "pgdata" / "postmaster.pid").read_text()
    server.stop()
    return content


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_server_left_running_by_a_killed_process_is_stopped_on_the_next_start(folder):
    data_dir = folder / "data"
    crashed = subprocess.Popen(
        [sys.executable, "-c", STARTS_AND_WAITS, str(data_dir)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert crashed.stdout.readline().strip() == "up"
    finally:
        crashed.kill()  # SIGKILL: nothing of the process's own cleanup runs
        crashed.wait(10)
    leftover = postmaster_pid(data_dir)
    assert alive(leftover)

    server = EmbeddedPostgres(data_dir).start()
    assert stopped_within(leftover, 10), "the leftover server is still running"
    assert answers(server)
    stop_and_check(server, data_dir)


def test_a_postmaster_pid_naming_a_live_process_that_is_no_server_is_cleared(folder):
    data_dir = folder / "data"
    lines = initialised(data_dir).splitlines()
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        lines[0] = str(bystander.pid)
        (data_dir / "pgdata" / "postmaster.pid").write_text("\n".join(lines) + "\n")
        server = EmbeddedPostgres(data_dir).start()
        assert answers(server)
        assert bystander.poll() is None, "a process that is no server was stopped"
        stop_and_check(server, data_dir)
    finally:
        bystander.kill()
        bystander.wait(5)


def test_a_postmaster_pid_cut_short_by_a_crash_is_cleared(folder):
    data_dir = folder / "data"
    lines = initialised(data_dir).splitlines()
    gone = subprocess.Popen(["true"])
    gone.wait(5)
    lines[0] = str(gone.pid)
    (data_dir / "pgdata" / "postmaster.pid").write_text("\n".join(lines[:3]) + "\n")
    server = EmbeddedPostgres(data_dir).start()
    assert answers(server)
    stop_and_check(server, data_dir)


def test_the_data_folders_parent_keeps_its_mode(folder):
    """As root the server runs as another user, which must pass through the parents: one that
    lets others pass (but not list) stays exactly so."""
    server = EmbeddedPostgres(folder / "data").start()
    try:
        assert mode(folder) == 0o711
        assert answers(server)
    finally:
        server.stop()
    assert mode(folder) == 0o711


def test_a_private_parent_stays_private_and_the_server_still_runs(folder):
    """A parent only its owner may enter (a home folder): it is not opened up; as root the
    server's files then live in a dedicated folder, linked from the data folder."""
    private = folder / "home"
    private.mkdir(mode=0o700)
    private.chmod(0o700)
    dedicated = folder / "dedicated"
    data_dir = private / "data"
    server = EmbeddedPostgres(data_dir, dedicated_home=dedicated).start()
    try:
        assert (mode(private), mode(folder)) == (0o700, 0o711)
        assert answers(server)
    finally:
        server.stop()
    assert (mode(private), mode(folder)) == (0o700, 0o711)
    assert (data_dir / "pgdata" / "PG_VERSION").exists()
