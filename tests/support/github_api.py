"""Builders of GitHub REST API responses in their documented shapes, for respx routes."""

import json
from datetime import UTC, datetime
from typing import Any

from tests.conftest import fixture_bytes

API = "https://api.github.com"
REPO = "octo-org/octo-repo"
RUN_ID = 289782451
WORKFLOW_ID = 2823525
JOB_ID = 399444496
LOG_HOST = "https://pipelines.actions.example.test"
# The workflow's last successful run before the failed one, and its job.
GREEN_RUN_ID = 289782300
GREEN_JOB_ID = 399444300


def now_iso() -> str:
    """The published examples date from 2020; a run GitHub would still re-run is recent."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def failed_run(
    *,
    attempt: int = 1,
    conclusion: str = "failure",
    status: str = "completed",
    run_id: int = RUN_ID,
) -> dict[str, Any]:
    """A run object as GET /repos/{o}/{r}/actions/runs/{id} returns it (from the published example)."""
    run = json.loads(fixture_bytes("github/derived__workflow_run__completed.failure.payload.json"))[
        "workflow_run"
    ]
    run.update(
        run_attempt=attempt,
        conclusion=conclusion,
        status=status,
        id=run_id,
        run_started_at=now_iso(),
        created_at=now_iso(),
        updated_at=now_iso(),
    )
    return run


def run_webhook(
    *, attempt: int = 1, conclusion: str = "failure", run_id: int = RUN_ID, repo: str | None = None
) -> bytes:
    payload = json.loads(
        fixture_bytes("github/derived__workflow_run__completed.failure.payload.json")
    )
    payload["workflow_run"].update(
        run_attempt=attempt,
        conclusion=conclusion,
        id=run_id,
        run_started_at=now_iso(),
        updated_at=now_iso(),
    )
    if repo is not None:
        payload["repository"]["full_name"] = repo
    return json.dumps(payload).encode()


def attempt_jobs(*, job_id: int = JOB_ID, conclusion: str = "failure") -> dict[str, Any]:
    return {
        "total_count": 1,
        "jobs": [
            {
                "id": job_id,
                "run_id": RUN_ID,
                "name": "build",
                "status": "completed",
                "conclusion": conclusion,
                "steps": [
                    {
                        "name": "Set up job",
                        "status": "completed",
                        "conclusion": "success",
                        "number": 1,
                    },
                    {
                        "name": "Install dependencies",
                        "status": "completed",
                        "conclusion": conclusion,
                        "number": 2,
                    },
                ],
            }
        ],
    }


def mock_log_download(respx_mock, log_text: str, *, repo: str = REPO, job_id: int = JOB_ID) -> None:
    respx_mock.get(f"{API}/repos/{repo}/actions/jobs/{job_id}/logs").respond(
        302, headers={"Location": f"{LOG_HOST}/logs/{job_id}?sig=abc"}
    )
    respx_mock.get(f"{LOG_HOST}/logs/{job_id}").respond(200, text=log_text)


def successful_run(*, run_id: int = GREEN_RUN_ID) -> dict[str, Any]:
    """A completed successful run of the same workflow, as the runs listings return it."""
    return failed_run(conclusion="success", run_id=run_id)


def mock_green_run(
    respx_mock,
    log_text: str,
    *,
    repo: str = REPO,
    workflow_id: int = WORKFLOW_ID,
    run_id: int = GREEN_RUN_ID,
    job_id: int = GREEN_JOB_ID,
):
    """The workflow's last successful run (``status=success``), its jobs and the log of its
    ``build`` job; returns the routes of the run listing, the jobs listing and the log."""
    listing = respx_mock.get(
        f"{API}/repos/{repo}/actions/workflows/{workflow_id}/runs", params={"status": "success"}
    ).respond(200, json={"total_count": 1, "workflow_runs": [successful_run(run_id=run_id)]})
    jobs = attempt_jobs(job_id=job_id, conclusion="success")
    jobs["jobs"][0]["run_id"] = run_id
    jobs["jobs"][0]["html_url"] = f"https://github.com/{repo}/actions/runs/{run_id}/job/{job_id}"
    run_jobs = respx_mock.get(f"{API}/repos/{repo}/actions/runs/{run_id}/jobs").respond(
        200, json=jobs
    )
    log = respx_mock.get(f"{API}/repos/{repo}/actions/jobs/{job_id}/logs").respond(
        302, headers={"Location": f"{LOG_HOST}/logs/{job_id}?sig=abc"}
    )
    respx_mock.get(f"{LOG_HOST}/logs/{job_id}").respond(200, text=log_text)
    return listing, run_jobs, log
