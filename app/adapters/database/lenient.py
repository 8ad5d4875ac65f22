"""Reading a value Python cannot hold as None, instead of failing every query that reads it.

PostgreSQL's timestamptz reaches from 4713 BC to 294276 AD and has ±infinity; Python's
datetime holds years 1 to 9999. jsonb keeps integers of any length; Python's json refuses
more than 4,300 digits. Payloads are checked on the way in (app/core/json_body.py and
app/core/events/fields.py), but one row written before those checks, or by hand, would make
psycopg raise for the whole result set: the incident list, the dashboard and the worker's
reads of that incident would all fail, for good. With these loaders the value is read as None
and logged; the rest of the row, and every other row, reads as usual.

Each loader wraps the one psycopg would use (its C implementation when installed), so
ordinary values cost one extra call.
"""

import logging
from typing import Any

from psycopg import DataError
from psycopg.abc import AdaptContext, Buffer
from psycopg.abc import Loader as LoaderProtocol
from psycopg.adapt import AdaptersMap, Loader
from psycopg.pq import Format

log = logging.getLogger(__name__)

DATE_TYPES = ("timestamptz", "timestamp", "date")
JSON_TYPES = ("jsonb", "json")


def register_lenient_loaders(adapters: AdaptersMap) -> None:
    """Date and JSON values Python cannot hold are read as None (text and binary formats)."""
    for names, errors in ((DATE_TYPES, (DataError,)), (JSON_TYPES, (ValueError, RecursionError))):
        for name in names:
            oid = adapters.types[name].oid
            for fmt in (Format.TEXT, Format.BINARY):
                inner = adapters.get_loader(oid, fmt)
                if inner is not None:
                    adapters.register_loader(oid, _lenient(inner, name, errors))


def _lenient(
    inner: type[LoaderProtocol], type_name: str, errors: tuple[type[BaseException], ...]
) -> type[Loader]:
    class LenientLoader(Loader):
        format = inner.format

        def __init__(self, oid: int, context: AdaptContext | None = None):
            super().__init__(oid, context)
            self._inner = inner(oid, context)

        def load(self, data: Buffer) -> Any:
            try:
                return self._inner.load(data)
            except errors as exc:
                log.warning(
                    "a %s value Python cannot hold was read as empty: %s",
                    type_name,
                    str(exc)[:200],
                )
                return None

    LenientLoader.__name__ = LenientLoader.__qualname__ = f"Lenient{inner.__name__}"
    return LenientLoader
