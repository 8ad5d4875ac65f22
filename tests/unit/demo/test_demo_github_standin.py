"""The demo's GitHub stand-in, called by the real GitHub client and log source over loopback."""

from collections.abc import Iterator

import httpx
import pytest

from app.adapters.external.github.client import GitHubClient, build_github_client
from app.adapters.external.github.logs import GitHubLogSource
from app.core.enums import IncidentKind, IncidentSource
from app.core.errors import GitHubError
from app.core.models import IncidentTarget
from app.demo.github_standin import GitHubStandIn
from app.demo.scenario import DemoRun, plan_runs, read_log
from tests.conftest import make_settings

TOKEN = "stand-in-test-token"


@pytest.fixture(scope="module")
def runs() -> list[DemoRun]:
    return plan_runs(5_000_000_000)


@pytest.fixture
def standin(runs) -> Iterator[GitHubStandIn]:
    server = GitHubStandIn(runs, token=TOKEN)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def client_for(standin: GitHubStandIn, token: str = TOKEN) -> GitHubClient:
    settings = make_settings(
        github_token=token, github_api_url=standin.url, github_max_retries=1
    )
    return build_github_client(settings.github, sleep=lambda seconds: None)


@pytest.fixture
def github(standin) -> Iterator[GitHubClient]:
    client = client_for(standin)
    try:
        yield client
    finally:
        client.close()


def test_it_listens_on_loopback_on_a_free_port(standin):
    assert standin.url.startswith("http://127.0.0.1:")
    assert not standin.url.endswith(":0")


def test_a_run_is_the_published_run_object_with_the_demo_ids(github, runs):
    run = runs[0]
    data = github.get_run(run.repo, run.run_id)
    assert (data["id"], data["run_attempt"], data["conclusion"]) == (run.run_id, 1, "failure")
    assert data["workflow_id"] == run.workflow_id
    assert data["repository"]["full_name"] == run.repo
    assert data["head_branch"] == "master"


def test_the_attempt_lists_the_failed_job_and_its_failed_step(github, runs):
    run = runs[1]
    [job] = github.list_attempt_jobs(run.repo, run.run_id, 1)
    assert (job["id"], job["conclusion"], job["name"]) == (run.job_id, "failure", run.scenario.job)
    assert [s["name"] for s in job["steps"] if s["conclusion"] == "failure"] == [run.scenario.step]


def test_a_job_log_is_the_recorded_log_behind_a_redirect(github, runs):
    run = runs[2]
    assert github.download_job_log(run.repo, run.job_id) == read_log(run)


def test_the_log_source_reads_the_failed_job_as_it_would_from_github(github, runs):
    run = runs[3]
    target = IncidentTarget(
        id=1,
        source=IncidentSource.GITHUB,
        kind=IncidentKind.WORKFLOW_RUN,
        repo=run.repo,
        run_id=run.run_id,
        run_attempt=1,
    )
    fetched = GitHubLogSource(github).fetch(target)
    assert read_log(run) in fetched.text
    assert fetched.failed_jobs == [
        {"id": run.job_id, "name": run.scenario.job, "failed_step": run.scenario.step}
    ]


def test_a_wrong_token_is_refused_with_401(standin, runs):
    client = client_for(standin, token="not-the-token")
    try:
        with pytest.raises(GitHubError, match="answered 401"):
            client.get_run(runs[0].repo, runs[0].run_id)
    finally:
        client.close()


def test_an_unknown_run_is_404(github, runs):
    with pytest.raises(GitHubError, match="answered 404"):
        github.get_run(runs[0].repo, 1)


def test_the_log_url_without_its_signature_is_refused(standin, runs):
    response = httpx.get(f"{standin.url}/_blobs/job-logs/{runs[0].job_id}?sig=forged")
    assert response.status_code == 403


def test_a_rerun_starts_the_next_attempt(github, runs):
    run = runs[4]
    github.rerun_failed_jobs(run.repo, run.run_id)
    data = github.get_run(run.repo, run.run_id)
    assert (data["run_attempt"], data["status"], data["conclusion"]) == (2, "queued", None)
    [job] = github.list_attempt_jobs(run.repo, run.run_id, 2)
    assert job["status"] == "queued"


def test_the_newest_runs_of_a_workflow_are_its_own(github, runs):
    run = runs[5]
    listed = github.list_workflow_runs(run.repo, run.workflow_id, branch="master")
    assert [r["id"] for r in listed] == [run.run_id]


def test_the_caches_of_a_repository_are_empty(github, runs):
    assert github.list_caches(runs[0].repo) == []


def test_every_call_is_recorded(github, standin, runs):
    github.get_run(runs[0].repo, runs[0].run_id)
    assert standin.calls[-1] == ("GET", f"/repos/{runs[0].repo}/actions/runs/{runs[0].run_id}")
