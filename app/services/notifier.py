"""Slack delivery of the notification outbox: one message per incident, updated in place.

The outbox rows are written in the same transaction as the change they report, as the table
``app.domain.notifications.handlers.EVENT_HANDLERS`` lists them; this service sends them later. A Slack failure never raises into the pipeline: the row is rescheduled with
exponential backoff and given up after ``max_attempts``.
"""

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from pydantic import ValidationError
from sqlmodel import Session

from app.adapters.database.engine import Database
from app.adapters.database.repositories.approvals import ApprovalRepository
from app.adapters.database.repositories.attempts import AttemptRepository
from app.adapters.database.repositories.incidents import IncidentRepository
from app.adapters.database.repositories.links import LinkRepository
from app.adapters.database.repositories.outbox import OutboxRepository
from app.adapters.database.repositories.pauses import PauseRepository
from app.adapters.database.repositories.slack_messages import SlackMessageRepository
from app.adapters.database.tables import (
    Approval,
    Incident,
    IncidentLinkRow,
    NotificationOutbox,
    RemediationAttempt,
    SlackMessage,
    utcnow,
)
from app.adapters.external.slack.client import SlackClient
from app.core.enums import ActionKind, IncidentKind, IncidentSource
from app.core.errors import SlackError
from app.core.redaction import mask_secrets
from app.domain.diagnosis import diagnosis_of
from app.domain.escalation import approval_has_expired, reason_needing_person
from app.domain.notifications.blocks import incident_blocks, incident_text, reply_text
from app.domain.notifications.handlers import OutboxKind
from app.domain.notifications.models import AttemptView, IncidentCard, LinkLine, SimilarView
from app.domain.pauses import Pause, matching_pause

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_ATTEMPTS = 10
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
EXCERPT_TAIL_LINES = 8


@dataclass
class _Batch:
    """One ``deliver_pending`` run: its clock, its counters, and whether Slack is down."""

    now: datetime
    counts: Counter = field(default_factory=Counter)
    down: SlackError | None = None


class SlackNotifier:
    def __init__(
        self,
        db: Database,
        client: SlackClient | None,
        *,
        channel: str,
        public_url: str,
        runbook_base_url: str | None = None,
        max_attempts: int = MAX_ATTEMPTS,
    ):
        self.db = db
        self.client = client
        self.channel = channel
        self.public_url = public_url
        self.runbook_base_url = runbook_base_url
        self.max_attempts = max_attempts

    def deliver_pending(self, limit: int = 20, *, now: datetime | None = None) -> dict[str, int]:
        """Send due outbox rows. Never raises; returns counts (sent, failed, skipped, busy)."""
        batch = _Batch(now=now or utcnow())
        try:
            with self.db.session() as session:
                outbox = OutboxRepository(session)
                if self.client is None:
                    batch.counts["skipped"] += outbox.skip_all_pending()
                    return dict(batch.counts)
                rows = outbox.due(limit=limit, now=batch.now)
                for row in (r for r in rows if r.incident_id is None):
                    self._post_own_message(outbox, row, batch)
                incident_rows = [r for r in rows if r.incident_id is not None]
                for owner, group in self._by_message_owner(session, incident_rows, batch):
                    self._deliver_isolated(session, owner, group, batch)
        except Exception:  # the notifier is a side effect: log it, never fail the caller
            log.exception("slack delivery run failed; pending rows stay pending")
            batch.counts["errors"] += 1
        return dict(batch.counts)

    # --- one incident ------------------------------------------------------------------------
    def _by_message_owner(
        self, session: Session, rows: list[NotificationOutbox], batch: _Batch
    ) -> list[tuple[Incident, list[NotificationOutbox]]]:
        """Rows grouped by the incident whose message they change, so each message changes
        once per run (a storm's members all report in the group's message)."""
        owners: dict[int, tuple[Incident, list[NotificationOutbox]]] = {}
        incidents = IncidentRepository(session)
        for incident_id, group in _by_incident(rows).items():
            incident = incidents.get(incident_id)
            if incident is None:
                self._give_up(OutboxRepository(session), group, "the incident is gone", batch)
                continue
            owner = self._message_owner(session, incident)
            owners.setdefault(owner.id, (owner, []))[1].extend(group)
        return [(owner, sorted(group, key=lambda r: r.id)) for owner, group in owners.values()]

    def _message_owner(self, session: Session, incident: Incident) -> Incident:
        """A storm member without a message of its own reports in its group's message."""
        if incident.parent_id is None or SlackMessageRepository(session).for_incident(incident.id):
            return incident
        return IncidentRepository(session).get(incident.parent_id) or incident

    def _deliver_isolated(
        self, session: Session, owner: Incident, rows: list[NotificationOutbox], batch: _Batch
    ) -> None:
        """A bug with one message's rows (bad data, a card that fails) spares the others."""
        try:
            with session.begin_nested():
                self._deliver_incident(session, owner, rows, batch)
        except Exception as exc:
            log.exception("slack delivery for incident %s failed unexpectedly", owner.id)
            self._failed(OutboxRepository(session), rows, type(exc).__name__, batch, owner.id)

    def _deliver_incident(
        self, session: Session, owner: Incident, rows: list[NotificationOutbox], batch: _Batch
    ) -> None:
        outbox, messages = OutboxRepository(session), SlackMessageRepository(session)
        if not messages.try_lock_incident(owner.id):
            batch.counts["busy"] += len(rows)  # another sender has it; these stay pending
            return
        updates = [r for r in rows if r.kind == OutboxKind.MESSAGE]
        replies = [r for r in rows if r.kind == OutboxKind.REPLY]
        unknown = [r for r in rows if r.kind not in tuple(OutboxKind)]
        if unknown:
            self._give_up(outbox, unknown, "unknown outbox kind", batch)
        root = messages.for_incident(owner.id)
        if updates or (replies and root is None):
            try:
                root = self._post_or_update(session, owner, root, batch)
            except SlackError as exc:
                failed = updates if root else updates + replies
                self._failed(outbox, failed, str(exc), batch, owner.id, retry_after=exc.retry_after)
                if root is None:
                    return
            else:
                for row in updates:
                    self._sent(outbox, row, batch)
        if root is None:  # no replies either: with one, the card was posted above or we returned
            return
        for row in replies:
            self._reply(outbox, root, row, batch)

    def _post_or_update(
        self, session: Session, incident: Incident, root: SlackMessage | None, batch: _Batch
    ) -> SlackMessage:
        approval = self._open_approval(session, incident.id, batch.now)
        attempt = AttemptRepository(session).latest(incident.id)
        latest = ApprovalRepository(session).latest_for(incident.id)
        card = build_card(
            incident,
            approval=approval,
            attempt=attempt,
            links=LinkRepository(session).for_incident(incident.id),
            public_url=self.public_url,
            runbook_base_url=self.runbook_base_url,
            approval_expired=latest is not None
            and approval_has_expired(latest.status, latest.expires_at, batch.now),
            pause=_pause_over(session, incident),
        )
        text, blocks = incident_text(card), incident_blocks(card)
        messages = SlackMessageRepository(session)
        if root is None:
            channel, ts = self._send(
                batch, lambda: self._slack.post_message(self.channel, text, blocks)
            )
            root = messages.add(incident.id, channel=channel, ts=ts)
        else:
            self._send(
                batch, lambda: self._slack.update_message(root.channel, root.ts, text, blocks)
            )
            messages.touch(root.id)
        if approval is not None and approval.slack_ts != root.ts:
            ApprovalRepository(session).set_message(approval.id, channel=root.channel, ts=root.ts)
        return root

    def _reply(
        self, outbox: OutboxRepository, root: SlackMessage, row: NotificationOutbox, batch: _Batch
    ) -> None:
        text = reply_text(row.text)
        try:
            self._send(
                batch, lambda: self._slack.post_message(root.channel, text, [], thread_ts=root.ts)
            )
        except SlackError as exc:
            self._failed(
                outbox, [row], str(exc), batch, row.incident_id, retry_after=exc.retry_after
            )
            return
        self._sent(outbox, row, batch)

    def _post_own_message(
        self, outbox: OutboxRepository, row: NotificationOutbox, batch: _Batch
    ) -> None:
        """A message of no incident (a pause, a resume): posted once in the channel."""
        text = reply_text(row.text)
        try:
            self._send(batch, lambda: self._slack.post_message(self.channel, text, []))
        except SlackError as exc:
            self._failed(outbox, [row], str(exc), batch, None, retry_after=exc.retry_after)
            return
        self._sent(outbox, row, batch)

    @staticmethod
    def _open_approval(session: Session, incident_id: int, now: datetime) -> Approval | None:
        approval = ApprovalRepository(session).pending_for(incident_id)
        if approval is None or approval.expires_at <= now:
            return None  # an expired request shows no buttons
        return approval

    # --- bookkeeping -------------------------------------------------------------------------
    @property
    def _slack(self) -> SlackClient:
        if self.client is None:  # deliver_pending never gets here without a client
            raise RuntimeError("Slack is not configured")
        return self.client

    def _send(self, batch: _Batch, call: Callable[[], T]) -> T:
        """One Slack call, unless an earlier call in this run found Slack unavailable."""
        if batch.down is not None:
            raise batch.down
        try:
            return call()
        except SlackError as exc:
            if exc.retryable:
                batch.down = exc  # the rest of this run would only hit the same wall
            raise

    @staticmethod
    def _sent(outbox: OutboxRepository, row: NotificationOutbox, batch: _Batch) -> None:
        outbox.mark_sent(row.id)
        batch.counts["sent"] += 1

    def _failed(
        self,
        outbox: OutboxRepository,
        rows: list[NotificationOutbox],
        error: str,
        batch: _Batch,
        incident_id: int | None,
        *,
        retry_after: float | None = None,
    ) -> None:
        """Reschedule with exponential backoff (30 s · 2^attempts, at most 1 h), or give up."""
        error = mask_secrets(error)[:500]
        for row in rows:
            delay = min(MAX_DELAY, BASE_DELAY * 2**row.attempts)
            if retry_after:
                delay = max(delay, timedelta(seconds=retry_after))
            give_up = row.attempts + 1 >= self.max_attempts
            outbox.mark_failed(row.id, error=error, retry_at=batch.now + delay, give_up=give_up)
            batch.counts["gave_up" if give_up else "failed"] += 1
        if rows:
            log.warning(
                "slack delivery for %s failed (%d row(s) rescheduled): %s",
                f"incident {incident_id}" if incident_id is not None else "the channel",
                len(rows),
                error,
            )

    def _give_up(
        self, outbox: OutboxRepository, rows: list[NotificationOutbox], reason: str, batch: _Batch
    ) -> None:
        for row in rows:
            outbox.mark_failed(row.id, error=reason, retry_at=batch.now, give_up=True)
            batch.counts["gave_up"] += 1
        log.warning("slack delivery of %d outbox row(s) abandoned: %s", len(rows), reason)


# --- the card -------------------------------------------------------------------------------
def build_card(
    incident: Incident,
    *,
    approval: Approval | None,
    attempt: RemediationAttempt | None,
    links: Sequence[IncidentLinkRow] = (),
    public_url: str,
    runbook_base_url: str | None = None,
    approval_expired: bool = False,
    pause: Pause | None = None,
) -> IncidentCard:
    """The view model of an incident's Slack message, from its rows (and the pause in force
    over its source and action, if any)."""
    details = incident.details or {}
    attempt_result = (attempt.result or {}) if attempt is not None else {}
    return IncidentCard(
        incident_id=incident.id,
        public_url=public_url,
        title=incident.title or f"{incident.source} {incident.kind}",
        status=incident.status,
        source=incident.source,
        kind=incident.kind,
        severity=incident.severity,
        target=incident_target_text(incident),
        run_url=incident.html_url,
        category=incident.category,
        root_cause=incident.root_cause,
        action=incident.action,
        evidence=_evidence(incident),
        failing_tests=[str(t) for t in incident.failing_tests or []],
        confidence=incident.confidence,
        confidence_classifier=incident.confidence_classifier,
        confidence_similarity=incident.confidence_similarity,
        confidence_history=incident.confidence_history,
        similar=_similar(incident.similar),
        links=[LinkLine(relation=row.relation, ref=row.ref, url=row.url) for row in links],
        decision=incident.decision,
        decision_reason=incident.decision_reason,
        diagnosis=diagnosis_of(details),
        approval_nonce=approval.nonce if approval else None,
        approval_expires_at=approval.expires_at if approval else None,
        attempt=_attempt_view(attempt),
        auto_sync_disabled=bool(
            details.get("auto_sync_disabled") or attempt_result.get("auto_sync_disabled")
        ),
        storm_group=incident.kind == IncidentKind.STORM_GROUP,
        occurrences=incident.occurrences,
        parent_id=incident.parent_id,
        escalation_reason=reason_needing_person(
            incident.escalation_reason, status=incident.status, approval_expired=approval_expired
        ),
        runbook_base_url=runbook_base_url,
        pause_id=pause.id if pause else None,
        pause_summary=_capital(pause.summary) if pause else None,
    )


def _pause_over(session: Session, incident: Incident) -> Pause | None:
    try:
        source = IncidentSource(incident.source)
        action = ActionKind(incident.action or ActionKind.NONE)
    except ValueError:  # a row written by another version: no pause is said to cover it
        return None
    return matching_pause(PauseRepository(session).active(), source=source, action=action)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def incident_target_text(incident: Incident) -> str:
    if incident.repo:
        parts = (incident.repo, incident.workflow_name, incident.head_branch)
        return " · ".join(p for p in parts if p)
    if incident.app:
        return incident.app
    place = (incident.cluster, incident.namespace, incident.pod or incident.owner_name)
    return "/".join(p for p in place if p)


def _evidence(incident: Incident) -> list[str]:
    lines = [str(line) for line in incident.evidence or [] if line]
    if lines or not incident.excerpt:
        return lines
    tail = [line for line in incident.excerpt.splitlines() if line.strip()]
    return tail[-EXCERPT_TAIL_LINES:]


def _similar(items: list) -> list[SimilarView]:
    views = []
    for item in items or []:
        try:
            views.append(SimilarView.model_validate(item))
        except ValidationError:
            continue  # an old or partial entry is left out, not fatal
    return views


def _attempt_view(attempt: RemediationAttempt | None) -> AttemptView | None:
    if attempt is None:
        return None
    detail = (attempt.result or {}).get("detail") or attempt.error
    return AttemptView(
        action=attempt.action,
        status=attempt.status,
        dry_run=attempt.dry_run,
        actor=attempt.actor,
        actor_id=attempt.actor_id,
        detail=str(detail) if detail else None,
    )


def _by_incident(rows: list[NotificationOutbox]) -> dict[int, list[NotificationOutbox]]:
    groups: dict[int, list[NotificationOutbox]] = defaultdict(list)
    for row in rows:  # ``due`` returns rows oldest first; the order within a group is kept
        if row.incident_id is not None:
            groups[row.incident_id].append(row)
    return groups
