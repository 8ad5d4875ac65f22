"""The dashboard says which actions now run by themselves for which failure, and which no longer
do: one line per promotion or demotion, newest first, linking the incident that moved it."""

import html
import re

import pytest
from fastapi.testclient import TestClient

from app.domain.audit import AuditEvent
from app.services.audit_trail import record_event
from tests.support.dashboard import dashboard_app
from tests.support.incidents import analyzed_incident, insert

PROMOTED = (
    "rerun_failed_jobs for “npm ERR! code ECONNRESET” is now automatic: 10 of 10 re-runs passed"
)
DEMOTED = (
    "rerun_failed_jobs for “npm ERR! code ECONNRESET” is no longer automatic: "
    "10 of 11 re-runs passed"
)


@pytest.fixture
def http(container) -> TestClient:
    return TestClient(dashboard_app(container), raise_server_exceptions=True)


def autonomy_lines(page: str) -> list[tuple[str, str]]:
    lines = []
    for item in page.split('<li data-autonomy="')[1:]:
        kind, _, rest = item.partition('">')
        text = html.unescape(re.sub(r"<[^>]+>", "", rest.split("</li>")[0]))
        lines.append((kind, " ".join(text.split())))
    return lines


def test_the_overview_lists_promotions_and_demotions_newest_first(http, container):
    first, second = insert(
        container,
        analyzed_incident(repo="octo-org/api", run_id=1),
        analyzed_incident(repo="octo-org/api", run_id=2),
    )
    with container.db.session() as session:
        record_event(session, AuditEvent.AUTONOMY_PROMOTED, incident_id=first,
                     details={"detail": PROMOTED})  # fmt: skip
    with container.db.session() as session:
        record_event(session, AuditEvent.AUTONOMY_DEMOTED, incident_id=second,
                     details={"detail": DEMOTED})  # fmt: skip

    lines = autonomy_lines(http.get("/dashboard").text)

    assert [kind for kind, _ in lines] == ["demoted", "promoted"]
    assert DEMOTED in lines[0][1] and f"(#{second})" in lines[0][1]
    assert PROMOTED in lines[1][1] and f"(#{first})" in lines[1][1]


def test_before_any_promotion_the_overview_says_how_one_is_earned(http):
    page = http.get("/dashboard").text

    assert autonomy_lines(page) == []
    assert "No action runs by itself yet" in page
