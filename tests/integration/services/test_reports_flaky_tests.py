"""`codehealer report` lists the flakiest tests of each repository, in Markdown and for Slack."""

from datetime import timedelta

from app.adapters.database.repositories.flakes import FlakeRepository
from app.adapters.database.tables import utcnow
from app.services.reports import build_report, render_markdown, render_slack

LOGIN = "tests/test_api.py::test_login"


def record(container, test_id: str, verdict: str, sha: str, *, days_ago: float = 0) -> None:
    with container.db.session() as session:
        FlakeRepository(session).record(
            [test_id], verdict=verdict, repo="octo-org/api", head_sha=sha, run_id=None,
            incident_id=None, at=utcnow() - timedelta(days=days_ago),
        )  # fmt: skip


def report(container, days: int = 7) -> dict:
    with container.db.session() as session:
        return build_report(
            session,
            since=utcnow() - timedelta(days=days),
            price_per_1k_tokens=0.0,
            minutes_per_manual_fix=15,
            max_fixes_per_hour=10,
        )


def test_the_report_lists_tests_flaky_in_its_window_with_their_counts(container):
    record(container, LOGIN, "flaky", "c1", days_ago=1)
    record(container, LOGIN, "flaky", "c2", days_ago=2)
    record(container, LOGIN, "broken", "c3", days_ago=3)
    record(container, "tests/test_old.py::test_fixed_long_ago", "flaky", "c0", days_ago=40)

    flakiest = report(container)["flakiest_tests"]

    assert [(t["test"], t["flaky"], t["broken"]) for t in flakiest["octo-org/api"]] == [
        (LOGIN, 2, 1)
    ]


def test_markdown_names_each_repository_and_its_flaky_tests(container):
    record(container, LOGIN, "flaky", "c1")
    text = render_markdown(report(container))
    assert "## Flakiest tests" in text
    assert "- octo-org/api" in text
    assert f"`{LOGIN}` flaky ×1, failed again ×0" in text


def test_the_slack_report_names_the_flakiest_tests_escaped(container):
    record(container, LOGIN, "flaky", "c1")
    record(container, "test_<!channel>", "flaky", "c1")
    text = render_slack(report(container))
    assert f"`{LOGIN}`×1" in text
    assert "<!channel>" not in text and "`test_&lt;!channel&gt;`×1" in text


def test_without_flaky_tests_the_report_says_none(container):
    assert "- none seen flaky" in render_markdown(report(container))
    assert "• flakiest tests: none" in render_slack(report(container))
