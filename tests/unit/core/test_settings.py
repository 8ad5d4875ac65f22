"""Settings: every variable is documented, secrets are secret, defaults follow the environment."""

from pathlib import Path

import pytest

from app.core.config import Settings, documented_variables, setting_variables
from app.core.settings_parts import SlackSettings

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


def test_each_variable_names_one_field_of_one_part():
    places = [setting_variables()[name] for name in documented_variables()]
    assert len(places) == len(set(places))
    for part, field in places:
        owner = Settings if part is None else type(getattr(Settings(_env_file=None), part))
        assert field in owner.model_fields


def test_variables_from_the_environment_land_in_their_parts(monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_from_env")
    monkeypatch.setenv("K8S_API_URL", "https://k8s.example.test")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.example.test/x")
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    monkeypatch.setenv("APPROVAL_TTL_MINUTES", "12")
    settings = Settings(_env_file=None)
    assert settings.github.token.get_secret_value() == "ghp_from_env"
    assert settings.kubernetes.api_url == "https://k8s.example.test"
    assert settings.database.url == "postgresql://db.example.test/x"
    assert settings.aws.region == "eu-central-1"
    assert settings.decision.approval_ttl_minutes == 12


def test_arguments_win_over_the_environment_and_the_environment_over_env_file(
    monkeypatch, tmp_path
):
    env_file = tmp_path / ".env"
    env_file.write_text("SLACK_CHANNEL=#from-file\nGITHUB_API_URL=https://file.example.test\n")
    monkeypatch.setenv("SLACK_CHANNEL", "#from-env")
    monkeypatch.setenv("MAX_FIXES_PER_HOUR", "4")
    settings = Settings(_env_file=env_file, max_fixes_per_hour=7)
    assert settings.slack.channel == "#from-env"
    assert settings.github.api_url == "https://file.example.test"
    assert settings.decision.max_fixes_per_hour == 7


def test_a_whole_part_can_be_handed_in():
    settings = Settings(_env_file=None, slack=SlackSettings(channel="#ops"))
    assert settings.slack.channel == "#ops"


def test_a_part_is_read_from_its_documented_names_only():
    assert Settings(_env_file=None, token="ghp_unprefixed").github.token is None
