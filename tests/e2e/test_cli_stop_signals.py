"""`codehealer serve` and `codehealer worker` stopped the way docker stop, Kubernetes and systemd
stop them (SIGTERM): a clean stop like Ctrl-C, exit status 0, and the embedded PostgreSQL they
started is stopped too."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.processes import alive, stopped_within

# Variables of the test run that must not leak into the operator's environment.
UNSET = ("DATABASE_URL", "SECRETS_ARN", "QUEUE_URL", "GITHUB_WEBHOOK_SECRET", "API_KEY")
STOP_SECONDS = 60


@pytest.fixture
def data_dir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="codehealer-stop-"))
    folder.chmod(0o711)  # as root, the server's user must pass (app/adapters/database/embedded.py)
    yield folder / "data"
    shutil.rmtree(folder, ignore_errors=True)


def start(command: list[str], data_dir: Path) -> tuple[subprocess.Popen, Path]:
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env.update(CODEHEALER_DATA_DIR=str(data_dir), LOG_FORMAT="text", ENVIRONMENT="dev")
    log = data_dir.parent / "output.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", *command],
            cwd=data_dir.parent,  # no stray .env is read
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process, log


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(check, process: subprocess.Popen, log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)


def answers_health(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "pgdata" / "postmaster.pid").read_text().split()[0])


def assert_stopped_cleanly(process: subprocess.Popen, log: Path, data_dir: Path, pg: int) -> None:
    try:
        try:
            code = process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail(f"still running {STOP_SECONDS}s after SIGTERM")
        assert code == 0, log.read_text(errors="replace")[-3000:]
        assert not (data_dir / "pgdata" / "postmaster.pid").exists()
        assert stopped_within(pg, 10), "the embedded PostgreSQL is still running"
    finally:
        if alive(pg):  # leave nothing behind, whatever the outcome
            os.kill(pg, signal.SIGQUIT)


def test_sigterm_stops_serve_and_its_embedded_database(data_dir):
    port = free_port()
    process, log = start(["serve", "--port", str(port)], data_dir)
    wait_until(lambda: answers_health(port), process, log)
    pg = postmaster_pid(data_dir)
    process.send_signal(signal.SIGTERM)
    assert_stopped_cleanly(process, log, data_dir, pg)
    assert "CodeHealer stopped" in log.read_text()


def test_sigterm_stops_the_worker_and_its_embedded_database(data_dir):
    process, log = start(["worker"], data_dir)
    wait_until(lambda: "started" in log.read_text(errors="replace"), process, log)
    pg = postmaster_pid(data_dir)
    process.send_signal(signal.SIGTERM)
    assert_stopped_cleanly(process, log, data_dir, pg)
    assert "stopped" in log.read_text()
