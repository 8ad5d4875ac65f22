"""Settings: every variable is documented, secrets are secret, defaults follow the environment."""

from pathlib import Path

import pytest

from app.core.config import Settings, documented_variables

ENV_EXAMPLE = Path(__file__).parents[3] / ".env.example"


@pytest.mark.parametrize("name", sorted(documented_variables()))
def test_every_setting_is_in_env_example_with_a_comment(name):
    lines = ENV_EXAMPLE.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(f"{name}="))
    assert lines[index - 1].startswith("#")


def test_tokens_are_secret_strings():
    settings = Settings(_env_file=None, github_token="ghp_x", slack_bot_token="xoxb-1")
    assert "ghp_x" not in repr(settings) and "xoxb-1" not in repr(settings)


def test_prod_defaults_to_the_conservative_strategy():
    assert Settings(_env_file=None, environment="prod").effective_strategy == "conservative"
    assert Settings(_env_file=None, environment="dev").effective_strategy == "slack_first"


def test_dry_run_defaults_on_until_a_token_is_set():
    assert Settings(_env_file=None).effective_dry_run is True
    assert Settings(_env_file=None, github_token="t").effective_dry_run is False


def test_weights_must_add_up_to_one():
    with pytest.raises(ValueError):
        Settings(_env_file=None, weight_classifier=0.9)


def test_a_body_budget_smaller_than_the_body_limit_is_refused():
    with pytest.raises(ValueError, match="UNVERIFIED_BODY_BUDGET_BYTES"):
        Settings(_env_file=None, max_body_bytes=2048, unverified_body_budget_bytes=1024)


def test_approval_ttl_reads_the_documented_name(monkeypatch):
    monkeypatch.setenv("APPROVAL_TTL", "45")
    assert Settings(_env_file=None).decision.approval_ttl_minutes == 45


def test_an_incident_deadline_not_below_the_claim_timeout_is_refused():
    with pytest.raises(ValueError, match="WORKER_INCIDENT_DEADLINE_SECONDS"):
        Settings(
            _env_file=None, worker_claim_timeout_seconds=300, worker_incident_deadline_seconds=300
        )
