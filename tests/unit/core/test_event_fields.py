"""Dates and numbers of payloads: kept when PostgreSQL and Python can both hold them."""

import logging
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import BaseModel, ValidationError

from app.core.events.fields import (
    PayloadAttempt,
    PayloadDatetime,
    PayloadId,
    dropped_details,
    storable_datetime,
    validate_payload,
)


class _Run(BaseModel):
    id: PayloadId = 1
    attempt: PayloadAttempt = 1
    started_at: PayloadDatetime = None


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00:00+14:00",  # year 0 in UTC
        "0001-01-01T00:00:00Z",  # within a day of the start
        "9999-12-31T23:59:59-14:00",  # year 10000 in UTC
        "9999-12-31T00:00:00Z",  # within a day of the end
    ],
)
def test_a_date_outside_the_range_is_dropped_with_a_note(value):
    run, notes = validate_payload(_Run, {"started_at": value})
    assert run.started_at is None
    assert len(notes) == 1
    assert notes[0].startswith("started_at ")


def test_a_dropped_date_is_logged(caplog):
    caplog.set_level(logging.WARNING)
    validate_payload(_Run, {"started_at": "0001-01-01T00:00:00+14:00"})
    assert any("started_at" in r.getMessage() for r in caplog.records)


def test_a_date_in_range_is_kept_in_utc():
    run, notes = validate_payload(_Run, {"started_at": "2024-05-01T14:00:00+02:00"})
    assert run.started_at == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert run.started_at.utcoffset() == timedelta(0)
    assert notes == []


def test_a_date_without_an_offset_is_taken_as_utc():
    assert storable_datetime(datetime(2024, 5, 1, 12)) == datetime(2024, 5, 1, 12, tzinfo=UTC)


def test_the_edges_of_the_range_are_kept():
    plus_14 = timezone(timedelta(hours=14))
    assert storable_datetime(datetime(1, 1, 3, tzinfo=plus_14)) is not None
    assert storable_datetime(datetime(9999, 12, 30, tzinfo=UTC)) is not None


def test_validating_without_collecting_notes_still_drops():
    assert _Run.model_validate({"started_at": "0001-01-01T00:00:00+14:00"}).started_at is None


@pytest.mark.parametrize(
    "values",
    [{"id": 2**63}, {"id": -1}, {"attempt": 2**31}, {"attempt": 0}],
    ids=["id-past-bigint", "negative-id", "attempt-past-integer", "attempt-zero"],
)
def test_numbers_outside_their_columns_are_refused(values):
    with pytest.raises(ValidationError):
        _Run.model_validate(values)


def test_numbers_at_their_column_bounds_are_kept():
    run = _Run.model_validate({"id": 2**63 - 1, "attempt": 2**31 - 1})
    assert (run.id, run.attempt) == (2**63 - 1, 2**31 - 1)


def test_notes_become_incident_details_only_when_there_are_some():
    assert dropped_details([]) == {}
    assert dropped_details(["a"]) == {"dropped_fields": ["a"]}
