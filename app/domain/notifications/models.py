"""The view model of an incident's Slack message: what the notifier reads from the rows."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.domain.escalation import EscalationReason


class SimilarView(BaseModel):
    """A neighbour: a past incident, or a reference entry (a labelled failure shipped with
    CodeHealer, ``reference`` set) linked to the thread it came from."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    incident_id: int | None = None
    similarity: float
    outcome: str | None = None
    category: str | None = None
    reference: str | None = None
    reference_source: str | None = None


class LinkLine(BaseModel):
    """An object the incident is linked to (the sync that deployed it, the run that built
    its image, ...) and what it is to the incident."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    relation: str
    ref: str
    url: str | None = None


class AttemptView(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    action: str
    status: str
    dry_run: bool = False
    actor: str = "auto"
    actor_id: str | None = None
    detail: str | None = None


class IncidentCard(BaseModel):
    """What the Slack message of one incident shows; built by the notifier from the rows."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    incident_id: int
    public_url: str
    title: str
    status: str
    source: str
    kind: str
    severity: str = "medium"
    target: str = ""
    run_url: str | None = None
    category: str | None = None
    root_cause: str | None = None
    action: str | None = None
    evidence: list[str] = Field(default_factory=list)
    failing_tests: list[str] = Field(default_factory=list)  # the ids its log names
    confidence: float | None = None
    confidence_classifier: float | None = None
    confidence_similarity: float | None = None
    confidence_history: float | None = None
    links: list[LinkLine] = Field(default_factory=list)  # in the order the chain reads
    similar: list[SimilarView] = Field(default_factory=list)
    decision: str | None = None
    decision_reason: str | None = None
    # What the deciding rule found, line by line (the fixes of a cause that remains, ...).
    diagnosis: list[str] = Field(default_factory=list)
    approval_nonce: str | None = None
    approval_expires_at: datetime | None = None
    attempt: AttemptView | None = None
    auto_sync_disabled: bool = False
    storm_group: bool = False
    occurrences: int = 1
    parent_id: int | None = None
    escalation_reason: EscalationReason | None = None  # why a person is needed now
    runbook_base_url: str | None = None  # ``<base>/<key>.md`` is the reason's runbook
    # The pause in force over this incident's source and action (the kill switch), if any.
    pause_id: int | None = None
    pause_summary: str | None = None
