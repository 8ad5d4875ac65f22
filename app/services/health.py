"""Liveness and readiness: whether the process answers, and whether its database can serve it."""

import logging
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text

from app.adapters.database.engine import Database

log = logging.getLogger(__name__)


class Liveness(BaseModel):
    """The process answers (the database is not checked)."""

    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    """Whether the database answers and its schema is at the latest migration.

    ``schema`` and ``head`` are there only when the database answered.
    """

    model_config = ConfigDict(populate_by_name=True)

    ready: bool
    database: Literal["ok", "unreachable"]
    # "schema" would shadow a BaseModel attribute: the field has another name, the JSON this one.
    schema_revision: str | None = Field(default=None, alias="schema")
    head: str | None = None


class HealthCheck:
    def __init__(self, db: Database):
        self.db = db

    def readiness(self) -> Readiness:
        # Imported here: Alembic is needed by /ready and the migrate function, never on the
        # request path of a cold start.
        from app.adapters.database.migrate import current_revision, head_revision

        try:
            with self.db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            current = current_revision(self.db.engine)
        except Exception as exc:  # readiness reports, it does not raise
            log.warning("readiness: database unreachable: %s", type(exc).__name__)
            return Readiness(ready=False, database="unreachable")
        head = head_revision()
        return Readiness(ready=current == head, database="ok", schema_revision=current, head=head)
