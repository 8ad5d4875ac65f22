"""The demo's settings: what makes it a demo wins over the environment, the rest is kept."""

from pathlib import Path

import pytest

from app.core.enums import Environment, Strategy
from app.demo.runner import DEMO_AUTO_FIX_THRESHOLD, DEMO_TOKEN, demo_settings, local_url


@pytest.fixture
def real_environment(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    for name, value in {
        "ENVIRONMENT": "prod",
        "GITHUB_TOKEN": "ghp_" + "r" * 36,
        "GITHUB_API_URL": "https://api.github.com",
        "DRY_RUN": "false",
        "SLACK_BOT_TOKEN": "xoxb-real",
        "QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/q",
        "DATABASE_URL": "postgresql://u:p@db.example.test/codehealer",
        "API_KEY": "the-real-key",
    }.items():
        monkeypatch.setenv(name, value)


def settings():
    return demo_settings(
        api_url="http://127.0.0.1:4321",
        webhook_secret="demo-secret",
        data_dir=Path(".codehealer-demo"),
        public_url="http://127.0.0.1:8000",
    )


def test_github_calls_go_to_the_stand_in_with_the_demo_token(real_environment):
    demo = settings()
    assert demo.github.api_url == "http://127.0.0.1:4321"
    assert demo.github.token.get_secret_value() == DEMO_TOKEN


def test_nothing_is_executed_and_nothing_is_posted_to_slack_or_sqs(real_environment):
    demo = settings()
    assert demo.effective_dry_run is True
    assert demo.slack.bot_token is None and demo.aws.queue_url is None


def test_it_runs_as_dev_with_the_demo_bar_and_its_own_webhook_secret(real_environment):
    demo = settings()
    assert demo.environment is Environment.DEV
    assert demo.effective_strategy is Strategy.SLACK_FIRST
    assert demo.decision.confidence_threshold == DEMO_AUTO_FIX_THRESHOLD
    assert demo.github.webhook_secret.get_secret_value() == "demo-secret"


def test_the_database_and_api_key_of_the_environment_are_kept(real_environment):
    demo = settings()
    assert demo.database.url == "postgresql://u:p@db.example.test/codehealer"
    assert demo.server.api_key.get_secret_value() == "the-real-key"


def test_without_database_url_the_embedded_server_uses_the_demo_folder(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("CODEHEALER_DATA_DIR", raising=False)
    demo = settings()
    assert demo.database.url is None
    assert demo.database.data_dir == Path(".codehealer-demo")


def test_a_wildcard_host_is_reached_on_loopback():
    assert local_url("0.0.0.0", 8000) == "http://127.0.0.1:8000"
    assert local_url("127.0.0.1", 8123) == "http://127.0.0.1:8123"
    assert local_url("::1", 8000) == "http://[::1]:8000"
