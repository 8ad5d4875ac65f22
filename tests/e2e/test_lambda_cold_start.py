"""The first event of an on-demand execution environment builds the container with Python's
cyclic garbage collector paused, and leaves the collector running afterwards; its first
webhook imports only the ingest path, whatever integrations are configured."""

import gc
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from app import lambda_handler
from tests.conftest import WEBHOOK_SECRET, fixture_bytes
from tests.support.github_deliveries import signature_of

ROOT = Path(__file__).resolve().parents[2]
HTTP_API_V2 = "aws_lambda/powertools__apiGatewayProxyV2Event.json"
FAILED_RUN = "github/derived__workflow_run__completed.failure.payload.json"
# What a webhook does not run: the clients (Slack's SDK, httpx, NVIDIA NIM), the analysis
# (its rules and YAML), the remediators, the read models and the dashboard's templates.
NOT_FOR_A_WEBHOOK = (
    "slack_sdk",
    "httpx",
    "jinja2",
    "yaml",
    "nacl",
    "app.adapters.ai.nvidia.client",
    "app.adapters.external.github.client",
    "app.domain.classification.rule_classifier",
    "app.domain.remediators.refresh_secret",
    "app.services.analyzer",
    "app.services.decision",
    "app.services.dashboard",
    "app.api.dashboard",
)
# A fresh interpreter (a new execution environment) answers one event from stdin, then lists
# the modules of NOT_FOR_A_WEBHOOK it has loaded.
FIRST_EVENT = """
import json, sys
import app.lambda_handler as lambda_handler

class Context:
    aws_request_id = "first-webhook"

response = lambda_handler.handler(json.loads(sys.stdin.read()), Context())
heavy = json.loads(sys.argv[1])
print(json.dumps({
    "status": response.get("statusCode"),
    "loaded": sorted(m for m in sys.modules if m in heavy or m.split(".")[0] in heavy),
}))
"""


def health_event() -> dict:
    event = json.loads(fixture_bytes(HTTP_API_V2))
    event.update(rawPath="/health", rawQueryString="", body=None, isBase64Encoded=False)
    event.pop("queryStringParameters", None)
    event["requestContext"]["http"].update(method="GET", path="/health")
    return event


@pytest.fixture
def lambda_environment(database_url, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    for name in ("SECRETS_ARN", "QUEUE_URL", "DB_PROXY", "ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", WEBHOOK_SECRET)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    lambda_handler.reset_container_for_tests()
    yield
    lambda_handler.reset_container_for_tests()
    root.handlers[:] = handlers
    root.setLevel(level)


def test_the_first_event_builds_with_the_collector_paused_and_leaves_it_running(
    lambda_environment, monkeypatch
):
    collector_during_build = []
    build = lambda_handler._build_container

    def observed_build():
        collector_during_build.append(gc.isenabled())
        return build()

    monkeypatch.setattr(lambda_handler, "_build_container", observed_build)
    answer = lambda_handler.handler(health_event(), SimpleNamespace(aws_request_id="r-1"))
    assert answer["statusCode"] == 200
    assert collector_during_build == [False]
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0  # the built objects are out of the collector's sight


def test_discarding_the_container_gives_its_objects_back_to_the_collector(lambda_environment):
    lambda_handler.handler(health_event(), SimpleNamespace(aws_request_id="r-2"))
    lambda_handler.reset_container_for_tests()
    assert gc.get_freeze_count() == 0
    assert gc.isenabled()


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
        "x-github-delivery": f"cold-start-{run_id}",
        "x-hub-signature-256": signature_of(body.encode()),
    }
    event["requestContext"]["http"].update(method="POST", path="/webhooks/github")
    return event


def first_event_of_a_new_environment(database_url: str, event: dict) -> dict:
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRETS_ARN", "QUEUE_URL", "DB_PROXY", "ENVIRONMENT"}
    }
    environ.update(
        DATABASE_URL=database_url,
        GITHUB_WEBHOOK_SECRET=WEBHOOK_SECRET,
        LOG_LEVEL="WARNING",
        AWS_LAMBDA_FUNCTION_NAME="codehealer-api",
        # Every integration configured, as on AWS: none of their clients is built for a webhook.
        GITHUB_TOKEN="ghp_" + "a" * 36,
        SLACK_BOT_TOKEN="xoxb-1-cold-start",
        NVIDIA_API_KEY="nvapi-cold-start",
        K8S_API_URL="https://kubernetes.example.com",
        K8S_TOKEN="k8s-token-cold-start",
        ARGOCD_URL="https://argocd.example.com",
        ARGOCD_TOKEN="argocd-token-cold-start",
    )
    result = subprocess.run(
        [sys.executable, "-c", FIRST_EVENT, json.dumps(NOT_FOR_A_WEBHOOK)],
        input=json.dumps(event),
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_first_webhook_of_a_new_environment_imports_only_the_ingest_path(database_url):
    answer = first_event_of_a_new_environment(database_url, signed_webhook_event(880_001))
    assert answer["status"] == 202
    assert answer["loaded"] == []


def test_the_check_sees_what_a_request_for_the_dashboard_loads(database_url):
    event = health_event()
    event.update(rawPath="/dashboard/login")
    event["requestContext"]["http"].update(path="/dashboard/login")
    answer = first_event_of_a_new_environment(database_url, event)
    assert answer["status"] != 404  # routed to the dashboard, included on this first request
    assert {"jinja2", "app.api.dashboard"} <= set(answer["loaded"])
