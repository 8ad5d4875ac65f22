"""`codehealer serve` as an operator starts it, in a subprocess: settings that cannot run safely
stop it before any database starts or any port is opened, with a clear message and no traceback."""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

CODEHEALER = Path(sys.executable).with_name("codehealer")
STRONG_KEY = "serve-refusal-api-key-0123456789"
TOKEN = "xoxb-1234567890-" + "PlantedSlackTokenTail42"
# Variables of the test run that must not leak into the operator's environment.
UNSET = ("DATABASE_URL", "SECRETS_ARN", "QUEUE_URL", "K8S_WEBHOOK_TOKEN", "ARGOCD_WEBHOOK_TOKEN")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def serve(tmp_path):
    """Run `codehealer serve` with ``settings`` in a clean folder; the result and the port."""

    def run(**settings: str) -> tuple[subprocess.CompletedProcess[str], int]:
        env = {k: v for k, v in os.environ.items() if k not in UNSET}
        env.update(CODEHEALER_DATA_DIR=str(tmp_path / "data"), LOG_FORMAT="text", **settings)
        port = free_port()
        process = subprocess.Popen(
            [str(CODEHEALER), "serve", "--port", str(port)],
            cwd=tmp_path,  # no stray .env is read
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            out, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGINT)
            process.communicate(timeout=60)
            pytest.fail("codehealer serve started instead of refusing")
        return subprocess.CompletedProcess(process.args, process.returncode, out, err), port

    return run


def test_prod_with_an_empty_webhook_secret_refuses_to_start(serve, tmp_path):
    result, port = serve(ENVIRONMENT="prod", GITHUB_WEBHOOK_SECRET="", API_KEY=STRONG_KEY)
    assert result.returncode != 0
    assert "GITHUB_WEBHOOK_SECRET is required when ENVIRONMENT=prod" in result.stderr
    assert "Traceback" not in result.stderr
    assert not listening(port)
    assert not (tmp_path / "data").exists()  # failed before any database was started


def test_an_invalid_setting_is_named_without_its_value_or_a_traceback(serve, tmp_path):
    result, port = serve(ENVIRONMENT="dev", WORKER_THREADS=TOKEN, SLACK_BOT_TOKEN=TOKEN)
    assert result.returncode != 0
    assert "WORKER_THREADS" in result.stderr
    assert "PlantedSlackTokenTail42" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()
