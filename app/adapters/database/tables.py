"""SQLModel tables. Alembic owns the schema; these mirror it (a test checks they agree)."""

import json
from datetime import UTC, datetime
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    UniqueConstraint,
    cast,
    literal,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.core.config import EMBEDDING_DIMENSIONS


def utcnow() -> datetime:
    return datetime.now(UTC)


def merge_json(column: Any, extra: dict[str, Any]) -> Any:
    """SQL expression: the jsonb ``column`` with ``extra``'s keys set (for UPDATE ... SET)."""
    return column.op("||")(cast(literal(json.dumps(extra)), JSONB))


def without_json_key(column: Any, key: str) -> Any:
    """SQL expression: the jsonb ``column`` without ``key`` (for UPDATE ... SET)."""
    return column.op("-")(literal(key))


def _ts(*, nullable: bool = True, default_now: bool = False) -> Any:
    return Field(
        default_factory=utcnow if default_now else lambda: None,
        sa_column_kwargs={} if nullable else {"server_default": text("now()")},
        sa_type=DateTime(timezone=True),
        nullable=nullable,
    )


def _json(default: Any) -> Any:
    return Field(
        default_factory=lambda: type(default)(default),
        sa_type=JSONB,
        nullable=False,
        sa_column_kwargs={
            "server_default": text(f"'{'[]' if isinstance(default, list) else '{}'}'")
        },
    )


def _num(default: bool | int) -> Any:
    return Field(
        default=default,
        nullable=False,
        sa_column_kwargs={"server_default": text(str(default).lower())},
    )


def _fk(target: str, *, nullable: bool = True, ondelete: str = "CASCADE") -> Any:
    return Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey(target, ondelete=ondelete), nullable=nullable),
    )


class WebhookDelivery(SQLModel, table=True):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("source", "delivery_id", name="uq_webhook_deliveries_source_delivery"),
    )

    # Typed by its column (NOT NULL), as SQLAlchemy's Mapped[int] types a key: a stored row
    # always has one; only a row not yet flushed holds the default None.
    id: int = Field(default=None, sa_type=BigInteger, primary_key=True)
    source: str = Field(max_length=32)
    delivery_id: str = Field(max_length=200)
    event_type: str = Field(max_length=100)
    received_at: datetime = _ts(nullable=False, default_now=True)
    payload: dict = _json({})
    incident_id: int | None = _fk("incidents.id", ondelete="SET NULL")
    outcome: str = Field(default="accepted", max_length=32)
    ignored_reason: str | None = None


class Incident(SQLModel, table=True):
    __tablename__ = "incidents"
    __table_args__ = (
        UniqueConstraint("source", "dedup_key", name="uq_incidents_source_dedup_key"),
        Index("ix_incidents_status_updated", "status", "updated_at"),
        Index("ix_incidents_fingerprint", "fingerprint"),
        Index("ix_incidents_signature_hash", "signature_hash"),
        Index("ix_incidents_repo", "repo"),
        CheckConstraint(
            "embedding IS NULL OR (embedder IS NOT NULL AND embedding_model IS NOT NULL)",
            name="ck_incidents_embedding_space",
        ),
        Index(
            "ix_incidents_embedding_hnsw",
            "embedding",
            postgresql_using="hnsw",
            postgresql_with={"m": 16, "ef_construction": 64},
            postgresql_ops={"embedding": "vector_cosine_ops"},
        ),
    )

    id: int = Field(default=None, sa_type=BigInteger, primary_key=True)
    source: str = Field(max_length=32)
    kind: str = Field(max_length=32)
    dedup_key: str = Field(max_length=300)
    fingerprint: str = Field(max_length=300)
    status: str = Field(default="received", max_length=32)
    severity: str = Field(default="medium", max_length=16)
    title: str = Field(default="", max_length=500)
    html_url: str | None = None
    # GitHub target
    repo: str | None = Field(default=None, max_length=300)
    workflow_id: int | None = Field(default=None, sa_type=BigInteger)
    workflow_name: str | None = None
    run_id: int | None = Field(default=None, sa_type=BigInteger)
    run_attempt: int | None = None
    head_branch: str | None = None
    head_sha: str | None = Field(default=None, max_length=64)
    conclusion: str | None = Field(default=None, max_length=32)
    run_started_at: datetime | None = _ts()
    failed_jobs: list = _json([])
    github_installation_id: int | None = Field(default=None, sa_type=BigInteger)
    # Kubernetes / Argo CD target
    cluster: str | None = None
    namespace: str | None = None
    pod: str | None = None
    container: str | None = None
    owner_kind: str | None = None
    owner_name: str | None = None
    app: str | None = None
    reason: str | None = None
    occurrences: int = _num(1)
    last_seen_at: datetime = _ts(nullable=False, default_now=True)
    details: dict = _json({})
    reconciled: bool = _num(False)
    parent_id: int | None = _fk("incidents.id", ondelete="SET NULL")
    # analysis
    excerpt: str | None = None
    signature: str | None = None
    signature_hash: str | None = Field(default=None, max_length=64)
    category: str | None = Field(default=None, max_length=64)
    root_cause: str | None = None
    fixability: str | None = Field(default=None, max_length=16)
    action: str | None = Field(default=None, max_length=64)
    evidence: list = _json([])
    # The ids of the tests its log reports failing (app/core/analysis/failing_tests.py).
    failing_tests: list = _json([])
    similar: list = _json([])
    classifier: str | None = Field(default=None, max_length=64)
    classifier_note: str | None = None
    confidence: float | None = None
    confidence_classifier: float | None = None
    confidence_similarity: float | None = None
    confidence_history: float | None = None
    llm_prompt_tokens: int = _num(0)
    llm_completion_tokens: int = _num(0)
    embedding: list[float] | None = Field(
        default=None, sa_column=Column(Vector(EMBEDDING_DIMENSIONS), nullable=True)
    )
    # What made the vector: similar incidents come only from vectors of the same embedder and
    # model (an EmbeddingSpace). A vector without them cannot be stored.
    embedder: str | None = Field(default=None, max_length=32)
    embedding_model: str | None = Field(default=None, max_length=200)
    # The parts of the analysis that could not use what is configured (an AnalysisFallback each).
    analysis_fallbacks: list = _json([])
    # decision
    decision: str | None = Field(default=None, max_length=32)
    decision_reason: str | None = None
    # Why a person is needed (an EscalationReason value): the runbook a person is sent to.
    escalation_reason: str | None = Field(default=None, max_length=64)
    # worker bookkeeping
    claimed_at: datetime | None = _ts()
    claimed_by: str | None = None
    processing_attempts: int = _num(0)
    not_before: datetime | None = _ts()
    last_error: str | None = None
    # timestamps
    created_at: datetime = _ts(nullable=False, default_now=True)
    updated_at: datetime = _ts(nullable=False, default_now=True)
    resolved_at: datetime | None = _ts()
    mttr_seconds: float | None = None


class RemediationAttempt(SQLModel, table=True):
    __tablename__ = "remediation_attempts"
    __table_args__ = (
        UniqueConstraint(
            "incident_id",
            "action",
            "attempt_number",
            name="uq_remediation_attempts_incident_action_attempt",
        ),
        Index("ix_remediation_attempts_started", "started_at"),
        Index("ix_remediation_attempts_target_started", "target", "started_at"),
    )

    id: int = Field(default=None, sa_type=BigInteger, primary_key=True)
    incident_id: int = _fk("incidents.id", nullable=False)
    action: str = Field(max_length=64)
    attempt_number: int = _num(1)
    target: str = Field(default="", max_length=300)
    params: dict = _json({})
    status: str = Field(default="planned", max_length=32)
    dry_run: bool = _num(False)
    actor: str = Field(default="auto", max_length=32)
    actor_id: str | None = None
    started_at: datetime = _ts(nullable=False, default_now=True)
    finished_at: datetime | None = _ts()
    result: dict = _json({})
    error: str | None = None


class Approval(SQLModel, table=True):
    __tablename__ = "approvals"
    __table_args__ = (UniqueConstraint("nonce", name="uq_approvals_nonce"),)

    id: int = Field(default=None, sa_type=BigInteger, primary_key=True)
    incident_id: int = _fk("incidents.id", nullable=False)
    nonce: str = Field(max_length=64)
    status: str = Field(default="pending", max_length=16)
    requested_at: datetime = _ts(nullable=False, default_now=True)
    expires_at: datetime = _ts(nullable=False, default_now=True)
    decided_by: str | None = None
    decided_at: datetime | None = _ts()
    slack_channel: str | None = None
    slack_ts: str | None = None


class Feedback(SQLModel, table=True):
    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("incident_id", "user_id", name="uq_feedback_incident_user"),)

    id: int = Field(default=None, sa_type=BigInteger, primary_key=True)
    incident_id: int = _fk("incidents.id", nullable=False)
    user_id: str = Field(max_length=100)
    value: int
    comment: str | None = None
    created_at: datetime = _ts(nullable=False, default_now=True)


class IncidentLinkRow(SQLModel, table=True):
    """One entry of the chain an incident is linked to (the Deployment, its image, the Argo
    CD sync, the commit and the run that built it), in the order the chain reads."""

    __tablename__ = "incident_links"
    __table_args__ = (
        UniqueConstraint("incident_id", "position", name="uq_incident_links_incident_position"),
    )

    id: int = Field(default=None, sa_type=BigInteger, primary_key=True)
    incident_id: int = _fk("incidents.id", nullable=False)
    position: int
    source: str = Field(max_length=32)  # kubernetes | argocd | github
    kind: str = Field(max_length=32)  # deployment | image | app | revision | commit | run
    ref: str = Field(max_length=300)
    relation: str = Field(max_length=200)
    url: str | None = None
    at: datetime | None = _ts()
    details: dict = _json({})
    created_at: datetime = _ts(nullable=False, default_now=True)


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_incident_at", "incident_id", "at"),)

    id: int = Field(default=None, sa_type=BigInteger, primary_key=True)
    incident_id: int | None = _fk("incidents.id", ondelete="SET NULL")
    at: datetime = _ts(nullable=False, default_now=True)
    actor: str = Field(default="system", max_length=100)
    event: str = Field(max_length=64)
    details: dict = _json({})


class SlackMessage(SQLModel, table=True):
    """The one Slack message of an incident (updated in place; replies go in its thread)."""

    __tablename__ = "slack_messages"
    __table_args__ = (UniqueConstraint("incident_id", name="uq_slack_messages_incident"),)

    id: int = Field(default=None, sa_type=BigInteger, primary_key=True)
    incident_id: int = _fk("incidents.id", nullable=False)
    channel: str = Field(max_length=100)
    ts: str = Field(max_length=40)
    updated_at: datetime = _ts(nullable=False, default_now=True)


class NotificationOutbox(SQLModel, table=True):
    """Slack work to do. Written in the same transaction as the change it reports, sent later,
    retried while Slack is down, so a Slack failure never blocks or undoes a remediation."""

    __tablename__ = "notification_outbox"
    __table_args__ = (Index("ix_notification_outbox_pending", "status", "next_attempt_at"),)

    id: int = Field(default=None, sa_type=BigInteger, primary_key=True)
    incident_id: int | None = _fk("incidents.id")  # None: a message of its own (a pause)
    kind: str = Field(max_length=32)  # message (post or update in place) | reply | channel
    text: str = Field(default="")
    status: str = Field(default="pending", max_length=16)
    attempts: int = _num(0)
    next_attempt_at: datetime = _ts(nullable=False, default_now=True)
    last_error: str | None = None
    created_at: datetime = _ts(nullable=False, default_now=True)
    sent_at: datetime | None = _ts()


class CalibratedThreshold(SQLModel, table=True):
    """An auto-fix threshold per action chosen by `codehealer calibrate --apply`."""

    __tablename__ = "calibrated_thresholds"

    action: str = Field(primary_key=True, max_length=64)
    threshold: float
    precision_lower_bound: float
    samples: int
    computed_at: datetime = _ts(nullable=False, default_now=True)


class CommitTestVerdict(SQLModel, table=True):
    """What re-running one commit said about one failing test of a repository: ``flaky`` (a
    later attempt passed) or ``broken`` (it failed again); one row per test and commit."""

    __tablename__ = "test_verdicts"
    __table_args__ = (
        UniqueConstraint("repo", "test_id", "head_sha", name="uq_test_verdicts_repo_test_commit"),
    )

    id: int = Field(default=None, sa_type=BigInteger, primary_key=True)
    repo: str = Field(max_length=300)
    test_id: str
    head_sha: str = Field(max_length=64)
    verdict: str = Field(max_length=16)
    run_id: int | None = Field(default=None, sa_type=BigInteger)
    incident_id: int | None = _fk("incidents.id", ondelete="SET NULL")
    observed_at: datetime = _ts(nullable=False, default_now=True)


class PersonRerun(SQLModel, table=True):
    """A person re-ran a failed run attempt that CodeHealer did not act on, and the later
    attempt passed or failed: evidence for ``rerun_failed_jobs`` on that failure's signature.
    One row per failed attempt (its incident)."""

    __tablename__ = "person_reruns"
    __table_args__ = (UniqueConstraint("incident_id", name="uq_person_reruns_incident"),)

    id: int = Field(default=None, sa_type=BigInteger, primary_key=True)
    incident_id: int = _fk("incidents.id", nullable=False)
    run_attempt: int  # the later attempt that judged it
    succeeded: bool
    observed_at: datetime = _ts(nullable=False, default_now=True)


class AutonomyGrant(SQLModel, table=True):
    """Whether an action runs alone for one failure signature, as last judged from its
    evidence: the state its promotions and demotions move, and the figures they quoted."""

    __tablename__ = "autonomy_grants"

    signature_hash: str = Field(primary_key=True, max_length=64)
    action: str = Field(primary_key=True, max_length=64)
    category: str = Field(default="unknown", max_length=64)
    label: str = Field(default="")  # the failure in a few words, for messages
    automatic: bool = _num(False)
    successes: int = _num(0)  # own evidence since ``demoted_at``
    failures: int = _num(0)
    lower_bound: float = Field(default=0.0)
    required: float | None = None
    promoted_at: datetime | None = _ts()
    demoted_at: datetime | None = _ts()  # evidence before this no longer counts
    updated_at: datetime = _ts(nullable=False, default_now=True)


class AutomationPause(SQLModel, table=True):
    """A person's pause of automatic fixes: everything, one source, one action, or both.
    Active until ``resumed_at`` is set; at most one active pause per scope."""

    __tablename__ = "pauses"
    __table_args__ = (
        Index(
            "uq_pauses_active_scope",
            text("coalesce(source, '')"),
            text("coalesce(action, '')"),
            unique=True,
            postgresql_where=text("resumed_at IS NULL"),
        ),
    )

    id: int = Field(default=None, sa_type=BigInteger, primary_key=True)
    source: str | None = Field(default=None, max_length=32)  # None: every source
    action: str | None = Field(default=None, max_length=64)  # None: every action
    reason: str = Field(default="", max_length=500)
    paused_by: str = Field(max_length=100)
    paused_at: datetime = _ts(nullable=False, default_now=True)
    resumed_by: str | None = Field(default=None, max_length=100)
    resumed_at: datetime | None = _ts()


class ReferenceIncident(SQLModel, table=True):
    """A labelled failure of another project, shipped with CodeHealer (app/core/reference.py):
    a neighbour and a prior for new failures, never an incident of this installation. One row
    per entry and embedding space."""

    __tablename__ = "reference_incidents"
    __table_args__ = (
        UniqueConstraint(
            "name", "embedder", "embedding_model", name="uq_reference_incidents_name_space"
        ),
        Index("ix_reference_incidents_category", "category"),
    )

    id: int = Field(default=None, sa_type=BigInteger, primary_key=True)
    version: str = Field(max_length=64)  # of the shipped memory it came from
    name: str = Field(max_length=200)
    source: str  # the public thread its log was posted in
    category: str = Field(max_length=64)
    action: str = Field(max_length=64)  # the right action the thread settled on
    excerpt: str
    signature: str
    signature_hash: str = Field(max_length=64)
    embedding: list[float] = Field(sa_column=Column(Vector(EMBEDDING_DIMENSIONS), nullable=False))
    embedder: str = Field(max_length=32)
    embedding_model: str = Field(max_length=200)
    seeded_at: datetime = _ts(nullable=False, default_now=True)


class ReferenceSeed(SQLModel, table=True):
    """A version of the shipped reference memory seeded for one embedding space."""

    __tablename__ = "reference_seeds"

    version: str = Field(primary_key=True, max_length=64)
    embedder: str = Field(primary_key=True, max_length=32)
    embedding_model: str = Field(primary_key=True, max_length=200)
    entries: int
    seeded_at: datetime = _ts(nullable=False, default_now=True)
