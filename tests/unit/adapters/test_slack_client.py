"""The Slack client against a local Slack Web API: a 429 is retryable after what Retry-After
says, within the shared cap (app/adapters/external/http.py)."""

import email.utils
import time

import pytest

from app.adapters.external.http import MAX_RETRY_AFTER_SECONDS
from app.adapters.external.slack.client import build_slack_client
from app.core.errors import SlackError
from tests.conftest import make_settings
from tests.support.fake_slack import BOT_TOKEN, CHANNEL_ID, RATE_LIMITED, FakeSlack


def rate_limited_error(retry_after: str) -> SlackError:
    with FakeSlack(mode=RATE_LIMITED, retry_after=retry_after) as fake:
        settings = make_settings(None, slack_bot_token=BOT_TOKEN, slack_base_url=fake.base_url)
        with pytest.raises(SlackError) as raised:
            build_slack_client(settings.slack).post_message(CHANNEL_ID, "text", [])
    return raised.value


def test_a_429_is_retryable_after_the_seconds_slack_asks_for():
    error = rate_limited_error("30")
    assert error.retryable is True
    assert error.retry_after == 30.0


@pytest.mark.parametrize(
    "retry_after",
    ["99999999", email.utils.formatdate(time.time() + 35 * 365 * 86400, usegmt=True)],
    ids=["seconds", "date-decades-away"],
)
def test_a_wait_past_the_cap_is_capped(retry_after):
    assert rate_limited_error(retry_after).retry_after == MAX_RETRY_AFTER_SECONDS
