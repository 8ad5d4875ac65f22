"""One webhook delivery in one statement: the delivery row, the incident it reports, its audit entry.

This runs on the webhook's request path, so it should cost about what the database does:
the SQL is text built once per process and sent on the driver connection (psycopg prepares a
statement after a few uses), the payload goes in as JSON text, and the delivery row is
written once, with its outcome.

The statement touches the incident only when the delivery is not stored yet, and inserts the
delivery *after* the incident upsert, so that its unique key has the last word. Concurrent posts
of one delivery queue on the incident's row lock, then on the delivery key, always in that
order: exactly one of them stores, and the others' upsert merged the very same fields again
(inside a transaction the caller rolls that back; on its own it only moved ``updated_at``).
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, inspect
from sqlalchemy.dialects import postgresql

from app.adapters.database.engine import first_row
from app.adapters.database.tables import Incident
from app.core.events.models import IncidentDraft
from app.core.targets import TARGET_COLUMNS, target_columns
from app.domain.audit import AuditEvent
from app.domain.notifications.handlers import EVENT_HANDLERS, SlackNotice, SlackPost, slack_posts

# Fields a run event (authoritative) overwrites and a job event only fills when empty.
_RUN_FIELDS = (
    "title",
    "severity",
    "html_url",
    "workflow_id",
    "workflow_name",
    "head_branch",
    "head_sha",
    "conclusion",
    "run_started_at",
    "fingerprint",
    "github_installation_id",
)
# The draft's own columns, then its target's (app/core/targets.py maps a target to them).
_DRAFT_COLUMNS = (
    *(name for name in IncidentDraft.model_fields if name not in ("authoritative", "target")),
    *TARGET_COLUMNS,
)
# A new incident's bookkeeping columns, spelled out so the statement does not depend on which
# of them have server defaults.
_NEW_INCIDENT = {
    "status": "'received'",
    "occurrences": "1",
    "last_seen_at": "now()",
    "reconciled": "false",
    "evidence": "'[]'::jsonb",
    '"similar"': "'[]'::jsonb",  # a reserved word
    "llm_prompt_tokens": "0",
    "llm_completion_tokens": "0",
    "processing_attempts": "0",
    "created_at": "now()",
    "updated_at": "now()",
}


def _placeholder(name: str) -> str:
    """Typed, so that a NULL finds its column's type inside INSERT ... SELECT."""
    column_type = inspect(Incident).local_table.c[name].type.compile(dialect=postgresql.dialect())
    return f"%({name})s::{column_type}"


def _merge_clause(authoritative: bool) -> str:
    first, second = ("excluded", "incidents") if authoritative else ("incidents", "excluded")
    merged = [f"{name} = coalesce({first}.{name}, {second}.{name})" for name in _RUN_FIELDS]
    merged.append(
        "failed_jobs = (SELECT coalesce(jsonb_agg(DISTINCT e), '[]'::jsonb) FROM "
        "jsonb_array_elements(incidents.failed_jobs || excluded.failed_jobs) AS e)"
    )
    merged.append("updated_at = now()")
    return ", ".join(merged)


def _record_failure_sql(authoritative: bool, notify: bool) -> str:
    columns = ", ".join((*_DRAFT_COLUMNS, *_NEW_INCIDENT))
    values = ", ".join((*map(_placeholder, _DRAFT_COLUMNS), *_NEW_INCIDENT.values()))
    return f"""
WITH incident AS (
    INSERT INTO incidents ({columns})
    SELECT {values}
    WHERE NOT EXISTS (
        SELECT FROM webhook_deliveries WHERE source = %(source)s AND delivery_id = %(delivery_id)s
    )
    ON CONFLICT ON CONSTRAINT uq_incidents_source_dedup_key DO UPDATE SET {_merge_clause(authoritative)}
    RETURNING id, status, (xmax = 0) AS created
), delivery AS (
    INSERT INTO webhook_deliveries (source, delivery_id, event_type, payload, outcome, incident_id)
    SELECT %(source)s, %(delivery_id)s, %(event_type)s, %(payload)s::jsonb, 'incident', incident.id
    FROM incident
    ON CONFLICT ON CONSTRAINT uq_webhook_deliveries_source_delivery DO NOTHING
    RETURNING id
), audit AS (
    INSERT INTO audit_log (incident_id, actor, event, details, at)
    SELECT incident.id, %(source)s, '{AuditEvent.INCIDENT_CREATED}', %(audit_details)s::jsonb, now()
    FROM incident, delivery
    WHERE incident.created
){_NOTIFY_CREATED if notify else ""}
SELECT incident.id, incident.status, incident.created, EXISTS (SELECT FROM delivery) AS stored
FROM incident
"""


# The Slack posts the notifications table lists for a creation, queued with it; this part of
# the statement is there only when the table lists some.
_NOTIFY_CREATED = """, notification AS (
    INSERT INTO notification_outbox (incident_id, kind, text, status, attempts, next_attempt_at, created_at)
    SELECT incident.id, post.item ->> 'kind', post.item ->> 'text', 'pending', 0, now(), now()
    FROM incident, delivery, jsonb_array_elements(%(slack_posts)s::jsonb) WITH ORDINALITY AS post(item, n)
    WHERE incident.created
    ORDER BY post.n
)"""

_RECORD_FAILURE_SQL = {
    (flag, notify): _record_failure_sql(flag, notify)
    for flag in (True, False)
    for notify in (True, False)
}

_RECORD_DELIVERY_SQL = """
INSERT INTO webhook_deliveries
    (source, delivery_id, event_type, payload, outcome, incident_id, ignored_reason)
VALUES (%(source)s, %(delivery_id)s, %(event_type)s, %(payload)s::jsonb, %(outcome)s,
        %(incident_id)s, %(ignored_reason)s)
ON CONFLICT ON CONSTRAINT uq_webhook_deliveries_source_delivery DO NOTHING
RETURNING id
"""


@dataclass(frozen=True)
class DeliveryRow:
    """A delivery as stored. ``payload_json`` is the (already masked) payload as JSON text."""

    source: str
    delivery_id: str
    event_type: str
    payload_json: str


@dataclass(frozen=True)
class RecordedFailure:
    incident_id: int
    status: str
    created: bool


class IngestRepository:
    """Works on a Core connection: inside a session's transaction, or on its own (autocommit)."""

    def __init__(
        self,
        connection: Connection,
        *,
        handlers: Mapping[AuditEvent, SlackNotice] = EVENT_HANDLERS,
    ):
        self.connection = connection
        self.handlers = handlers  # what an incident's creation posts to Slack

    def record_failure(self, delivery: DeliveryRow, draft: IncidentDraft) -> RecordedFailure | None:
        """Upsert the draft's incident, store the delivery pointing at it, audit a creation and
        queue the Slack posts the notifications table lists for it.
        None when the delivery was stored before (by an earlier or a concurrent request)."""
        params = _draft_params(draft)
        params.update(_delivery_params(delivery))
        details = {"dedup_key": draft.dedup_key, "title": draft.title}
        params["audit_details"] = json.dumps(details)
        posts = slack_posts(
            AuditEvent.INCIDENT_CREATED, actor=delivery.source, details=details, handlers=self.handlers
        )
        if posts:
            params["slack_posts"] = _posts_json(posts)
        row = first_row(self.connection, _RECORD_FAILURE_SQL[draft.authoritative, bool(posts)], params)
        if row is None:
            return None
        incident_id, status, created, stored = row
        if not stored:
            return None
        return RecordedFailure(incident_id=incident_id, status=status, created=created)

    def record_delivery(
        self,
        delivery: DeliveryRow,
        *,
        outcome: str,
        incident_id: int | None = None,
        ignored_reason: str | None = None,
    ) -> bool:
        """Store a delivery that creates no incident; False when it was already stored."""
        params = _delivery_params(delivery)
        params.update(outcome=outcome, incident_id=incident_id, ignored_reason=ignored_reason)
        return first_row(self.connection, _RECORD_DELIVERY_SQL, params) is not None


def _posts_json(posts: tuple[SlackPost, ...]) -> str:
    return json.dumps([{"kind": post.kind.value, "text": post.text} for post in posts])


def _delivery_params(delivery: DeliveryRow) -> dict[str, Any]:
    return {
        "source": delivery.source,
        "delivery_id": delivery.delivery_id,
        "event_type": delivery.event_type,
        "payload": delivery.payload_json,
    }


def _draft_params(draft: IncidentDraft) -> dict[str, Any]:
    params = target_columns(draft.target)
    params["failed_jobs"] = json.dumps(params["failed_jobs"])
    params.update(
        source=draft.source.value,
        kind=draft.kind.value,
        dedup_key=draft.dedup_key,
        fingerprint=draft.fingerprint,
        title=draft.title,
        severity=draft.severity.value,
        html_url=draft.html_url,
        details=json.dumps(draft.details),
    )
    return params
