"""How many rows an UPDATE or DELETE changed."""

from typing import Any, cast

from sqlalchemy import CursorResult
from sqlalchemy.sql import Executable
from sqlmodel import Session


def rows_changed(session: Session, stmt: Executable) -> int:
    """The rows ``stmt`` changed. SQLAlchemy answers a DML statement with a CursorResult, which
    has ``rowcount``; SQLModel types ``Session.execute`` as returning any Result."""
    result = cast(CursorResult[Any], session.execute(stmt))
    return result.rowcount
