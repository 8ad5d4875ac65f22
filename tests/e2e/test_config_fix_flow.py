"""A workflow file with a YAML syntax error, end to end: the signed webhook, the real log of
such a failure (corpus: 338, "You have an error in your yaml syntax on line 17"), analysis,
a Slack approval (the local fake Slack), then a branch, one commit and a pull request against
a loopback GitHub (respx) — never a merge, never a write to the default branch — the diff in
the incident's Slack thread, and the pull request's merge as the verdict. A fix that would
touch permissions is refused with its reason and escalated."""

import json

import pytest
import respx
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.adapters.database.repositories.approvals import ApprovalRepository
from app.adapters.database.tables import Incident, RemediationAttempt
from app.bootstrap import build_container
from app.main import create_app
from tests.conftest import _truncate, fixture_bytes, make_settings
from tests.integration.api.test_slack_interactions import APPROVERS, SIGNING_SECRET, approve
from tests.support.fake_slack import BOT_TOKEN, FakeSlack
from tests.support.github_api import (
    API,
    REPO,
    RUN_ID,
    WORKFLOW_ID,
    attempt_jobs,
    failed_run,
    mock_log_download,
    run_webhook,
)
from tests.support.github_deliveries import post_github
from tests.support.github_pulls import FakeRepository

HEAD_SHA = "3484a3fb816e0859fd6e1cea078d76385ff50625"  # the run's head_sha in the fixture
UNQUOTED_ASTERISK_LOG = fixture_bytes("ci_logs/338_workflow_yaml_unquoted_asterisk.log").decode()
INVALID_AT_LINE_10_LOG = fixture_bytes("ci_logs/026_invalid_workflow_file_yaml_syntax.log").decode()
# The workflow the 338 log is about: its line 17 is the unquoted `args: **/*.yaml`.
MAIN_WORKFLOW = """name: Lint
on:
  push:
    branches: [master]
  pull_request:
jobs:
  cloudformation:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: cfn-lint
        uses: ScottBrenner/cfn-lint-action@v2
        with:
          args: **/*.yaml
"""
# The workflow the 026 log is about: line 10 is broken, and its repair would change permissions.
PR_BUILDER = """name: PR builder
on: [pull_request]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make build
  publish:
    permissions: contents: write
    runs-on: ubuntu-latest
    steps:
      - run: make publish
"""


@pytest.fixture
def slack():
    with FakeSlack() as server:
        yield server


@pytest.fixture
def flow(database_url, slack):
    settings = make_settings(
        database_url,
        github_token="ghp_" + "c" * 36,
        dry_run=False,
        approval_threshold=0.3,
        slack_bot_token=BOT_TOKEN,
        slack_base_url=slack.base_url,
        slack_signing_secret=SIGNING_SECRET,
        slack_approver_ids=",".join(APPROVERS),
    )
    container = build_container(settings, database_url=database_url)
    try:
        with TestClient(create_app(container), raise_server_exceptions=False) as http:
            yield container, http
    finally:
        _truncate(container)
        container.close()


def loopback_github(respx_mock, log_text: str) -> FakeRepository:
    respx_mock.route(host="127.0.0.1").pass_through()  # the fake Slack is real HTTP
    respx_mock.get(f"{API}/repos/{REPO}/actions/runs/{RUN_ID}/attempts/1/jobs").respond(
        200, json=attempt_jobs()
    )
    mock_log_download(respx_mock, log_text)
    respx_mock.get(f"{API}/repos/{REPO}/actions/runs/{RUN_ID}").respond(200, json=failed_run())
    respx_mock.get(f"{API}/repos/{REPO}/actions/workflows/{WORKFLOW_ID}/runs").respond(
        200, json={"total_count": 0, "workflow_runs": []}
    )
    repository = FakeRepository(
        REPO,
        default_branch="master",
        files={
            HEAD_SHA: {
                ".github/workflows/main.yml": MAIN_WORKFLOW,
                ".github/workflows/pr-builder.yml": PR_BUILDER,
            }
        },
    )
    repository.route(respx_mock)
    return repository


def failed_and_approved(container, http) -> int:
    """The failure delivered and analysed, then approved in Slack; the incident's id."""
    incident_id = post_github(http, run_webhook()).json()["incident_id"]
    container.new_worker().drain()
    detail = http.get(f"/api/v1/incidents/{incident_id}").json()
    assert (detail["category"], detail["action"]) == ("config_syntax", "config_fix_pr")
    assert detail["status"] == "awaiting_approval"
    with container.db.session() as session:
        nonce = ApprovalRepository(session).pending_for(incident_id).nonce
    assert approve(http, APPROVERS[0], incident_id, nonce).status_code == 200
    container.new_worker().drain()
    container.notifier.deliver_pending()
    return incident_id


def thread_replies(slack) -> list[str]:
    return [
        c.body.get("text", "")
        for c in slack.calls_to("chat.postMessage")
        if c.body.get("thread_ts")
    ]


def test_a_workflow_syntax_failure_becomes_a_pull_request_never_a_merge(flow, slack):
    container, http = flow
    with respx.mock(assert_all_called=False) as respx_mock:
        repository = loopback_github(respx_mock, UNQUOTED_ASTERISK_LOG)
        incident_id = failed_and_approved(container, http)

    assert [(r.method, r.url.path) for r in repository.writes] == [
        ("POST", f"/repos/{REPO}/git/refs"),
        ("PUT", f"/repos/{REPO}/contents/.github/workflows/main.yml"),
        ("POST", f"/repos/{REPO}/pulls"),
    ]
    assert repository.default_branch_writes() == []  # no merge, nothing written to master
    [commit] = repository.commits
    assert commit["branch"].startswith("codehealer/")
    assert commit["text"] == MAIN_WORKFLOW.replace("args: **/*.yaml", "args: '**/*.yaml'")
    [pull] = repository.pulls
    assert (pull["base"]["ref"], pull["head"]["ref"]) == ("master", commit["branch"])
    with container.db.session() as session:
        assert session.get(Incident, incident_id).status == "verifying"
    [reply] = [text for text in thread_replies(slack) if "pull request #100" in text]
    assert "+          args: '**/*.yaml'" in reply


def test_the_merge_of_the_pull_request_resolves_the_incident(flow, slack):
    container, http = flow
    with respx.mock(assert_all_called=False) as respx_mock:
        loopback_github(respx_mock, UNQUOTED_ASTERISK_LOG)
        incident_id = failed_and_approved(container, http)
    closed = json.loads(fixture_bytes("github/octokit__pull_request__closed.payload.json"))
    closed["repository"]["full_name"] = REPO
    closed["pull_request"].update(number=100, merged=True)
    answer = post_github(http, json.dumps(closed).encode(), event="pull_request")
    assert answer.json()["incident_id"] == incident_id
    with container.db.session() as session:
        assert session.get(Incident, incident_id).status == "resolved"
        attempt = session.execute(
            select(RemediationAttempt).where(RemediationAttempt.incident_id == incident_id)
        ).scalar_one()
        assert attempt.status == "verified"


def test_a_fix_that_would_touch_permissions_is_refused_and_escalated(flow, slack):
    container, http = flow
    with respx.mock(assert_all_called=False) as respx_mock:
        repository = loopback_github(respx_mock, INVALID_AT_LINE_10_LOG)
        incident_id = failed_and_approved(container, http)

    assert repository.writes == []  # no branch, no commit, no pull request
    detail = http.get(f"/api/v1/incidents/{incident_id}").json()
    assert detail["status"] == "escalated"
    assert detail["escalation_reason"] == "remediation_aborted"
    assert "touches 'permissions'" in detail["decision_reason"]
    assert any("Not executed: refused" in text for text in thread_replies(slack))
