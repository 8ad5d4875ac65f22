"""The kill switch end to end, through the HTTP app, the worker and respx-mocked GitHub: a
pause set through the API holds a transient failure's rerun (the decision is recorded, nothing
is called), and after the resume the next failure is re-run by itself."""

import pytest
import respx
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from app.adapters.database.tables import AuditEntry, RemediationAttempt
from app.bootstrap import build_container
from app.main import create_app
from tests.conftest import FIXTURES, _truncate, make_settings
from tests.support.github_api import (
    API,
    REPO,
    RUN_ID,
    WORKFLOW_ID,
    attempt_jobs,
    failed_run,
    mock_log_download,
    run_webhook,
)
from tests.support.github_deliveries import post_github

NETWORK_LOG = (FIXTURES / "ci_logs" / "040_npm_econnreset_actions.log").read_text()
KEY = "pause-flow-test-key-0123456789"
AUTH = {"X-API-Key": KEY}
NEXT_RUN_ID = RUN_ID + 1


@pytest.fixture
def flow(database_url):
    """Real execution, and a threshold a fresh install can reach (as in test_github_flow)."""
    settings = make_settings(
        database_url,
        github_token="ghp_" + "c" * 36,
        dry_run=False,
        strategy="hybrid",
        confidence_threshold=0.5,
        approval_threshold=0.3,
        api_key=SecretStr(KEY),
    )
    container = build_container(settings, database_url=database_url)
    yield container
    _truncate(container)
    container.close()


@pytest.fixture
def http(flow):
    with TestClient(create_app(flow)) as client:
        yield client


def mock_run(respx_mock, run_id: int):
    """GitHub's answers for one failed run; returns the route of its rerun-failed-jobs call."""
    runs = f"{API}/repos/{REPO}/actions/runs/{run_id}"
    respx_mock.get(f"{runs}/attempts/1/jobs").respond(200, json=attempt_jobs())
    respx_mock.get(runs).respond(200, json=failed_run(run_id=run_id))
    return respx_mock.post(f"{runs}/rerun-failed-jobs").respond(201, json={})


def test_a_paused_service_records_the_decision_runs_nothing_and_runs_again_after_resume(http, flow):
    with respx.mock(assert_all_called=False) as github:
        mock_log_download(github, NETWORK_LOG)
        github.get(f"{API}/repos/{REPO}/actions/workflows/{WORKFLOW_ID}/runs").respond(
            200, json={"total_count": 1, "workflow_runs": [failed_run()]}
        )
        held_rerun, next_rerun = mock_run(github, RUN_ID), mock_run(github, NEXT_RUN_ID)

        paused = http.post("/api/v1/pause", json={"reason": "incident review"}, headers=AUTH)
        assert paused.status_code == 201
        held = post_github(http, run_webhook()).json()["incident_id"]
        flow.new_worker().drain()

        assert held_rerun.call_count == 0
        detail = http.get(f"/api/v1/incidents/{held}", headers=AUTH).json()
        assert detail["category"] == "transient_network"
        assert (detail["status"], detail["decision"]) == ("awaiting_approval", "needs_approval")
        assert detail["escalation_reason"] == "automatic_fixes_paused"
        assert "all automatic fixes paused by api at" in detail["decision_reason"]
        assert detail["attempts"] == []

        resumed = http.post("/api/v1/resume", json={}, headers=AUTH)
        assert resumed.status_code == 200
        fixed = post_github(http, run_webhook(run_id=NEXT_RUN_ID)).json()["incident_id"]
        flow.new_worker().drain()

    assert (held_rerun.call_count, next_rerun.call_count) == (0, 1)
    detail = http.get(f"/api/v1/incidents/{fixed}", headers=AUTH).json()
    assert (detail["status"], detail["decision"]) == ("verifying", "auto_fix")
    with flow.db.session() as session:
        attempts = session.execute(select(RemediationAttempt)).scalars().all()
        kill_switch = session.execute(
            select(AuditEntry.event).where(AuditEntry.incident_id.is_(None))
        ).scalars()
        assert [a.incident_id for a in attempts] == [fixed]
        assert list(kill_switch) == ["automation.paused", "automation.resumed"]
