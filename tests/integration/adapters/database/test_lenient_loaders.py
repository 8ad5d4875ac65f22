"""Values PostgreSQL holds and Python cannot are read as None and logged; the rest of the
result reads as usual (app/adapters/database/lenient.py)."""

import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import text


def read(container, sql: str):
    with container.db.engine.connect() as connection:
        return connection.execute(text(sql)).one()


@pytest.mark.parametrize(
    "value",
    [
        "'0001-12-31 10:00:00+00 BC'::timestamptz",
        "'infinity'::timestamptz",
        "'-infinity'::timestamp",
        "'10000-01-01'::date",
    ],
    ids=["year-0", "infinity", "minus-infinity", "year-10000"],
)
def test_a_date_outside_pythons_range_is_read_as_none(container, value):
    assert read(container, f"SELECT {value}, 1")[0] is None


def test_the_rest_of_the_row_is_read(container):
    row = read(container, "SELECT 'infinity'::timestamptz, '2024-05-01 12:00:00+00'::timestamptz")
    assert row[1] == datetime(2024, 5, 1, 12, tzinfo=UTC)


def test_json_with_an_integer_python_will_not_convert_is_read_as_none(container):
    digits = "9" * 5000
    row = read(container, f"SELECT '{{\"n\": {digits}}}'::jsonb, '{{\"n\": 1}}'::jsonb")
    assert row == (None, {"n": 1})


def test_a_value_read_as_none_is_logged(container, caplog):
    caplog.set_level(logging.WARNING)
    read(container, "SELECT 'infinity'::timestamptz")
    assert any("timestamptz" in r.getMessage() for r in caplog.records)
