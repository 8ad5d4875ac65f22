"""GitHub remediators against respx with the documented request and response shapes."""

import json
from base64 import b64decode, b64encode

import httpx
import pytest
import respx
from nacl.public import PrivateKey, SealedBox

from app.adapters.external.github.client import build_github_client
from app.adapters.secrets.env import EnvSecretStore
from app.core.errors import GitHubError
from app.domain.remediators.base import RemediationStatus
from app.domain.remediators.github_run import GitHubRunParams
from app.domain.remediators.refresh_secret import RefreshSecret, RefreshSecretParams, SecretSource
from app.domain.remediators.rerun_failed_jobs import RerunFailedJobs
from app.domain.remediators.rerun_no_cache import RerunNoCache, RerunNoCacheParams
from tests.conftest import make_settings
from tests.support.github_api import API, REPO, RUN_ID, WORKFLOW_ID, failed_run

RUN_PATH = f"/repos/{REPO}/actions/runs/{RUN_ID}"
PARAMS = GitHubRunParams(repo=REPO, run_id=RUN_ID, run_attempt=1, head_branch="master")


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def github(sleeps):
    client = build_github_client(make_settings(github_token="ghp_" + "b" * 36).github, sleep=sleeps.append)
    yield client
    client.close()


def mock_prevalidation(respx_mock, *, run=None, newest=None):
    run = run or failed_run()
    respx_mock.get(RUN_PATH).respond(200, json=run)
    respx_mock.get(f"/repos/{REPO}/actions/workflows/{WORKFLOW_ID}/runs").respond(
        200, json={"total_count": 1, "workflow_runs": newest or [run]}
    )


@respx.mock(base_url=API)
def test_rerun_failed_jobs_posts_once(respx_mock, github):
    mock_prevalidation(respx_mock)
    post = respx_mock.post(f"{RUN_PATH}/rerun-failed-jobs").respond(201, json={})
    remediator = RerunFailedJobs(github)
    assert remediator.prevalidate(PARAMS) is None
    result = remediator.execute(PARAMS)
    assert result.status is RemediationStatus.SUCCEEDED
    assert post.call_count == 1
    assert post.calls.last.request.headers["authorization"].startswith("Bearer ghp_")


@respx.mock(base_url=API)
def test_rerun_retries_429_honouring_retry_after(respx_mock, github, sleeps):
    post = respx_mock.post(f"{RUN_PATH}/rerun-failed-jobs").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(201, json={}),
        ]
    )
    assert RerunFailedJobs(github).execute(PARAMS).status is RemediationStatus.SUCCEEDED
    assert post.call_count == 2
    assert sleeps == [7.0]


@respx.mock(base_url=API)
def test_rerun_retries_5xx_then_succeeds(respx_mock, github):
    post = respx_mock.post(f"{RUN_PATH}/rerun-failed-jobs").mock(
        side_effect=[httpx.Response(502), httpx.Response(503), httpx.Response(201, json={})]
    )
    assert RerunFailedJobs(github).execute(PARAMS).status is RemediationStatus.SUCCEEDED
    assert post.call_count == 3


@respx.mock(base_url=API)
def test_rerun_401_raises_without_retry_storm(respx_mock, github):
    post = respx_mock.post(f"{RUN_PATH}/rerun-failed-jobs").respond(
        401, json={"message": "Bad credentials"}
    )
    with pytest.raises(GitHubError) as raised:
        RerunFailedJobs(github).execute(PARAMS)
    assert post.call_count == 1
    assert raised.value.retryable is False


@respx.mock(base_url=API, assert_all_called=False)
def test_superseded_run_is_aborted_before_any_post(respx_mock, github):
    run = failed_run()
    newer = {**failed_run(run_id=RUN_ID + 10), "conclusion": "success"}
    mock_prevalidation(respx_mock, run=run, newest=[newer, run])
    post = respx_mock.post(f"{RUN_PATH}/rerun-failed-jobs").respond(201, json={})
    result = RerunFailedJobs(github).prevalidate(PARAMS)
    assert result.status is RemediationStatus.ABORTED
    assert "superseded" in result.detail
    assert not post.called


@respx.mock(base_url=API, assert_all_called=False)
def test_advanced_run_attempt_means_already_done(respx_mock, github):
    mock_prevalidation(respx_mock, run=failed_run(attempt=2, status="in_progress", conclusion=None))
    result = RerunFailedJobs(github).prevalidate(PARAMS)
    assert result.status is RemediationStatus.ALREADY_DONE


@respx.mock(base_url=API)
def test_rerun_no_cache_deletes_the_refs_caches_then_reruns(respx_mock, github):
    caches = respx_mock.get(f"/repos/{REPO}/actions/caches").respond(
        200,
        json={
            "total_count": 2,
            "actions_caches": [
                {
                    "id": 505,
                    "ref": "refs/heads/master",
                    "key": "Linux-node-abc",
                    "size_in_bytes": 1024,
                },
                {
                    "id": 506,
                    "ref": "refs/heads/master",
                    "key": "Linux-pip-def",
                    "size_in_bytes": 2048,
                },
            ],
        },
    )
    deleted = respx_mock.delete(url__regex=rf"/repos/{REPO}/actions/caches/\d+$").respond(204)
    post = respx_mock.post(f"{RUN_PATH}/rerun-failed-jobs").respond(201, json={})
    params = RerunNoCacheParams(repo=REPO, run_id=RUN_ID, run_attempt=1, head_branch="master")
    result = RerunNoCache(github).execute(params)
    assert result.status is RemediationStatus.SUCCEEDED
    assert caches.calls.last.request.url.params["ref"] == "refs/heads/master"
    assert sorted(str(c.request.url.path).rsplit("/", 1)[1] for c in deleted.calls) == [
        "505",
        "506",
    ]
    assert post.call_count == 1


@respx.mock(base_url=API)
def test_refresh_secret_sends_a_sealed_box_the_repo_key_can_open(respx_mock, github):
    private = PrivateKey.generate()
    public_b64 = b64encode(bytes(private.public_key)).decode()
    respx_mock.get(f"/repos/{REPO}/actions/secrets/public-key").respond(
        200, json={"key_id": "012345678912345678", "key": public_b64}
    )
    put = respx_mock.put(f"/repos/{REPO}/actions/secrets/NPM_TOKEN").respond(204)
    respx_mock.post(f"{RUN_PATH}/rerun-failed-jobs").respond(201, json={})
    store = EnvSecretStore({"SOURCE_NPM": "npm_s3cr3t-value"})
    remediator = RefreshSecret(
        github,
        sources=[SecretSource(name="NPM_TOKEN", source="env", key="SOURCE_NPM")],
        stores={"env": store},
    )
    params = RefreshSecretParams(repo=REPO, run_id=RUN_ID, secret_name="NPM_TOKEN")
    result = remediator.execute(params)
    body = json.loads(put.calls.last.request.content)
    assert body["key_id"] == "012345678912345678"
    assert SealedBox(private).decrypt(b64decode(body["encrypted_value"])) == b"npm_s3cr3t-value"
    assert "npm_s3cr3t-value" not in result.model_dump_json()


def test_refresh_secret_without_a_configured_source_is_aborted(github):
    remediator = RefreshSecret(github, sources=[], stores={})
    params = RefreshSecretParams(repo=REPO, run_id=RUN_ID, secret_name="UNKNOWN")
    assert remediator.prevalidate(params).status is RemediationStatus.ABORTED


def test_params_are_validated_before_any_call():
    with pytest.raises(ValueError):
        GitHubRunParams(repo="../../etc", run_id=1)
    with pytest.raises(ValueError):
        GitHubRunParams(repo="o/r", run_id=0)
