"""SnapStart against the real database: what the init phase builds for the snapshot, and that
no database connection or HTTP request from before the snapshot survives into a restore.

The snapshot's life is played as Lambda's Python runtime plays it: import the handler module
(the init phase), run the before-snapshot hooks in reverse order of registration, then, in
each restored environment, the after-restore hooks in order, then the first event.
"""

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import respx
import snapshot_restore_py
from moto import mock_aws
from sqlalchemy import create_engine, text

from app import lambda_handler
from app.adapters.database.engine import sqlalchemy_url
from app.adapters.database.migrate import upgrade
from app.adapters.queue.sqs import SqsQueue
from tests.conftest import WEBHOOK_SECRET, fixture_bytes
from tests.support.github_deliveries import signature_of

ROOT = Path(__file__).resolve().parents[2]
HTTP_API_V2 = "aws_lambda/powertools__apiGatewayProxyV2Event.json"
FAILED_RUN = "github/derived__workflow_run__completed.failure.payload.json"

# Runs in a fresh interpreter, as Lambda's runtime would: init, snapshot hooks, restore hooks,
# first event. Prints what was built at init and the first answer.
SNAPSHOT_LIFE = r"""
import json, sys
import snapshot_restore_py
import app.lambda_handler as lambda_handler

container = lambda_handler._container
built_at_init = {
    "container": container is not None,
    "http_app": lambda_handler._http is not None,
    "fastapi_loaded": "fastapi" in sys.modules,
}
primed_at_init = {
    "event_loop_backend": "anyio._backends._asyncio" in sys.modules,
    "database_dialect": container is not None
    and container.db.engine.dialect.server_version_info is not None,
}
for func, args, kwargs in reversed(snapshot_restore_py.get_before_snapshot()):
    func(*args, **kwargs)
for func, args, kwargs in snapshot_restore_py.get_after_restore():
    func(*args, **kwargs)

class Context:
    aws_request_id = "snapstart-test"

response = lambda_handler.handler(json.loads(sys.stdin.read()), Context())
print(json.dumps({
    "built_at_init": built_at_init,
    "primed_at_init": primed_at_init,
    "status": response.get("statusCode"),
}))
"""


def signed_webhook_event(run_id: int) -> dict:
    payload = json.loads(fixture_bytes(FAILED_RUN))
    payload["workflow_run"]["id"] = run_id
    body = json.dumps(payload)
    event = json.loads(fixture_bytes(HTTP_API_V2))
    event.update(rawPath="/webhooks/github", rawQueryString="", body=body, isBase64Encoded=False)
    event.pop("queryStringParameters", None)
    event["headers"] = {
        "content-type": "application/json",
        "x-github-event": "workflow_run",
        "x-github-delivery": f"snapstart-{run_id}",
        "x-hub-signature-256": signature_of(body.encode()),
    }
    event["requestContext"]["http"].update(method="POST", path="/webhooks/github")
    return event


def lambda_environment(database_url: str, **extra: str) -> dict[str, str]:
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRETS_ARN", "QUEUE_URL", "DB_PROXY", "ENVIRONMENT", "GITHUB_TOKEN"}
    }
    environ.update(
        DATABASE_URL=database_url,
        GITHUB_WEBHOOK_SECRET=WEBHOOK_SECRET,
        LOG_LEVEL="WARNING",
        AWS_LAMBDA_FUNCTION_NAME="codehealer-api",
        **extra,
    )
    return environ


def live_snapshot(environ: dict[str, str], event: dict) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", SNAPSHOT_LIFE],
        input=json.dumps(event),
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def migrated_url(new_database) -> str:
    url = new_database("codehealer_snapstart")
    upgrade(url)
    return url


@pytest.fixture
def served_by_pooled_container(container):
    """The handler module serving a container whose engine keeps connections (a pool)."""
    lambda_handler.use_container(container)
    yield container
    lambda_handler.reset_container_for_tests()


def backend_pid(container) -> int:
    with container.db.engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def backend_alive(database_url: str, pid: int, *, wait_seconds: float = 5.0) -> bool:
    """Whether server process ``pid`` still serves a connection (a closed one ends shortly)."""
    engine = create_engine(sqlalchemy_url(database_url))
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            with engine.connect() as connection:
                alive = connection.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
                ).scalar_one()
            if not alive or time.monotonic() > deadline:
                return bool(alive)
            time.sleep(0.05)
    finally:
        engine.dispose()


def test_a_snap_start_init_builds_the_container_and_the_http_app(migrated_url):
    environ = lambda_environment(
        migrated_url,
        AWS_LAMBDA_INITIALIZATION_TYPE="snap-start",
        _HANDLER="app.lambda_handler.handler",
    )
    answer = live_snapshot(environ, signed_webhook_event(910_000_001))
    assert answer["built_at_init"] == {"container": True, "http_app": True, "fastapi_loaded": True}
    assert answer["status"] == 202


def test_a_snap_start_init_primes_what_the_first_request_would_load(migrated_url):
    environ = lambda_environment(
        migrated_url,
        AWS_LAMBDA_INITIALIZATION_TYPE="snap-start",
        _HANDLER="app.lambda_handler.handler",
    )
    answer = live_snapshot(environ, signed_webhook_event(910_000_006))
    assert answer["primed_at_init"] == {"event_loop_backend": True, "database_dialect": True}


def test_a_snap_start_init_of_the_worker_builds_no_http_app(migrated_url):
    environ = lambda_environment(
        migrated_url,
        AWS_LAMBDA_INITIALIZATION_TYPE="snap-start",
        _HANDLER="app.lambda_handler.worker_handler",
    )
    answer = live_snapshot(environ, signed_webhook_event(910_000_002))
    assert answer["built_at_init"]["container"] is True
    assert answer["built_at_init"]["http_app"] is False


def test_an_on_demand_init_builds_nothing_until_the_first_event(migrated_url):
    environ = lambda_environment(migrated_url, AWS_LAMBDA_INITIALIZATION_TYPE="on-demand")
    code = SNAPSHOT_LIFE.replace("import snapshot_restore_py\n", "").replace(
        "snapshot_restore_py.get_before_snapshot()", "[]"
    )
    code = code.replace("snapshot_restore_py.get_after_restore()", "[]")
    result = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(signed_webhook_event(910_000_003)),
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["built_at_init"] == {
        "container": False,
        "http_app": False,
        "fastapi_loaded": False,
    }
    assert answer["status"] == 202


def test_the_snapshot_holds_no_database_connection(served_by_pooled_container, database_url):
    pooled = backend_pid(served_by_pooled_container)
    assert backend_alive(database_url, pooled, wait_seconds=0)  # the pool kept it open
    lambda_handler.before_snapshot()
    assert not backend_alive(database_url, pooled)


def test_a_restored_environment_never_reuses_a_connection_from_before_the_snapshot(
    served_by_pooled_container,
):
    before = backend_pid(served_by_pooled_container)
    lambda_handler.after_restore()
    assert backend_pid(served_by_pooled_container) != before


@pytest.fixture
def hook_registries():
    """The runtime hooks library's registries, restored afterwards (process-wide lists)."""
    before, after = (
        snapshot_restore_py.get_before_snapshot(),
        snapshot_restore_py.get_after_restore(),
    )
    saved = list(before), list(after)
    yield
    before[:], after[:] = saved


@pytest.fixture
def restore_logging():
    """Building the container configures the root logger; put it back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_a_snapshot_prepared_before_the_settings_are_complete_builds_on_the_first_event(
    migrated_url, monkeypatch, tmp_path, hook_registries, capsys, restore_logging
):
    # First deploy: the functions are published before the settings secret has a value.
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    for name, value in lambda_environment(migrated_url).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DATABASE_URL")
    lambda_handler.reset_container_for_tests()
    try:
        lambda_handler.prepare_snapshot({"_HANDLER": "app.lambda_handler.handler"})
        assert (lambda_handler._container, lambda_handler._http) == (None, None)
        assert "nothing built at init" in capsys.readouterr().err
        monkeypatch.setenv("DATABASE_URL", migrated_url)  # the secret is written afterwards
        event = signed_webhook_event(910_000_005)
        answer = lambda_handler.handler(event, type("Context", (), {"aws_request_id": "r"})())
        assert answer["statusCode"] == 202
    finally:
        lambda_handler.reset_container_for_tests()


def test_preparing_a_snapshot_sends_no_http_request(
    migrated_url, monkeypatch, tmp_path, hook_registries, restore_logging
):
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    for name, value in lambda_environment(migrated_url).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SECRETS_ARN", raising=False)
    monkeypatch.delenv("QUEUE_URL", raising=False)
    # Every integration whose client the container builds is configured.
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_" + "a" * 36)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-snapstart")
    monkeypatch.setenv("ARGOCD_URL", "https://argocd.example.com")
    monkeypatch.setenv("ARGOCD_TOKEN", "argocd-token-snapstart")
    monkeypatch.setenv("K8S_API_URL", "https://kubernetes.example.com")
    monkeypatch.setenv("K8S_TOKEN", "k8s-token-snapstart")
    monkeypatch.setenv("NVIDIA_API_KEY", "nvapi-snapstart")
    lambda_handler.reset_container_for_tests()
    try:
        with respx.mock(assert_all_called=False) as outbound:
            lambda_handler.prepare_snapshot({"_HANDLER": "app.lambda_handler.handler"})
            container = lambda_handler.get_container()
            assert None not in (container.github, container.argocd, container.kubernetes)
            assert outbound.calls.call_count == 0
    finally:
        lambda_handler.reset_container_for_tests()


def test_a_snapshot_holds_the_sqs_client(
    migrated_url, monkeypatch, tmp_path, hook_registries, restore_logging
):
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    for name, value in lambda_environment(migrated_url).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SECRETS_ARN", raising=False)
    monkeypatch.setenv("QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/jobs")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    lambda_handler.reset_container_for_tests()
    try:
        with mock_aws():
            lambda_handler.prepare_snapshot({"_HANDLER": "app.lambda_handler.handler"})
            queue = lambda_handler.get_container().queue
            assert isinstance(queue, SqsQueue) and queue._client is not None
    finally:
        lambda_handler.reset_container_for_tests()
