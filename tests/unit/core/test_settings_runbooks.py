"""RUNBOOK_BASE_URL: where escalated incidents send people, with the dashboard as the default."""

from app.core.config import Settings


def test_without_runbook_base_url_runbooks_are_the_dashboards_under_public_url():
    settings = Settings(_env_file=None, public_url="https://heal.example.com/")
    assert settings.dashboard.runbook_base == "https://heal.example.com/dashboard/runbooks"


def test_an_empty_runbook_base_url_counts_as_unset():
    settings = Settings(_env_file=None, public_url="https://heal.example.com", runbook_base_url=" ")
    assert settings.dashboard.runbook_base == "https://heal.example.com/dashboard/runbooks"


def test_runbook_base_url_is_used_without_its_trailing_slash():
    settings = Settings(
        _env_file=None, runbook_base_url="https://git.example.com/ops/repo/blob/main/docs/runbooks/"
    )
    assert settings.dashboard.runbook_base == "https://git.example.com/ops/repo/blob/main/docs/runbooks"
