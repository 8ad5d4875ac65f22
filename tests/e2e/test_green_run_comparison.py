"""A failure compared with the same job's log in the workflow's last successful run: the lines
the green log lacks lead the excerpt and the evidence; without a green run the comparison is
skipped and the incident says why. The whole path: a signed webhook, the worker, respx-mocked
GitHub in its documented shapes, real PostgreSQL, the API and the dashboard."""

import pytest
import respx
from fastapi.testclient import TestClient

from app.bootstrap import build_container
from app.main import create_app
from tests.conftest import _truncate, make_settings
from tests.support.dashboard import dashboard_app
from tests.support.github_api import (
    API,
    GREEN_RUN_ID,
    REPO,
    WORKFLOW_ID,
    attempt_jobs,
    failed_run,
    mock_green_run,
    mock_log_download,
    run_webhook,
)
from tests.support.github_deliveries import post_github

# One job's log as the runner writes it. The test suite logs a refused connection on every
# run (its mock server starts late); that is not what broke this run.
SHARED = [
    "##[group]Run actions/checkout@v4",
    "Syncing repository: octo-org/octo-repo",
    "##[endgroup]",
    "Run npm ci",
    "npm WARN deprecated inflight@1.0.6: This module is not supported, and leaks memory.",
    "added 1290 packages, and audited 1291 packages in {secs}s",
    "Run npm test",
    "> octo-repo@2.4.0 test",
    "> vitest run",
    "stderr | src/client.test.ts > retries when the server is not up yet",
    "Error: connect ECONNREFUSED 127.0.0.1:{port}",
    "    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)",
    "stderr | src/cache.test.ts > falls back when the cache is unavailable",
    "Error: cache unavailable, reading from the origin",
    " ✓ src/client.test.ts  (12 tests) {ms}ms",
    " ✓ src/cache.test.ts  (7 tests) {ms}ms",
]
NEW = [
    " ❯ src/orders.test.ts  (9 tests | 1 failed) {ms}ms",
    " FAIL  src/orders.test.ts > orders > refuses an order without items",
    "AssertionError: expected 201 to be 422 // Object.is equality",
    " Test Files  1 failed | 2 passed (3)",
    "##[error]Process completed with exit code 1.",
]
GREEN_TAIL = [" ✓ src/orders.test.ts  (9 tests) {ms}ms", " Test Files  3 passed (3)"]


CLEANUP = ["Post job cleanup.", "Cleaning up orphan processes"]


def texts(lines: list[str], run: int) -> list[str]:
    """The lines as one run prints them: durations, ports and timings differ per run."""
    return [
        line.format(secs=20 + run % 9, port=40000 + run, ms=300 + 7 * n + run)
        for n, line in enumerate(lines)
    ]


def job_log(lines: list[str], run: int) -> str:
    """The run's lines with the runner's timestamps."""
    return "".join(
        f"2024-05-07T22:{run % 60:02d}:{n % 60:02d}.1234567Z {text}\n"
        for n, text in enumerate(texts(lines, run))
    )


FAILED_LOG = job_log(SHARED + NEW + CLEANUP, 7)
GREEN_LOG = job_log(SHARED + GREEN_TAIL + CLEANUP, 41)
# The lines of the failed log the green log does not have, as the failed log prints them.
NEW_TEXTS = texts(SHARED + NEW, 7)[len(SHARED) :]


@pytest.fixture
def container(database_url):
    built = build_container(
        make_settings(database_url, github_token="ghp_" + "c" * 36), database_url=database_url
    )
    yield built
    _truncate(built)
    built.close()


def mock_failed_run(respx_mock: respx.Router, run_id: int, job_id: int) -> None:
    jobs = attempt_jobs(job_id=job_id)
    jobs["jobs"][0]["run_id"] = run_id
    base = f"{API}/repos/{REPO}/actions"
    respx_mock.get(f"{base}/runs/{run_id}/attempts/1/jobs").respond(200, json=jobs)
    respx_mock.get(f"{base}/runs/{run_id}").respond(200, json=failed_run(run_id=run_id))
    mock_log_download(respx_mock, FAILED_LOG, job_id=job_id)


def analyze(container, http: TestClient, run_id: int) -> dict:
    incident_id = post_github(http, run_webhook(run_id=run_id)).json()["incident_id"]
    container.new_worker().drain()
    detail = http.get(f"/api/v1/incidents/{incident_id}").json()
    return {**detail, "page": http.get(f"/dashboard/incidents/{incident_id}").text}


def other_runs(respx_mock: respx.Router, run_id: int) -> None:
    """Every other run of the workflow (what the remediation checks list): the failed one."""
    respx_mock.get(f"{API}/repos/{REPO}/actions/workflows/{WORKFLOW_ID}/runs").respond(
        200, json={"total_count": 1, "workflow_runs": [failed_run(run_id=run_id)]}
    )


def test_the_lines_the_green_run_lacks_lead_the_excerpt_and_the_evidence(container):
    with (
        respx.mock(assert_all_called=False) as respx_mock,
        TestClient(dashboard_app(container)) as http,
    ):
        listing, _, _ = mock_green_run(respx_mock, GREEN_LOG)
        mock_failed_run(respx_mock, 289782451, 399444496)
        other_runs(respx_mock, 289782451)
        detail = analyze(container, http, 289782451)

    excerpt = detail["excerpt"].split("\n")
    assert excerpt[:5] == NEW_TEXTS
    assert "Error: connect ECONNREFUSED 127.0.0.1:40007" in excerpt[5:]
    assert detail["evidence"][:3] == [text.strip() for text in NEW_TEXTS[:3]]
    green = detail["details"]["green_run"]
    assert green["compared"] is True
    assert green["lines_first"] == 5
    assert green["jobs"][0]["run_id"] == GREEN_RUN_ID
    assert "Last green run" in detail["page"]
    assert f"&#39;build&#39; with run {GREEN_RUN_ID}" in detail["page"]
    query = listing.calls.last.request.url.params
    assert (query["status"], query["branch"], query["per_page"]) == ("success", "master", "1")


def test_without_a_successful_run_the_comparison_is_skipped_and_the_incident_says_so(container):
    with (
        respx.mock(assert_all_called=False) as respx_mock,
        TestClient(dashboard_app(container)) as http,
    ):
        respx_mock.get(
            f"{API}/repos/{REPO}/actions/workflows/{WORKFLOW_ID}/runs",
            params={"status": "success"},
        ).respond(200, json={"total_count": 0, "workflow_runs": []})
        mock_failed_run(respx_mock, 289782451, 399444496)
        other_runs(respx_mock, 289782451)
        detail = analyze(container, http, 289782451)

    header = "=== job 'build' failed at step 'Install dependencies' ==="
    assert detail["excerpt"].split("\n")[0] == header
    note = "not compared with a successful run: no successful run of this workflow on branch master"
    assert detail["details"]["green_run"]["compared"] is False
    assert detail["details"]["green_run"]["note"] == note
    assert note in detail["page"]


def test_a_second_failure_of_the_same_workflow_and_job_reads_no_green_log_again(container):
    with (
        respx.mock(assert_all_called=False) as respx_mock,
        TestClient(create_app(container)) as http,
    ):
        listing, run_jobs, log = mock_green_run(respx_mock, GREEN_LOG)
        for run_id, job_id in ((289782451, 399444496), (289782452, 399444497)):
            mock_failed_run(respx_mock, run_id, job_id)
        other_runs(respx_mock, 289782452)
        first = analyze(container, http, 289782451)
        second = analyze(container, http, 289782452)

    assert (listing.call_count, run_jobs.call_count, log.call_count) == (1, 1, 1)
    assert first["details"]["green_run"]["compared"] is True
    assert second["details"]["green_run"]["compared"] is True
    assert second["excerpt"].split("\n")[0] == first["excerpt"].split("\n")[0]
