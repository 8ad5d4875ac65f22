"""Settings on Lambda: an invalid value is refused by name, never echoed (it may be a secret)."""

import traceback
from types import SimpleNamespace

import pytest

from app import lambda_handler
from app.core.errors import ConfigurationError
from app.settings_loader import load_settings

TOKEN = "xoxb-1234567890-" + "PlantedSlackTokenTail42"


def test_the_loader_names_an_invalid_setting_without_its_value():
    with pytest.raises(ConfigurationError) as refused:
        load_settings({"WORKER_THREADS": TOKEN, "SLACK_BOT_TOKEN": TOKEN})
    text = "".join(traceback.format_exception(refused.value))
    assert "WORKER_THREADS" in text
    assert "PlantedSlackTokenTail42" not in text


def test_the_lambda_handler_logs_an_invalid_setting_without_its_value(
    monkeypatch, caplog, tmp_path
):
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    monkeypatch.setenv("WORKER_THREADS", TOKEN)
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.delenv("SECRETS_ARN", raising=False)
    lambda_handler.reset_container_for_tests()
    event = {"source": "aws.events", "detail-type": "Scheduled Event"}
    with pytest.raises(ConfigurationError) as refused:
        lambda_handler.handler(event, SimpleNamespace(aws_request_id="r-1"))
    assert "WORKER_THREADS" in caplog.text
    assert "PlantedSlackTokenTail42" not in caplog.text
    assert "PlantedSlackTokenTail42" not in "".join(traceback.format_exception(refused.value))
