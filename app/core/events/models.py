"""What an event parser produces: a typed, normalized view of one delivery."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.core.enums import IncidentKind, IncidentSource, Severity
from app.core.targets import Target


class IncidentDraft(BaseModel):
    """The fields of an incident that a delivery can tell us. The raw payload is kept elsewhere."""

    source: IncidentSource
    kind: IncidentKind
    dedup_key: str
    fingerprint: str
    title: str = ""
    severity: Severity = Severity.MEDIUM
    html_url: str | None = None
    target: Target
    details: dict[str, Any] = Field(default_factory=dict)
    # A run event is the authority on run fields; a job event only fills gaps.
    authoritative: bool = True


class Ignored(BaseModel):
    """A delivery that is recorded but creates no incident."""

    reason: str


class Ping(BaseModel):
    """A sender checking that the endpoint is there."""

    detail: str = "pong"


class FailureObserved(BaseModel):
    """A delivery that opens (or adds to) an incident."""

    draft: IncidentDraft
    # False: ``draft.dedup_key`` names one occurrence (a run attempt), whose deliveries merge
    # into one incident. True: it names an ongoing problem, whose signals extend the open
    # incident and, once that closed, open a new one (app/core/events/signals.py).
    coalesce: bool = False


class RunCompleted(BaseModel):
    """A GitHub run finished without failing; it may close the loop on an earlier remediation."""

    repo: str
    run_id: int
    run_attempt: int
    conclusion: str
    completed_at: datetime | None = None


class PullRequestClosed(BaseModel):
    """A pull request was closed, merged or not; it may be the verdict on a fix CodeHealer
    proposed as that pull request."""

    repo: str
    number: int
    merged: bool
    head_ref: str | None = None
    closed_at: datetime | None = None


ParsedEvent = Ignored | Ping | FailureObserved | RunCompleted | PullRequestClosed
