"""LastGreenRun against respx: the same job in the workflow's last successful run, bounded."""

import pytest
import respx

from app.adapters.external.github.client import build_github_client
from app.adapters.external.github.green_run import LastGreenRun
from app.core.analysis.green_diff import masked_line
from app.core.targets import RunTarget
from tests.conftest import make_settings
from tests.support.github_api import (
    API,
    GREEN_JOB_ID,
    GREEN_RUN_ID,
    REPO,
    RUN_ID,
    WORKFLOW_ID,
    mock_green_run,
)

GREEN_LOG = (
    "2024-03-01T10:11:12.1234567Z Run npm ci\n"
    "2024-03-01T10:11:40.0000000Z added 1290 packages in 28s\n"
)
RUN = RunTarget(repo=REPO, run_id=RUN_ID, workflow_id=WORKFLOW_ID, head_branch="master")
FAILED_JOBS = [{"id": 1, "name": "build", "conclusion": "failure"}]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _letters(number: int) -> str:
    """A name without digits (the masking would make numbered names alike)."""
    return "".join(chr(97 + int(d)) for d in str(number))


@pytest.fixture
def github():
    client = build_github_client(
        make_settings(github_token="ghp_" + "a" * 36).github, sleep=lambda s: None
    )
    yield client
    client.close()


def test_the_same_job_of_the_last_successful_run_on_the_branch_is_read(github) -> None:
    with respx.mock(assert_all_called=True) as respx_mock:
        listing, _, _ = mock_green_run(respx_mock, GREEN_LOG)
        baseline = LastGreenRun().baseline(github, RUN, FAILED_JOBS)
    query = listing.calls.last.request.url.params
    assert (query["status"], query["branch"], query["per_page"]) == ("success", "master", "1")
    (job,) = baseline.jobs
    assert (job.job, job.run_id, job.job_id, job.skipped) == (
        "build",
        GREEN_RUN_ID,
        GREEN_JOB_ID,
        None,
    )
    assert masked_line("added 1290 packages in 28s") in baseline.lines
    assert baseline.compared


def test_a_second_failure_of_the_same_workflow_and_job_is_compared_without_a_call(github) -> None:
    green = LastGreenRun()
    with respx.mock(assert_all_called=False) as respx_mock:
        routes = mock_green_run(respx_mock, GREEN_LOG)
        first = green.baseline(github, RUN, FAILED_JOBS)
        second = green.baseline(github, RUN.model_copy(update={"run_id": RUN_ID + 1}), FAILED_JOBS)
    assert [route.call_count for route in routes] == [1, 1, 1]
    assert second == first


def test_after_the_cache_period_the_last_successful_run_is_looked_up_again(github) -> None:
    clock = Clock()
    green = LastGreenRun(ttl_seconds=60, clock=clock)
    with respx.mock(assert_all_called=False) as respx_mock:
        listing, _, log = mock_green_run(respx_mock, GREEN_LOG)
        green.baseline(github, RUN, FAILED_JOBS)
        clock.now += 61
        green.baseline(github, RUN, FAILED_JOBS)
    assert (listing.call_count, log.call_count) == (2, 2)


def test_no_successful_run_skips_the_comparison_and_is_remembered(github) -> None:
    green = LastGreenRun()
    with respx.mock(assert_all_called=False) as respx_mock:
        listing = respx_mock.get(f"{API}/repos/{REPO}/actions/workflows/{WORKFLOW_ID}/runs")
        listing.respond(200, json={"total_count": 0, "workflow_runs": []})
        first = green.baseline(github, RUN, FAILED_JOBS)
        green.baseline(github, RUN, FAILED_JOBS)
    assert listing.call_count == 1
    assert not first.compared
    assert first.jobs[0].skipped == "no successful run of this workflow on branch master"
    assert first.lines == frozenset()


def test_a_run_that_does_not_say_success_is_not_taken_for_green(github) -> None:
    from tests.support.github_api import failed_run

    with respx.mock(assert_all_called=False) as respx_mock:
        respx_mock.get(f"{API}/repos/{REPO}/actions/workflows/{WORKFLOW_ID}/runs").respond(
            200, json={"total_count": 1, "workflow_runs": [failed_run()]}
        )
        baseline = LastGreenRun().baseline(github, RUN, FAILED_JOBS)
    assert baseline.jobs[0].skipped == "no successful run of this workflow on branch master"


def test_a_job_the_successful_run_does_not_have_is_skipped(github) -> None:
    with respx.mock(assert_all_called=False) as respx_mock:
        mock_green_run(respx_mock, GREEN_LOG)
        baseline = LastGreenRun().baseline(github, RUN, [{"id": 2, "name": "deploy"}])
    assert baseline.jobs[0].skipped == (
        f"the last successful run {GREEN_RUN_ID} has no successful job 'deploy'"
    )


def test_an_unreadable_successful_run_skips_the_comparison_instead_of_failing(github) -> None:
    with respx.mock(assert_all_called=False) as respx_mock:
        _, run_jobs, _ = mock_green_run(respx_mock, GREEN_LOG)
        run_jobs.respond(403, json={"message": "Resource not accessible by integration"})
        baseline = LastGreenRun().baseline(github, RUN, FAILED_JOBS)
    (job,) = baseline.jobs
    assert job.skipped is not None
    assert job.skipped.startswith("the last successful run could not be read (")
    assert "403" in job.skipped


def test_a_green_log_that_is_gone_skips_the_comparison(github) -> None:
    with respx.mock(assert_all_called=False) as respx_mock:
        _, _, log = mock_green_run(respx_mock, GREEN_LOG)
        log.respond(404)
        baseline = LastGreenRun().baseline(github, RUN, FAILED_JOBS)
    assert baseline.jobs[0].skipped == (
        f"the log of job {GREEN_JOB_ID} of the last successful run is gone"
    )


def test_only_the_head_and_the_tail_of_a_large_green_log_are_kept(github) -> None:
    middle = "".join(f"compiling module {_letters(i)}\n" for i in range(2000))
    text = "first line of the set-up\n" + middle + "last line of the clean-up\n"
    with respx.mock(assert_all_called=False) as respx_mock:
        mock_green_run(respx_mock, text)
        baseline = LastGreenRun(max_log_bytes=4096).baseline(github, RUN, FAILED_JOBS)
    assert masked_line("first line of the set-up") in baseline.lines
    assert masked_line("last line of the clean-up") in baseline.lines
    assert masked_line(f"compiling module {_letters(1000)}") not in baseline.lines


def test_a_run_that_names_no_workflow_is_not_compared(github) -> None:
    run = RUN.model_copy(update={"workflow_id": None})
    with respx.mock(assert_all_mocked=True) as respx_mock:
        baseline = LastGreenRun().baseline(github, run, FAILED_JOBS)
    assert len(respx_mock.calls) == 0
    assert baseline.jobs[0].skipped == "the run names no workflow"
