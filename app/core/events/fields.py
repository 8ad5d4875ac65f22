"""Field types every event parser uses for dates and numbers, so that what a payload says can
be stored and read back.

PostgreSQL takes timestamps from 4713 BC to 294276 AD; Python's ``datetime`` holds years 1 to
9999 only. A date in between (``0001-01-01T00:00:00+14:00`` is 31 December of year 0 in UTC)
would be stored and then break every read of its row. Such a date is dropped (the field
becomes None) with a note: the failure it came with is still worth recording. Integers are
bounded by the columns they land in.

Parsers validate with ``validate_payload`` to collect the notes, and put them on the incident
with ``dropped_details``.
"""

import logging
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, Field, ValidationInfo

log = logging.getLogger(__name__)

# A day inside Python's range on either side, so that the value can also be shown in any
# time zone (a database session or a reader at UTC+14 moves it by up to 14 hours).
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
NOTES = "dropped"

M = TypeVar("M", bound=BaseModel)


def storable_datetime(value: datetime) -> datetime | None:
    """``value`` in UTC (a date without an offset is taken as UTC), or None out of range."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        moment = value.astimezone(UTC)
    except OverflowError:  # outside years 1-9999 once moved to UTC
        return None
    return moment if EARLIEST <= moment <= LATEST else None


def _in_range(value: datetime | None, info: ValidationInfo) -> datetime | None:
    if value is None:
        return None
    moment = storable_datetime(value)
    if moment is None:
        note = f"{info.field_name} {value.isoformat()} is outside the years 1-9999 in UTC"
        log.warning("payload field dropped: %s", note)
        if isinstance(info.context, dict) and isinstance(info.context.get(NOTES), list):
            info.context[NOTES].append(note)
    return moment


PayloadDatetime = Annotated[datetime | None, AfterValidator(_in_range)]
# Ids land in BIGINT columns, attempt numbers and counters in INTEGER ones.
PayloadId = Annotated[int, Field(ge=0, le=INT64_MAX)]
PayloadCount = Annotated[int, Field(ge=0, le=INT32_MAX)]
PayloadAttempt = Annotated[int, Field(ge=1, le=INT32_MAX)]


def validate_payload(model: type[M], payload: Any) -> tuple[M, list[str]]:
    """The payload as ``model``, and a note for each field dropped as out of range.

    Raises:
        pydantic.ValidationError: the payload does not fit ``model``.
    """
    notes: list[str] = []
    return model.model_validate(payload, context={NOTES: notes}), notes


def dropped_details(notes: list[str]) -> dict[str, Any]:
    """What goes into an incident's details about fields its payload could not keep."""
    return {"dropped_fields": list(notes)} if notes else {}
