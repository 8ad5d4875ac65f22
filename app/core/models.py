"""Plain value objects passed between services and adapters (no ORM types)."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.core.enums import IncidentKind, IncidentSource
from app.core.targets import AppTarget, RunTarget, WorkloadTarget, target_of


class IncidentTarget(BaseModel):
    """What an adapter needs to know about an incident to read from or act on its target: its
    id, source and kind, its typed target, its details and when it was received.

    Built from a stored incident (or its columns given as keywords): the columns are read into
    the typed target by the one mapping between the two (app/core/targets.py)."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    source: IncidentSource
    kind: IncidentKind
    target: RunTarget | WorkloadTarget | AppTarget | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    received_at: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _columns_to_target(cls, data: Any) -> Any:
        if isinstance(data, dict) and "target" in data:
            return data
        read = data.get if isinstance(data, dict) else lambda name: getattr(data, name, None)
        return {
            "id": read("id"),
            "source": read("source"),
            "kind": read("kind"),
            "target": target_of(read("kind"), data),
            "details": read("details") or {},
            "received_at": read("created_at"),
        }


class GreenJob(BaseModel):
    """One failed job and the job of the last successful run it was compared with; when it
    was not compared, ``skipped`` says why."""

    model_config = ConfigDict(frozen=True)

    job: str
    run_id: int | None = None
    job_id: int | None = None
    html_url: str | None = None
    skipped: str | None = None


class GreenBaseline(BaseModel):
    """The failed jobs' counterparts in the last successful run: ``lines`` is the set of the
    green logs' lines as the signature masks them (the logs themselves are not kept)."""

    model_config = ConfigDict(frozen=True)

    jobs: tuple[GreenJob, ...] = ()
    lines: frozenset[str] = Field(default_factory=frozenset)

    @property
    def compared(self) -> bool:
        return any(job.skipped is None for job in self.jobs)


class FetchedLogs(BaseModel):
    """Raw text from a log source. ``not_ready`` means: nothing to read yet, try later."""

    text: str = ""
    not_ready: bool = False
    failed_jobs: list[dict[str, Any]] = Field(default_factory=list)
    note: str | None = None
    # The failed jobs' logs in the last successful run, to compare with (GitHub; None: not
    # looked for).
    green: GreenBaseline | None = None
