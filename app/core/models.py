"""Plain value objects passed between services and adapters (no ORM types)."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.core.enums import IncidentKind, IncidentSource


class IncidentTarget(BaseModel):
    """What an adapter needs to know about an incident to read from or act on its target."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    source: IncidentSource
    kind: IncidentKind
    repo: str | None = None
    run_id: int | None = None
    run_attempt: int | None = None
    head_branch: str | None = None
    workflow_id: int | None = None
    failed_jobs: list[dict[str, Any]] = Field(default_factory=list)
    github_installation_id: int | None = None
    cluster: str | None = None
    namespace: str | None = None
    pod: str | None = None
    container: str | None = None
    owner_kind: str | None = None
    owner_name: str | None = None
    app: str | None = None
    reason: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class FetchedLogs(BaseModel):
    """Raw text from a log source. ``not_ready`` means: nothing to read yet, try later."""

    text: str = ""
    not_ready: bool = False
    failed_jobs: list[dict[str, Any]] = Field(default_factory=list)
    note: str | None = None
