"""The Slack card built from an incident's row."""

from app.adapters.database.tables import Incident
from app.services.notifier import build_card


def test_the_card_names_the_failing_tests_of_the_incident():
    incident = Incident(
        id=7,
        source="github",
        kind="workflow_run",
        dedup_key="octo-org/octo-repo#1#1",
        fingerprint="github:octo-org/octo-repo:ci:main",
        status="escalated",
        repo="octo-org/octo-repo",
        category="test_failure",
        failing_tests=["tests/test_api.py::test_login"],
    )
    card = build_card(incident, approval=None, attempt=None, public_url="https://ch.example.com")
    assert card.failing_tests == ["tests/test_api.py::test_login"]
