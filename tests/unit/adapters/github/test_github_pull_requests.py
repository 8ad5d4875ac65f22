"""GitHubClient's contents, refs and pulls calls against respx, in GitHub's documented shapes."""

import base64
import json

import httpx
import pytest
import respx

from app.adapters.external.github.client import build_github_client
from app.core.errors import GitHubError
from tests.conftest import make_settings
from tests.support.github_pulls import API, FakeRepository, blob_sha

REPO = "octo-org/octo-repo"
SHA = "a" * 40
WORKFLOW = ".github/workflows/ci.yml"


@pytest.fixture
def github():
    client = build_github_client(
        make_settings(github_token="ghp_" + "a" * 36).github, sleep=lambda s: None
    )
    yield client
    client.close()


@pytest.fixture
def repository(respx_mock):
    fake = FakeRepository(REPO, files={SHA: {WORKFLOW: "on: push\n", "deploy/app.yaml": "a: 1\n"}})
    fake.route(respx_mock)
    return fake


def test_a_file_is_read_at_the_commit_with_its_blob_sha(github, repository, respx_mock):
    found = github.get_file(REPO, WORKFLOW, ref=SHA)
    assert (found.text, found.sha) == ("on: push\n", blob_sha("on: push\n"))
    assert respx_mock.calls.last.request.url.params["ref"] == SHA


def test_a_missing_file_is_none(github, repository):
    assert github.get_file(REPO, "nope.yml", ref=SHA) is None


def test_a_folder_lists_its_files(github, repository):
    assert [f.path for f in github.list_directory(REPO, "deploy", ref=SHA)] == ["deploy/app.yaml"]


def test_a_branch_is_created_at_the_commit_and_an_existing_one_is_reported(github, repository):
    assert github.create_branch(REPO, "codehealer/fix-1", sha=SHA) is True
    assert github.create_branch(REPO, "codehealer/fix-1", sha=SHA) is False
    body = json.loads(repository.writes[0].content)
    assert body == {"ref": "refs/heads/codehealer/fix-1", "sha": SHA}


def test_a_commit_sends_message_base64_content_blob_sha_and_branch(github, repository):
    github.create_branch(REPO, "codehealer/fix-1", sha=SHA)
    github.put_file(
        REPO,
        WORKFLOW,
        text="on: [push]\n",
        message="Fix",
        branch="codehealer/fix-1",
        blob_sha=blob_sha("on: push\n"),
    )
    body = json.loads(repository.writes[-1].content)
    assert base64.b64decode(body["content"]).decode() == "on: [push]\n"
    assert (body["message"], body["sha"], body["branch"]) == (
        "Fix",
        blob_sha("on: push\n"),
        "codehealer/fix-1",
    )


@pytest.mark.parametrize("branch", ["main", "release/1.0", "codehealer/../main"])
def test_no_write_goes_to_a_branch_codehealer_did_not_create(github, repository, branch):
    with pytest.raises(GitHubError, match="only to its own"):
        github.put_file(REPO, WORKFLOW, text="x", message="m", branch=branch, blob_sha="b")
    with pytest.raises(GitHubError, match="only to its own"):
        github.create_branch(REPO, branch, sha=SHA)
    assert repository.writes == []


def test_a_pull_request_is_opened_and_an_open_one_is_found_again(github, repository):
    first = github.open_pull_request(
        REPO, head="codehealer/fix-1", base="main", title="Fix", body="why"
    )
    again = github.open_pull_request(
        REPO, head="codehealer/fix-1", base="main", title="Fix", body="why"
    )
    assert (first.number, first.created) == (100, True)
    assert (again.number, again.created) == (100, False)
    assert first.url == f"https://github.com/{REPO}/pull/100"


def test_a_path_that_climbs_out_of_the_repository_is_refused(github):
    with pytest.raises(GitHubError, match="not a repository path"):
        github.get_file(REPO, "../secrets.yml", ref=SHA)


@respx.mock(base_url=API)
def test_a_refused_branch_other_than_existing_is_an_error(respx_mock, github):
    respx_mock.post(f"/repos/{REPO}/git/refs").mock(
        return_value=httpx.Response(422, json={"message": "Object does not exist"})
    )
    with pytest.raises(GitHubError, match="Object does not exist"):
        github.create_branch(REPO, "codehealer/fix-1", sha=SHA)


@respx.mock(base_url=API)
def test_the_default_branch_and_a_branch_head_are_read(respx_mock, github):
    respx_mock.get(f"/repos/{REPO}").respond(
        200, json={"full_name": REPO, "default_branch": "trunk"}
    )
    respx_mock.get(f"/repos/{REPO}/branches/trunk").respond(
        200, json={"name": "trunk", "commit": {"sha": SHA, "url": "u"}, "protected": True}
    )
    respx_mock.get(f"/repos/{REPO}/branches/gone").respond(
        404, json={"message": "Branch not found"}
    )
    assert github.default_branch(REPO) == "trunk"
    assert github.branch_head(REPO, "trunk") == SHA
    assert github.branch_head(REPO, "gone") is None
