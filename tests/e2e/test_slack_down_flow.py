"""Slack being down never blocks or undoes a remediation; the message goes out once it is back."""

import pytest
import respx
from sqlalchemy import select

from app.adapters.database.tables import Incident, NotificationOutbox, utcnow
from app.bootstrap import build_container
from tests.conftest import FIXTURES, _truncate, make_settings
from tests.e2e.test_github_flow import deliver, mock_github
from tests.support.fake_slack import BOT_TOKEN, FakeSlack
from tests.support.github_api import run_webhook

NETWORK_LOG = (FIXTURES / "ci_logs" / "040_npm_econnreset_actions.log").read_text()


@pytest.fixture
def slack():
    with FakeSlack() as server:
        yield server


@pytest.fixture
def flow(database_url, slack):
    settings = make_settings(
        database_url,
        github_token="ghp_" + "h" * 36,
        dry_run=False,
        strategy="hybrid",
        confidence_threshold=0.5,
        approval_threshold=0.3,
        slack_bot_token=BOT_TOKEN,
        slack_base_url=slack.base_url,
    )
    container = build_container(settings, database_url=database_url)
    yield container
    _truncate(container)
    container.close()


def test_auto_fix_runs_while_slack_is_down_and_the_message_follows_later(flow, slack):
    from fastapi.testclient import TestClient

    from app.main import create_app

    slack.down()
    with respx.mock(assert_all_called=False) as github, TestClient(create_app(flow)) as http:
        github.route(host="127.0.0.1").pass_through()  # the fake Slack is real HTTP
        rerun = mock_github(github, NETWORK_LOG)
        incident_id = deliver(http, run_webhook()).json()["incident_id"]
        flow.new_worker().drain()
        flow.notifier.deliver_pending()
    assert rerun.call_count == 1  # the fix did not wait for Slack
    with flow.db.session() as session:
        assert session.get(Incident, incident_id).status == "verifying"
    with flow.db.session() as session:
        statuses = set(session.execute(select(NotificationOutbox.status)).scalars())
    assert statuses == {"pending"}  # refused by Slack, kept for later
    tried = len(slack.calls_to("chat.postMessage"))

    slack.up()
    with flow.db.session() as session:  # the backoff has passed
        for row in session.execute(select(NotificationOutbox)).scalars():
            row.next_attempt_at = utcnow()
    flow.notifier.deliver_pending()
    assert len(slack.calls_to("chat.postMessage")) > tried
    with flow.db.session() as session:
        statuses = set(session.execute(select(NotificationOutbox.status)).scalars())
        assert session.get(Incident, incident_id).status == "verifying"  # nothing undone
    assert statuses == {"sent"}
