"""The configuration-fix remediator against a repository behind respx (GitHub's shapes)."""

import json

import pytest

from app.adapters.external.github.client import build_github_client
from app.domain.remediators.base import RemediationStatus
from app.domain.remediators.open_fix_pull_request import FixPullRequestParams, OpenFixPullRequest
from tests.conftest import make_settings
from tests.support.github_pulls import FakeRepository, blob_sha

REPO = "octo-org/octo-repo"
SHA = "c" * 40
PATH = ".github/workflows/main.yml"
BROKEN = """name: lint
on: [push]
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: org/lint@v1
        with:
          args: **/*.yaml
"""


def params(**overrides) -> FixPullRequestParams:
    values = dict(
        repo=REPO,
        run_id=42,
        head_sha=SHA,
        head_branch="feature",
        path=PATH,
        line=10,
        message="error in your yaml syntax on line 10",
        diagnosis="unquoted alias in args",
    )
    return FixPullRequestParams.model_validate(values | overrides)


@pytest.fixture
def github():
    client = build_github_client(
        make_settings(github_token="ghp_" + "a" * 36).github, sleep=lambda s: None
    )
    yield client
    client.close()


@pytest.fixture
def repository(respx_mock):
    fake = FakeRepository(REPO, files={SHA: {PATH: BROKEN}, "main": {PATH: BROKEN}})
    fake.route(respx_mock)
    return fake


def test_a_broken_workflow_becomes_a_branch_a_commit_and_a_pull_request(github, repository):
    result = OpenFixPullRequest(github).execute(params())
    assert result.status is RemediationStatus.SUCCEEDED
    assert list(repository.branches) == ["codehealer/fix-run-42-github-workflows-main.yml"]
    assert repository.commits[0]["text"] == BROKEN.replace("**/*.yaml", "'**/*.yaml'")
    pull = repository.pulls[0]
    assert (pull["base"]["ref"], pull["head"]["ref"]) == (
        "feature",
        repository.commits[0]["branch"],
    )
    assert "unquoted alias in args" in pull["body"]
    assert result.data["pull_request"] == {
        "repo": REPO,
        "number": 100,
        "url": f"https://github.com/{REPO}/pull/100",
    }


def test_the_result_carries_the_diff_for_slack(github, repository):
    result = OpenFixPullRequest(github).execute(params())
    assert "-          args: **/*.yaml\n+          args: '**/*.yaml'" in result.detail
    assert "pull request #100" in result.detail


def test_nothing_is_merged_and_no_default_branch_is_written(github, repository):
    OpenFixPullRequest(github).execute(params())
    assert repository.default_branch_writes() == []
    assert [r.method for r in repository.writes] == ["POST", "PUT", "POST"]


def test_a_retry_finds_its_branch_commit_and_pull_request(github, repository):
    OpenFixPullRequest(github).execute(params())
    again = OpenFixPullRequest(github).execute(params())
    assert again.status is RemediationStatus.ALREADY_DONE
    assert (len(repository.commits), len(repository.pulls)) == (1, 1)


def test_a_file_missing_at_the_commit_aborts(github, repository):
    result = OpenFixPullRequest(github).execute(params(path=".github/workflows/gone.yml"))
    assert result.status is RemediationStatus.ABORTED
    assert repository.writes == []


def test_a_fix_touching_permissions_is_refused_with_the_reason(github, repository):
    class Model:
        def propose_fix(self, **kwargs):
            return "permissions: write-all\n" + BROKEN.replace("**/*.yaml", "'x'")

    broken = BROKEN.replace("    runs-on: ubuntu-latest\n", "")  # no repair fixes this
    repository.files[SHA][PATH] = broken
    result = OpenFixPullRequest(github, model=Model()).execute(params())
    assert result.status is RemediationStatus.ABORTED
    assert "touches 'permissions'" in result.detail
    assert repository.writes == []


def test_an_infrastructure_path_is_refused_before_any_call(github, repository):
    result = OpenFixPullRequest(github).prevalidate(params(path="infrastructure/terraform/x.yml"))
    assert result.status is RemediationStatus.ABORTED
    assert "infrastructure" in result.detail
    assert repository.writes == []


def test_a_path_that_is_not_a_configuration_file_is_refused(github):
    result = OpenFixPullRequest(github).prevalidate(params(path="src/main.py"))
    assert result.status is RemediationStatus.ABORTED


def test_the_planned_call_is_described_with_file_line_and_branch(github):
    assert OpenFixPullRequest(github).describe(params()) == (
        f"open a pull request on {REPO} fixing {PATH} (line 10) against feature"
    )


def test_the_commit_request_names_the_blob_it_replaces(github, repository):
    OpenFixPullRequest(github).execute(params())
    put = next(r for r in repository.writes if r.method == "PUT")
    assert json.loads(put.content)["sha"] == blob_sha(BROKEN)
