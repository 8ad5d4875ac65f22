"""GitHubClient against respx with GitHub's documented request and response shapes."""

import httpx
import pytest
import respx

from app.adapters.external.github.client import build_github_client
from app.core.errors import GitHubError
from tests.conftest import make_settings

API = "https://api.github.com"


@pytest.fixture
def github():
    client = build_github_client(
        make_settings(github_token="ghp_" + "a" * 36).github, sleep=lambda s: None
    )
    yield client
    client.close()


@respx.mock(base_url=API)
def test_requests_carry_token_version_and_accept_headers(respx_mock, github):
    route = respx_mock.get("/repos/o/r/actions/runs/5").mock(
        return_value=httpx.Response(200, json={"id": 5})
    )
    github.get_run("o/r", 5)
    request = route.calls.last.request
    assert request.headers["authorization"] == "Bearer ghp_" + "a" * 36
    assert request.headers["x-github-api-version"] == "2022-11-28"
    assert request.headers["accept"] == "application/vnd.github+json"


@respx.mock(assert_all_called=True)
def test_job_log_follows_the_redirect_without_sending_the_token(respx_mock, github):
    respx_mock.get(f"{API}/repos/o/r/actions/jobs/7/logs").mock(
        return_value=httpx.Response(
            302, headers={"Location": "https://blobs.example.test/log?sig=x"}
        )
    )
    blob = respx_mock.get("https://blobs.example.test/log").mock(
        return_value=httpx.Response(200, text="line 1\n##[error]boom\n")
    )
    assert github.download_job_log("o/r", 7) == "line 1\n##[error]boom\n"
    assert "authorization" not in blob.calls.last.request.headers


@respx.mock(base_url=API)
def test_job_log_404_means_not_ready(respx_mock, github):
    respx_mock.get("/repos/o/r/actions/jobs/7/logs").mock(return_value=httpx.Response(404))
    assert github.download_job_log("o/r", 7) is None


@respx.mock(base_url=API)
def test_attempt_jobs_are_paginated(respx_mock, github):
    jobs = [{"id": i} for i in range(150)]
    route = respx_mock.get("/repos/o/r/actions/runs/5/attempts/2/jobs").mock(
        side_effect=[
            httpx.Response(200, json={"total_count": 150, "jobs": jobs[:100]}),
            httpx.Response(200, json={"total_count": 150, "jobs": jobs[100:]}),
        ]
    )
    assert len(github.list_attempt_jobs("o/r", 5, 2)) == 150
    assert route.calls[1].request.url.params["page"] == "2"


@respx.mock(base_url=API)
def test_rerun_failed_jobs_posts_to_the_documented_path(respx_mock, github):
    route = respx_mock.post("/repos/o/r/actions/runs/5/rerun-failed-jobs").mock(
        return_value=httpx.Response(201, json={})
    )
    github.rerun_failed_jobs("o/r", 5)
    assert route.called


@pytest.mark.parametrize("repo", ["../etc", "o/r/../../x", "o", "o/r?x=1", "o/r#", ""])
def test_repo_names_that_could_steer_the_path_are_refused(github, repo):
    with pytest.raises(GitHubError):
        github.get_run(repo, 1)


def test_only_urls_on_the_configured_api_host_are_api_urls(github):
    assert github.is_api_url("https://api.github.com/repos/o/r/actions/runs/1/logs")
    assert not github.is_api_url("http://169.254.169.254/latest/meta-data")
    assert not github.is_api_url("http://127.0.0.1:8080/x")
    assert not github.is_api_url("file:///etc/passwd")


def test_enterprise_base_url_is_used(respx_mock=None):
    settings = make_settings(github_token="t", github_api_url="https://ghe.example.test/api/v3")
    client = build_github_client(settings.github, sleep=lambda s: None)
    with respx.mock(base_url="https://ghe.example.test/api/v3") as mock:
        route = mock.get("/repos/o/r/actions/runs/1").mock(
            return_value=httpx.Response(200, json={})
        )
        client.get_run("o/r", 1)
    assert route.called
    client.close()


@pytest.mark.parametrize("repo", ["octo/.", "octo/..", "octo/repo\n", "octo/re po", "octo/a..b"])
def test_names_github_would_not_give_are_refused_without_a_call(github, repo):
    with respx.mock(base_url=API, assert_all_called=False) as mock:
        route = mock.route().respond(200, json={})
        with pytest.raises(GitHubError, match="not a repository name"):
            github.get_run(repo, 1)
    assert not route.called
