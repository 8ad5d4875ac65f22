"""The app with the dashboard mounted, and incidents seeded through the real pipeline:
signed GitHub webhooks → the worker → respx-mocked GitHub REST API."""

from dataclasses import dataclass

import respx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.api import dashboard
from app.main import create_app
from tests.conftest import FIXTURES
from tests.support.github_api import (
    API,
    REPO,
    WORKFLOW_ID,
    attempt_jobs,
    failed_run,
    mock_log_download,
    run_webhook,
)
from tests.support.github_deliveries import post_github

OTHER_REPO = "octo-org/payments-api"


def dashboard_app(container) -> FastAPI:
    """create_app(container), with the dashboard mounted when create_app does not include it."""
    app = create_app(container)
    if not any(getattr(route, "path", "") == "/dashboard" for route in app.routes):
        app.include_router(dashboard.router)
    return app


@dataclass(frozen=True)
class FailedRun:
    run_id: int
    repo: str
    log: str  # a file under tests/fixtures/ci_logs
    rerun_conclusion: str | None = None  # what attempt 2 reports, when it reports

    @property
    def job_id(self) -> int:
        return self.run_id * 10


# Real published CI logs: network blips (re-run, one passes on attempt 2), compile and lint
# errors (escalated), a flaky end-to-end test.
RUNS = (
    FailedRun(7001, REPO, "040_npm_econnreset_actions.log", rerun_conclusion="success"),
    FailedRun(7002, REPO, "004_maven_cannot_find_symbol.log"),
    FailedRun(7003, OTHER_REPO, "041_npm_error_econnreset_script.log"),
    FailedRun(7004, OTHER_REPO, "022_eslint_no_unused_vars.log"),
    FailedRun(7005, REPO, "015_cypress_attempts_flaky.log"),
    FailedRun(7006, REPO, "049_maven_connection_reset_actions.log", rerun_conclusion="failure"),
    FailedRun(7007, OTHER_REPO, "004_maven_cannot_find_symbol.log"),
)


def deliver(http: TestClient, body: bytes, event: str = "workflow_run"):
    return post_github(http, body, event=event)


def mock_run(respx_mock, run: FailedRun) -> None:
    base = f"{API}/repos/{run.repo}/actions"
    for attempt in (1, 2):
        respx_mock.get(f"{base}/runs/{run.run_id}/attempts/{attempt}/jobs").respond(
            200, json=attempt_jobs(job_id=run.job_id)
        )
    mock_log_download(respx_mock, (FIXTURES / "ci_logs" / run.log).read_text(), repo=run.repo,
                      job_id=run.job_id)  # fmt: skip
    respx_mock.get(f"{base}/runs/{run.run_id}").respond(200, json=failed_run(run_id=run.run_id))
    respx_mock.get(f"{base}/workflows/{WORKFLOW_ID}/runs").respond(
        200, json={"total_count": 1, "workflow_runs": [failed_run(run_id=run.run_id)]}
    )
    respx_mock.post(f"{base}/runs/{run.run_id}/rerun-failed-jobs").respond(201, json={})


def seed_through_pipeline(container, runs=RUNS) -> dict[int, int]:
    """Deliver every run's failure, let the worker handle it, then deliver the re-runs' results.

    Returns incident id by run id. The respx context ends here, before any browser starts.
    """
    ids: dict[int, int] = {}
    with TestClient(create_app(container)) as http, respx.mock(assert_all_called=False) as mock:
        for run in runs:
            mock_run(mock, run)
            answer = deliver(http, run_webhook(run_id=run.run_id, repo=run.repo))
            assert answer.status_code == 202, answer.text
            ids[run.run_id] = answer.json()["incident_id"]
            container.new_worker().drain()
        for run in runs:
            if run.rerun_conclusion:
                body = run_webhook(
                    attempt=2, conclusion=run.rerun_conclusion, run_id=run.run_id, repo=run.repo
                )
                assert deliver(http, body).status_code in (200, 202)
        container.new_worker().drain()
    return ids
