"""`codehealer report --post` against a local Slack Web API: the figures arrive in the channel."""

import pytest

from app.cli import main
from tests.support.fake_slack import BOT_TOKEN, CHANNEL_ID, FakeSlack
from tests.support.reports import EXPECTED_FIGURES, seed_week


@pytest.fixture
def fake():
    with FakeSlack() as server:
        yield server


@pytest.fixture
def env(monkeypatch, database_url, tmp_path, fake):
    for name in ("GITHUB_TOKEN", "NVIDIA_API_KEY", "API_KEY", "STRATEGY", "DRY_RUN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", "cli-secret")
    monkeypatch.setenv("LOG_FORMAT", "text")
    monkeypatch.setenv("LLM_PRICE_PER_1K_TOKENS", "0.5")
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_BASE_URL", fake.base_url)
    monkeypatch.setenv("SLACK_CHANNEL", "#ops-reports")
    monkeypatch.chdir(tmp_path)


def test_report_post_sends_the_weeks_figures_to_the_channel(env, container, fake, capsys):
    seed_week(container)

    assert main(["report", "--since", "7d", "--post"]) == 0

    [post] = fake.calls_to("chat.postMessage")
    assert post.body["channel"] == "#ops-reports"
    text = post.body["text"]
    assert text.startswith("*CodeHealer report* since ")
    for figure in EXPECTED_FIGURES:
        assert figure in text, figure
    assert f"posted to {CHANNEL_ID}" in capsys.readouterr().err


def test_report_post_while_slack_is_down_fails_with_a_message(env, container, fake, capsys):
    seed_week(container)
    fake.down()

    assert main(["report", "--post"]) == 1

    assert "posting the report to Slack failed" in capsys.readouterr().err


def test_report_post_without_a_bot_token_says_what_is_missing(
    env, container, fake, monkeypatch, capsys
):
    monkeypatch.delenv("SLACK_BOT_TOKEN")

    assert main(["report", "--post"]) == 1

    assert "--post needs SLACK_BOT_TOKEN" in capsys.readouterr().err
    assert fake.calls == []
