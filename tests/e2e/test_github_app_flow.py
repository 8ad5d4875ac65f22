"""CodeHealer installed as a GitHub App, end to end against a loopback GitHub that verifies the
App's JWT (RS256, the App's public key) and accepts only the installation tokens it issued:
failure deliveries carrying ``installation.id`` → one token exchange, every call of every
incident made with that installation token; a token GitHub stops accepting → one refresh."""

import json
import re

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from app.adapters.database.tables import Incident
from app.bootstrap import build_container
from app.main import create_app
from tests.conftest import FIXTURES, _truncate, fixture_bytes, make_settings
from tests.support.github_api import REPO, RUN_ID, run_webhook
from tests.support.github_deliveries import post_github
from tests.support.loopback_github import BLOB_PREFIX, LoopbackGitHub

APP_ID = 364102
OTHER_REPO = "octo-org/hello-world"
OTHER_RUN_ID = RUN_ID + 1000
NETWORK_LOG = (FIXTURES / "ci_logs" / "040_npm_econnreset_actions.log").read_text()
# The installation object exactly as GitHub sends it to an App (published example).
INSTALLATION = json.loads(fixture_bytes("github/octokit__workflow_job__in_progress.payload.json"))[
    "installation"
]
EXCHANGE = r"/app/installations/\d+/access_tokens"


@pytest.fixture(scope="module")
def app_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def github(app_key):
    installations = {INSTALLATION["id"]: [REPO, OTHER_REPO]}
    with LoopbackGitHub(APP_ID, app_key.public_key(), installations) as server:
        yield server


@pytest.fixture
def flow(database_url, github, app_key):
    """Real (not dry-run) execution with a reachable threshold, as in test_github_flow."""
    pem = app_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    settings = make_settings(
        database_url,
        github_app_id=APP_ID,
        github_app_private_key=pem,
        github_api_url=github.url,
        dry_run=None,  # an App configuration alone must be enough to act
        strategy="hybrid",
        confidence_threshold=0.5,
        approval_threshold=0.3,
    )
    assert settings.effective_dry_run is False
    container = build_container(settings, database_url=database_url)
    yield container
    _truncate(container)
    container.close()


@pytest.fixture
def http(flow):
    with TestClient(create_app(flow)) as client:
        yield client


def deliver_failure(http, *, repo: str, run_id: int) -> int:
    payload = json.loads(run_webhook(repo=repo, run_id=run_id))
    payload["installation"] = INSTALLATION
    body = json.dumps(payload).encode()
    response = post_github(http, body)
    assert response.status_code == 202, response.text
    return response.json()["incident_id"]


def api_calls(github: LoopbackGitHub):
    """Calls to the API proper: not the App's token exchange, not the signed log blob URL."""
    return [c for c in github.calls if not c.path.startswith(("/app/", BLOB_PREFIX))]


def test_two_failures_of_one_installation_share_one_token_for_every_call(http, flow, github):
    github.add_failed_run(REPO, RUN_ID, NETWORK_LOG)
    github.add_failed_run(OTHER_REPO, OTHER_RUN_ID, NETWORK_LOG)
    first = deliver_failure(http, repo=REPO, run_id=RUN_ID)
    second = deliver_failure(http, repo=OTHER_REPO, run_id=OTHER_RUN_ID)

    flow.new_worker().drain()

    exchanges = github.token_exchanges()
    assert [c.path for c in exchanges] == [f"/app/installations/{INSTALLATION['id']}/access_tokens"]
    assert exchanges[0].status == 201
    [token] = github.issued_tokens()
    calls = api_calls(github)
    for repo, run_id in ((REPO, RUN_ID), (OTHER_REPO, OTHER_RUN_ID)):
        run = f"/repos/{repo}/actions/runs/{run_id}"
        touched = {c.path for c in calls if c.path.startswith(f"/repos/{repo}/")}
        assert f"{run}/attempts/1/jobs" in touched  # logs were read ...
        assert any(p.endswith("/logs") for p in touched)
        assert run in touched  # ... the run validated ...
        assert f"{run}/rerun-failed-jobs" in touched  # ... and re-run
    assert all(c.authorization == f"Bearer {token}" for c in calls)
    assert all(c.status < 400 for c in calls)
    # The JWT went out once, to the exchange; the log blob URL got no credential at all.
    not_the_token = [c for c in github.calls if c.authorization != f"Bearer {token}"]
    assert [c.path for c in not_the_token if c.authorization] == [exchanges[0].path]
    assert all(c.path.startswith(BLOB_PREFIX) for c in not_the_token if not c.authorization)
    with flow.db.session() as session:
        incidents = [session.get(Incident, i) for i in (first, second)]
    assert [i.github_installation_id for i in incidents] == [INSTALLATION["id"]] * 2
    assert [i.status for i in incidents] == ["verifying", "verifying"]


def test_a_token_github_stops_accepting_is_refreshed_exactly_once(http, flow, github):
    github.add_failed_run(REPO, RUN_ID, NETWORK_LOG)
    deliver_failure(http, repo=REPO, run_id=RUN_ID)
    flow.new_worker().drain()
    assert len(github.token_exchanges()) == 1

    github.revoke_tokens()  # the cached token is still within its expires_at
    github.add_failed_run(OTHER_REPO, OTHER_RUN_ID, NETWORK_LOG)
    second = deliver_failure(http, repo=OTHER_REPO, run_id=OTHER_RUN_ID)
    flow.new_worker().drain()

    assert len(github.token_exchanges()) == 2
    refused = [c for c in github.calls if c.status == 401]
    assert len(refused) == 1  # the first call of the second incident, with the cached token
    fresh = github.issued_tokens()[1]
    at = github.calls.index(refused[0])
    exchange, retried = github.calls[at + 1 : at + 3]
    assert re.fullmatch(EXCHANGE, exchange.path)
    assert (retried.method, retried.path, retried.authorization, retried.status) == (
        refused[0].method,
        refused[0].path,
        f"Bearer {fresh}",
        200,
    )
    later = [c for c in github.calls[at + 2 :] if not c.path.startswith(BLOB_PREFIX)]
    assert later and all(c.authorization == f"Bearer {fresh}" for c in later)
    reruns = github.calls_to(
        "POST", rf"/repos/{OTHER_REPO}/actions/runs/{OTHER_RUN_ID}/rerun-failed-jobs"
    )
    assert [c.authorization for c in reruns] == [f"Bearer {fresh}"]
    with flow.db.session() as session:
        assert session.get(Incident, second).status == "verifying"
