"""The weekly report function: a scheduled event posts the last week's figures to Slack."""

from types import SimpleNamespace

import pytest

from app import lambda_handler
from app.bootstrap import build_container
from app.core.errors import ConfigurationError
from tests.conftest import _truncate, make_settings
from tests.support.fake_slack import BOT_TOKEN, CHANNEL_ID, FakeSlack
from tests.support.reports import EXPECTED_FIGURES, seed_week

# The shape AWS documents for an EventBridge scheduled rule's event.
WEEKLY_EVENT = {
    "version": "0",
    "id": "89d1a02d-5ec7-412e-82f5-13505f849b41",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-11-30T08:00:00Z",
    "region": "us-east-1",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/codehealer-prod-report"],
    "detail": {},
}


def lambda_context() -> SimpleNamespace:
    return SimpleNamespace(aws_request_id="7e0c1f2a-report", function_name="codehealer-report")


@pytest.fixture
def fake():
    with FakeSlack() as server:
        yield server


def served(database_url, **overrides):
    settings = make_settings(database_url, llm_price_per_1k_tokens=0.5, **overrides)
    container = build_container(settings, database_url=database_url)
    lambda_handler.use_container(container)
    return container


@pytest.fixture
def with_slack(database_url, fake):
    container = served(
        database_url,
        slack_bot_token=BOT_TOKEN,
        slack_base_url=fake.base_url,
        slack_channel="#ops-reports",
    )
    yield container
    lambda_handler.reset_container_for_tests()
    _truncate(container)
    container.close()


@pytest.fixture
def without_slack(database_url):
    container = served(database_url, slack_bot_token=None)
    yield container
    lambda_handler.reset_container_for_tests()
    _truncate(container)
    container.close()


def test_the_weekly_event_posts_the_report_with_its_figures(with_slack, fake):
    seed_week(with_slack)

    result = lambda_handler.report_handler(dict(WEEKLY_EVENT), lambda_context())

    [post] = fake.calls_to("chat.postMessage")
    assert post.body["channel"] == "#ops-reports"
    for figure in EXPECTED_FIGURES:
        assert figure in post.body["text"], figure
    assert result["posted_to"] == CHANNEL_ID and result["incidents"] == 4


def test_without_a_bot_token_the_invocation_fails(without_slack):
    with pytest.raises(ConfigurationError, match="SLACK_BOT_TOKEN"):
        lambda_handler.report_handler(dict(WEEKLY_EVENT), lambda_context())
