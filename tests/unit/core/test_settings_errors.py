"""Invalid settings: one line per error, named by variable, without the values (they may be secrets)."""

import traceback

import pytest

from app.core.config import Settings
from app.core.errors import ConfigurationError

TOKEN = "xoxb-1234567890-" + "PlantedSlackTokenTail42"


def refusal(**values) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as refused:
        Settings(_env_file=None, **values)
    return refused.value


def test_an_invalid_setting_is_named_by_its_variable_without_its_value():
    message = str(refusal(worker_threads=TOKEN))
    assert "WORKER_THREADS" in message
    assert TOKEN not in message and "PlantedSlackTokenTail42" not in message


def test_a_whole_settings_error_leaves_every_value_out():
    error = refusal(slack_bot_token=TOKEN, weight_classifier=0.9)
    assert "weights must add up to 1.0" in str(error)
    assert "PlantedSlackTokenTail42" not in "".join(traceback.format_exception(error))


def test_each_invalid_setting_gets_its_own_line():
    message = str(refusal(worker_threads="many", db_pool_size="lots"))
    lines = message.splitlines()
    assert any(line.strip().startswith("WORKER_THREADS:") for line in lines)
    assert any(line.strip().startswith("DB_POOL_SIZE:") for line in lines)


def test_an_aliased_setting_is_named_by_its_documented_variable(monkeypatch):
    monkeypatch.setenv("APPROVAL_TTL", TOKEN)
    message = str(refusal())
    assert "APPROVAL_TTL" in message and TOKEN not in message


def test_an_invalid_setting_is_still_a_value_error():
    with pytest.raises(ValueError):
        Settings(_env_file=None, worker_threads=0)
