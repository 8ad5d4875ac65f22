"""The Slack message of an incident escalated because the cause remains: the reason, the
runbook, and the history of the memory raises, through the local fake of Slack's Web API."""

import json

import pytest

from app.adapters.external.slack.client import build_slack_client
from app.bootstrap import build_container
from app.services.notifier import SlackNotifier
from tests.conftest import _truncate, make_settings
from tests.support.fake_slack import BOT_TOKEN, FakeSlack
from tests.support.memory_raises import decide_next, three_raises

PUBLIC_URL = "https://codehealer.example.com"


@pytest.fixture
def fake():
    with FakeSlack() as server:
        yield server


@pytest.fixture
def container(database_url, fake):
    settings = make_settings(
        database_url,
        dry_run=False,
        slack_bot_token=BOT_TOKEN,
        slack_base_url=fake.base_url,
        public_url=PUBLIC_URL,
    )
    built = build_container(settings, database_url=database_url)
    try:
        yield built
    finally:
        _truncate(built)
        built.close()


@pytest.fixture
def notifier(container):
    return SlackNotifier(
        container.db,
        build_slack_client(container.settings.slack),
        channel="#codehealer",
        public_url=PUBLIC_URL,
        runbook_base_url=container.settings.dashboard.runbook_base,
    )


def posted_sections(fake) -> list[str]:
    [post] = fake.calls_to("chat.postMessage")
    return [
        b["text"]["text"] for b in post.body["blocks"] if b["type"] == "section" and "text" in b
    ]


def test_the_escalation_message_shows_the_raises_and_links_the_runbook(container, notifier, fake):
    earlier = three_raises(container)
    incident = decide_next(container)

    notifier.deliver_pending()

    sections = posted_sections(fake)
    [diagnosis] = [s for s in sections if s.startswith("*Diagnosis*")]
    assert "was raised 3 times in 7 days" in diagnosis
    for before, after, incident_id in zip(
        ("256Mi", "384Mi", "576Mi"), ("384Mi", "576Mi", "864Mi"), earlier, strict=True
    ):
        assert f"(#{incident_id}); limit raised {before} → {after}" in diagnosis
    assert "most likely a leak" in diagnosis
    assert any("the fix works but the cause remains" in s for s in sections)
    [post] = fake.calls_to("chat.postMessage")
    blocks = json.dumps(post.body["blocks"], ensure_ascii=False)
    assert f"{PUBLIC_URL}/dashboard/runbooks/cause_remains.md" in blocks
    assert "The fix works but the cause remains" in blocks
    assert f"incident #{incident.id}" in blocks
