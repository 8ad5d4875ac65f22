"""Canary secrets planted in payloads, logs and upstream errors never reach a log line, a
database row or an LLM prompt; payload URLs are never fetched; payload fields cannot set state."""

import io
import json
import logging

import pytest
import respx
from sqlalchemy import text
from sqlmodel import SQLModel

from app.bootstrap import build_container
from app.core.logs import configure_logging
from tests.conftest import _truncate, fixture_bytes, make_settings
from tests.support.github_api import (
    API,
    LOG_HOST,
    REPO,
    RUN_ID,
    WORKFLOW_ID,
    attempt_jobs,
    failed_run,
    mock_log_download,
    now_iso,
)
from tests.support.github_deliveries import post_github
from tests.support.nim_api import mock_nim_answer

CANARIES = {
    "github_pat": "ghp_CANARY0123456789abcdefghijklmnopqrstu",
    "fine_grained": "github_pat_11CANARY0_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH",
    "slack": "xoxb-1234567890-CANARY-abcdefghijklmnop",
    "aws": "AKIACANARY0123456789",
    "nvidia": "nvapi-CANARYabcdefghijklmnopqrstuvwxyz0123",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.c2lnbmF0dXJlY2FuYXJ5",
    "bearer": "Bearer CANARYtokenvalue0123456789",
}
NIM = "https://nim.example.test/v1"


def planted_log() -> str:
    return "\n".join(
        [
            "npm ERR! code ECONNRESET",
            f"npm ERR! network request to registry failed, token {CANARIES['github_pat']}",
            f"export GH={CANARIES['fine_grained']}",
            f"slack token {CANARIES['slack']} aws {CANARIES['aws']}",
            f"curl -H 'Authorization: {CANARIES['bearer']}' https://api.example.test",
            f"NVIDIA_API_KEY={CANARIES['nvidia']} jwt={CANARIES['jwt']}",
            "npm ERR! network This is a problem related to network connectivity.",
            "##[error]Process completed with exit code 1.",
        ]
    )


def planted_webhook() -> bytes:
    payload = json.loads(
        fixture_bytes("github/derived__workflow_run__completed.failure.payload.json")
    )
    run = payload["workflow_run"]
    run.update(run_started_at=now_iso(), updated_at=now_iso())
    run["head_commit"]["message"] = f"rotate {CANARIES['github_pat']} and {CANARIES['aws']}"
    run["display_title"] = f"deploy with {CANARIES['slack']}"
    # URLs a payload must never make us call
    run["logs_url"] = "http://169.254.169.254/latest/meta-data/iam"
    run["jobs_url"] = "http://127.0.0.1:9/internal"
    run["artifacts_url"] = "file:///etc/passwd"
    # fields a payload must never be able to set
    payload.update(status="resolved", decision="auto_fix", approved_by="U_ATTACKER")
    run["decision"] = "auto_fix"
    return json.dumps(payload).encode()


@pytest.fixture
def captured_logs():
    stream = io.StringIO()
    configure_logging("DEBUG", "json")
    handler = logging.getLogger().handlers[0]
    handler.stream = stream
    yield stream
    configure_logging("WARNING", "text")


@pytest.fixture
def guarded(database_url):
    settings = make_settings(
        database_url,
        github_token="ghp_" + "f" * 36,
        dry_run=False,
        nvidia_api_key="nvapi-" + "k" * 40,
        nvidia_base_url=NIM,
        nvidia_max_retries=0,
    )
    container = build_container(settings, database_url=database_url)
    yield container
    _truncate(container)
    container.close()


def run_planted_flow(container, respx_mock):
    from fastapi.testclient import TestClient

    from app.main import create_app

    respx_mock.get(f"{API}/repos/{REPO}/actions/runs/{RUN_ID}/attempts/1/jobs").respond(
        200, json=attempt_jobs()
    )
    mock_log_download(respx_mock, planted_log())
    respx_mock.get(f"{API}/repos/{REPO}/actions/runs/{RUN_ID}").respond(200, json=failed_run())
    respx_mock.get(f"{API}/repos/{REPO}/actions/workflows/{WORKFLOW_ID}/runs").respond(
        200, json={"workflow_runs": [failed_run()]}
    )
    respx_mock.post(f"{API}/repos/{REPO}/actions/runs/{RUN_ID}/rerun-failed-jobs").respond(
        500, json={"message": f"internal error near {CANARIES['nvidia']}"}
    )
    mock_nim_answer(
        respx_mock,
        NIM,
        {
            "category": "transient_network",
            "root_cause": f"network; saw {CANARIES['github_pat']}",
            "fixability": "auto",
            "action": "rerun_failed_jobs",
            "confidence": 0.9,
            "evidence": [f"token {CANARIES['slack']}"],
        },
    )
    body = planted_webhook()
    with TestClient(create_app(container)) as http:
        response = post_github(http, body)
        assert response.status_code == 202
        container.new_worker().drain()
        return response.json()["incident_id"], http.get(
            f"/api/v1/incidents/{response.json()['incident_id']}"
        ).json()


def database_text(container) -> str:
    with container.db.engine.connect() as conn:
        return "\n".join(
            json.dumps(
                [dict(r._mapping) for r in conn.execute(text(f"SELECT * FROM {t.name}"))],
                default=str,
            )
            for t in SQLModel.metadata.sorted_tables
        )


def test_canaries_never_reach_logs_database_api_or_prompt(guarded, captured_logs):
    with respx.mock(assert_all_called=False) as respx_mock:
        _, detail = run_planted_flow(guarded, respx_mock)
        prompts = [
            c.request.content.decode()
            for c in respx_mock.calls
            if c.request.url.path.endswith(("/chat/completions", "/embeddings"))
        ]
    assert prompts, "the LLM was called"
    places = {
        "logs": captured_logs.getvalue(),
        "database": database_text(guarded),
        "api": json.dumps(detail),
        "prompts": "\n".join(prompts),
    }
    leaks = [
        (name, where)
        for name, canary in CANARIES.items()
        for where, content in places.items()
        if canary.split(" ")[-1] in content
    ]
    assert leaks == []


def test_payload_urls_are_never_fetched(guarded):
    with respx.mock(assert_all_called=False) as respx_mock:
        run_planted_flow(guarded, respx_mock)
        hosts = {c.request.url.host for c in respx_mock.calls}
    assert hosts <= {"api.github.com", LOG_HOST.split("//")[1], "nim.example.test"}
    assert "169.254.169.254" not in hosts and "127.0.0.1" not in hosts


def test_state_fields_in_payloads_are_ignored(guarded):
    from fastapi.testclient import TestClient

    from app.main import create_app

    body = planted_webhook()
    with TestClient(create_app(guarded)) as http:
        response = post_github(http, body)
        detail = http.get(f"/api/v1/incidents/{response.json()['incident_id']}").json()
    assert detail["status"] == "received"
    assert detail["decision"] is None
    assert detail["approvals"] == []
