"""Read models of incidents for the API and the dashboard.

Rows become responses here, one at a time: a value that cannot be shown (NaN, which JSON has
not, or one that does not serialize) is shown as null and logged, so one bad row never takes
the list, the incident page or the dashboard down. Values Python cannot read at all are
already None when they get here (app/adapters/database/lenient.py).
"""

import logging
import math
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticSerializationError
from sqlalchemy import select
from sqlmodel import SQLModel

from app.adapters.database.engine import Database
from app.adapters.database.repositories.audit import AuditRepository
from app.adapters.database.repositories.deliveries import DeliveryRepository
from app.adapters.database.repositories.incidents import IncidentFilter, IncidentRepository
from app.adapters.database.repositories.links import LinkRepository
from app.adapters.database.tables import Approval, Feedback, Incident, RemediationAttempt
from app.core.errors import NotFoundError
from app.core.redaction import mask_mapping

log = logging.getLogger(__name__)

_HIDDEN = frozenset({"embedding"})


# --- response models: what the read API answers with -------------------------------------------
# One field per column of its table (a test checks they agree), so the OpenAPI schema shows every
# value. Dates, numbers and JSON values are nullable whatever the column says: a value Python
# cannot hold is read as null (app/adapters/database/lenient.py) and one JSON cannot carry is
# shown as null (``rendered``).
class ConfidenceParts(BaseModel):
    """The confidence and the three parts it is weighed from; null until scored."""

    classifier: float | None
    similarity: float | None
    history: float | None
    total: float | None


class IncidentSummary(BaseModel):
    """An incident as the list shows it: every column but the embedding."""

    id: int
    source: str
    kind: str
    dedup_key: str
    fingerprint: str
    status: str
    severity: str
    title: str
    html_url: str | None
    # GitHub target
    repo: str | None
    workflow_id: int | None
    workflow_name: str | None
    run_id: int | None
    run_attempt: int | None
    head_branch: str | None
    head_sha: str | None
    conclusion: str | None
    run_started_at: datetime | None
    failed_jobs: list[Any] | None
    github_installation_id: int | None
    # Kubernetes / Argo CD target
    cluster: str | None
    namespace: str | None
    pod: str | None
    container: str | None
    owner_kind: str | None
    owner_name: str | None
    app: str | None
    reason: str | None
    occurrences: int
    last_seen_at: datetime | None
    details: dict[str, Any] | None
    reconciled: bool
    parent_id: int | None
    # analysis
    excerpt: str | None
    signature: str | None
    signature_hash: str | None
    category: str | None
    root_cause: str | None
    fixability: str | None
    action: str | None
    evidence: list[Any] | None
    failing_tests: list[Any] | None
    similar: list[Any] | None
    classifier: str | None
    classifier_note: str | None
    confidence: float | None
    confidence_classifier: float | None
    confidence_similarity: float | None
    confidence_history: float | None
    llm_prompt_tokens: int
    llm_completion_tokens: int
    # what made the embedding, and what the analysis used instead of what is configured
    embedder: str | None
    embedding_model: str | None
    analysis_fallbacks: list[Any] | None
    # decision
    decision: str | None
    decision_reason: str | None
    escalation_reason: str | None
    # worker bookkeeping
    claimed_at: datetime | None
    claimed_by: str | None
    processing_attempts: int
    not_before: datetime | None
    last_error: str | None
    # timestamps
    created_at: datetime | None
    updated_at: datetime | None
    resolved_at: datetime | None
    mttr_seconds: float | None
    has_embedding: bool
    confidence_parts: ConfidenceParts


class IncidentPage(BaseModel):
    """One page of incidents, newest first, and how many match in all."""

    items: list[IncidentSummary]
    total: int
    limit: int
    offset: int


class DeliveryView(BaseModel):
    """A webhook delivery of the incident (its payload is not shown)."""

    id: int
    source: str
    delivery_id: str
    event_type: str
    received_at: datetime | None
    incident_id: int | None
    outcome: str
    ignored_reason: str | None


class AttemptView(BaseModel):
    """A remediation attempt: planned, run or skipped, by CodeHealer or a person's approval."""

    id: int
    incident_id: int
    action: str
    attempt_number: int
    target: str
    params: dict[str, Any] | None
    status: str
    dry_run: bool
    actor: str
    actor_id: str | None
    started_at: datetime | None
    finished_at: datetime | None
    result: dict[str, Any] | None
    error: str | None


class ApprovalView(BaseModel):
    """A request for a person's approval in Slack, and what became of it."""

    id: int
    incident_id: int
    nonce: str
    status: str
    requested_at: datetime | None
    expires_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    slack_channel: str | None
    slack_ts: str | None


class FeedbackView(BaseModel):
    """One person's 👍 (1) or 👎 (-1) on the incident."""

    id: int
    incident_id: int
    user_id: str
    value: int
    comment: str | None
    created_at: datetime | None


class AuditView(BaseModel):
    """An entry of the audit trail: who did what, when."""

    id: int
    incident_id: int | None
    at: datetime | None
    actor: str
    event: str
    details: dict[str, Any] | None


class LinkView(BaseModel):
    """An entry of the chain the incident is linked to, in order: the Deployment and image
    it runs, the Argo CD sync that deployed it, the commit and the run that built the image."""

    position: int
    source: str
    kind: str
    ref: str
    relation: str
    url: str | None
    at: datetime | None
    details: dict[str, Any] | None


class IncidentDetail(IncidentSummary):
    """One incident with its links, deliveries, attempts, approvals, feedback and audit trail."""

    links: list[LinkView]
    deliveries: list[DeliveryView]
    attempts: list[AttemptView]
    approvals: list[ApprovalView]
    feedback: list[FeedbackView]
    audit: list[AuditView]


def rendered(row: SQLModel, *, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The row as a response carries it, with every value that cannot be shown as None."""
    try:
        data = row.model_dump(mode="json", exclude=set(exclude))
        failed: list[str] = []
    except PydanticSerializationError:
        data, failed = _field_by_field(row, exclude)
    not_numbers = [k for k, v in data.items() if isinstance(v, float) and not math.isfinite(v)]
    for key in not_numbers:
        data[key] = None
    if failed or not_numbers:
        log.warning(
            "%s %s shown with %s empty: not representable in JSON",
            type(row).__name__,
            getattr(row, "id", "?"),
            ", ".join(failed + not_numbers),
        )
    return data


def _field_by_field(row: SQLModel, exclude: frozenset[str]) -> tuple[dict[str, Any], list[str]]:
    data: dict[str, Any] = {}
    failed: list[str] = []
    for name in type(row).model_fields:
        if name in exclude:
            continue
        try:
            data.update(row.model_dump(mode="json", include={name}))
        except PydanticSerializationError:
            data[name] = None
            failed.append(name)
    return data, failed


def incident_summary(incident: Incident) -> dict[str, Any]:
    data = rendered(incident, exclude=_HIDDEN)
    data["has_embedding"] = incident.embedding is not None
    data["confidence_parts"] = {
        "classifier": data["confidence_classifier"],
        "similarity": data["confidence_similarity"],
        "history": data["confidence_history"],
        "total": data["confidence"],
    }
    return data


class IncidentQuery:
    """Every answer is masked: rows stored before masking at rest, or by a path that missed
    it, never show a secret (cheap: the strings seen clean before are not checked again)."""

    def __init__(self, db: Database):
        self.db = db

    def page(
        self,
        *,
        status: str | None,
        source: str | None,
        repo: str | None,
        category: str | None,
        limit: int,
        offset: int,
    ) -> dict[str, Any]:
        filters = IncidentFilter(status=status, source=source, repo=repo, category=category)
        with self.db.session() as session:
            items, total = IncidentRepository(session).page(filters, limit=limit, offset=offset)
            return mask_mapping(
                {
                    "items": [incident_summary(i) for i in items],
                    "total": total,
                    "limit": limit,
                    "offset": offset,
                }
            )

    def detail(self, incident_id: int) -> dict[str, Any]:
        """The incident with everything recorded about it; NotFoundError for an unknown id."""
        with self.db.session() as session:
            incident = IncidentRepository(session).get(incident_id)
            if incident is None:
                raise NotFoundError(f"incident {incident_id} not found")
            data = incident_summary(incident)
            data["links"] = [
                rendered(link, exclude=frozenset({"id", "incident_id", "created_at"}))
                for link in LinkRepository(session).for_incident(incident_id)
            ]
            data["deliveries"] = [
                rendered(d, exclude=frozenset({"payload"}))
                for d in DeliveryRepository(session).for_incident(incident_id)
            ]
            data["attempts"] = _rows(
                session, RemediationAttempt, incident_id, RemediationAttempt.id
            )
            data["approvals"] = _rows(session, Approval, incident_id, Approval.id)
            data["feedback"] = _rows(session, Feedback, incident_id, Feedback.id)
            data["audit"] = [
                rendered(a) for a in AuditRepository(session).for_incident(incident_id)
            ]
            return mask_mapping(data)


def _rows(session, table, incident_id: int, order) -> list[dict[str, Any]]:
    stmt = select(table).where(table.incident_id == incident_id).order_by(order)
    return [rendered(row) for row in session.execute(stmt).scalars()]
