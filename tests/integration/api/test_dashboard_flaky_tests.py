"""The dashboard names failing tests: the flakiest tests of each repository on the overview,
the failing tests of an incident on its page."""

import html

import pytest
from fastapi.testclient import TestClient

from app.adapters.database.repositories.flakes import FlakeRepository
from app.adapters.database.tables import utcnow
from tests.support.dashboard import dashboard_app
from tests.support.incidents import analyzed_incident, insert

LOGIN = "tests/test_api.py::test_login"
LOGOUT = "tests/test_api.py::test_logout"


@pytest.fixture
def http(container) -> TestClient:
    return TestClient(dashboard_app(container), raise_server_exceptions=True)


def record(container, repo: str, test_id: str, verdict: str, *commits: str) -> None:
    with container.db.session() as session:
        for sha in commits:
            FlakeRepository(session).record(
                [test_id], verdict=verdict, repo=repo, head_sha=sha, run_id=None,
                incident_id=None, at=utcnow(),
            )  # fmt: skip


def flaky_rows(page: str) -> list[str]:
    return [html.unescape(row.split('"')[0]) for row in page.split('data-flaky-test="')[1:]]


def test_the_overview_lists_the_flakiest_tests_of_each_repository(http, container):
    record(container, "octo-org/api", LOGIN, "flaky", "c1", "c2")
    record(container, "octo-org/api", LOGOUT, "flaky", "c1")
    record(container, "octo-org/api", "tests/test_db.py::test_broken", "broken", "c1")
    record(container, "octo-org/web", "src/app.test.js › renders", "flaky", "c7")

    page = http.get("/dashboard").text

    assert flaky_rows(page) == [LOGIN, LOGOUT, "src/app.test.js › renders"]
    assert "<h3>octo-org/api</h3>" in page and "<h3>octo-org/web</h3>" in page


def test_without_flaky_tests_the_overview_says_what_makes_one(http):
    page = http.get("/dashboard").text
    assert "No test was flaky this week" in page


def test_a_flaky_test_id_is_escaped(http, container):
    record(container, "octo-org/api", "test_<script>alert(1)</script>", "flaky", "c1")
    page = http.get("/dashboard").text
    assert "<script>alert(1)" not in page
    assert flaky_rows(page) == ["test_<script>alert(1)</script>"]


def test_the_incident_page_names_its_failing_tests(http, container):
    incident = analyzed_incident(repo="octo-org/api", run_id=5, category="flaky_test")
    incident.failing_tests = [LOGIN, LOGOUT]
    [incident_id] = insert(container, incident)

    page = http.get(f"/dashboard/incidents/{incident_id}").text

    section = page.split('id="failing-tests"')[1].split("</ul>")[0]
    assert f"<code class=\"wrap\">{LOGIN}</code>" in section
    assert f"<code class=\"wrap\">{LOGOUT}</code>" in section
    assert "known flaky" in page
