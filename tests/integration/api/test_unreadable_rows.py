"""A row holding a value Python cannot hold (stored before payloads were checked, or by hand)
never takes the read API or the dashboard down: it is shown with what can be shown.

The values are the ones a delivery could store: ``0001-01-01T00:00:00+14:00`` is year 0 (1 BC)
in UTC, which timestamptz keeps and Python's datetime cannot; jsonb keeps integers with more
digits than Python converts; double precision keeps NaN, which JSON has not.
"""

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.support.dashboard import dashboard_app
from tests.support.incidents import analyzed_incident, insert

BC_DATE = "0001-12-31 10:00:00+00 BC"


@pytest.fixture
def http(container) -> TestClient:
    return TestClient(dashboard_app(container), raise_server_exceptions=False)


def seeded(container, **columns: str) -> tuple[int, int]:
    """A good incident, and one whose ``columns`` are set to raw SQL values."""
    good, bad = insert(
        container,
        analyzed_incident(repo="octo/good", run_id=1),
        analyzed_incident(repo="octo/bad", run_id=2),
    )
    assignments = ", ".join(f"{column} = {value}" for column, value in columns.items())
    if assignments:
        with container.db.engine.begin() as connection:
            connection.execute(text(f"UPDATE incidents SET {assignments} WHERE id = {bad}"))
    return good, bad


def with_unreadable_delivery(container, incident_id: int) -> None:
    payload = '{"number": ' + "9" * 5000 + "}"
    with container.db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO webhook_deliveries (source, delivery_id, event_type, payload,"
                " incident_id, outcome) VALUES ('github', 'd-1', 'workflow_run',"
                " CAST(:payload AS jsonb), :incident_id, 'incident')"
            ),
            {"payload": payload, "incident_id": incident_id},
        )


def test_the_list_answers_200_with_the_date_python_cannot_hold_left_empty(http, container):
    good, bad = seeded(container, run_started_at=f"'{BC_DATE}'::timestamptz")
    response = http.get("/api/v1/incidents")
    assert response.status_code == 200
    items = {item["id"]: item for item in response.json()["items"]}
    assert set(items) == {good, bad}
    assert items[bad]["run_started_at"] is None
    assert items[bad]["repo"] == "octo/bad"


def test_the_incident_answers_200_with_the_date_left_empty(http, container):
    _, bad = seeded(container, run_started_at=f"'{BC_DATE}'::timestamptz")
    response = http.get(f"/api/v1/incidents/{bad}")
    assert response.status_code == 200
    assert response.json()["run_started_at"] is None


def test_an_infinite_timestamp_is_read_as_empty(http, container):
    _, bad = seeded(container, run_started_at="'infinity'::timestamptz")
    assert http.get(f"/api/v1/incidents/{bad}").json()["run_started_at"] is None


def test_the_dashboard_answers_200_with_the_row(http, container):
    seeded(container, run_started_at=f"'{BC_DATE}'::timestamptz")
    response = http.get("/dashboard")
    assert response.status_code == 200
    assert "octo/bad" in response.text


def test_the_dashboards_incident_page_answers_200(http, container):
    _, bad = seeded(container, run_started_at=f"'{BC_DATE}'::timestamptz")
    assert http.get(f"/dashboard/incidents/{bad}").status_code == 200


def test_a_delivery_payload_python_cannot_read_leaves_the_incident_readable(http, container):
    _, bad = seeded(container)
    with_unreadable_delivery(container, bad)
    response = http.get(f"/api/v1/incidents/{bad}")
    assert response.status_code == 200
    assert [d["delivery_id"] for d in response.json()["deliveries"]] == ["d-1"]


def test_a_value_json_cannot_carry_is_rendered_as_null_and_logged(http, container, caplog):
    good, bad = seeded(container, confidence="'NaN'::float8")
    caplog.set_level(logging.WARNING)
    response = http.get("/api/v1/incidents")
    assert response.status_code == 200
    items = {item["id"]: item for item in response.json()["items"]}
    assert items[bad]["confidence"] is None
    assert items[bad]["repo"] == "octo/bad"
    assert items[good]["confidence"] == 0.99
    assert any(
        f"Incident {bad} shown with confidence empty" in r.getMessage() for r in caplog.records
    )


def test_the_read_value_is_logged(http, container, caplog):
    _, bad = seeded(container, run_started_at=f"'{BC_DATE}'::timestamptz")
    caplog.set_level(logging.WARNING)
    http.get(f"/api/v1/incidents/{bad}")
    assert any("timestamptz" in r.getMessage() for r in caplog.records)
