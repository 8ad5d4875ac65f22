"""Which audit events post to Slack, and what they post: one table the services read.

Recording an event (``app.services.audit_trail.record_event``) writes its audit row and queues
the posts this table lists for it in the notification outbox, in the same transaction; the
notifier sends the outbox later (``app.services.notifier``). An event that posts nothing is
listed in ``NOT_NOTIFIED``: a new event is decided here, one way or the other.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.core.redaction import mask_secrets
from app.domain.audit import AuditEvent


class OutboxKind(StrEnum):
    """Where a queued post goes, and what builds it."""

    # The incident's card in the channel, built by ``blocks.incident_blocks`` from the rows as
    # they are when it is sent: posted once, then updated in place.
    MESSAGE = "message"
    # A text reply in the thread of that card, rendered when the event is recorded.
    REPLY = "reply"
    # A message of its own in the channel, for an event that belongs to no incident (a pause).
    CHANNEL = "channel"


@dataclass(frozen=True)
class SlackPost:
    """One row of the notification outbox."""

    kind: OutboxKind
    text: str = ""


@dataclass(frozen=True)
class SlackNotice:
    """What one event posts: the incident's card is refreshed, and ``reply``, when set, is said
    in its thread. The template may use ``{actor}``, ``{reason}``, ``{detail}`` and ``{mttr}``.
    With ``own_message``, the text is posted as a message of its own in the channel instead
    (events of no incident)."""

    reply: str | None = None
    own_message: bool = False

    def posts(self, *, actor: str, details: Mapping[str, Any]) -> tuple[SlackPost, ...]:
        card = SlackPost(OutboxKind.MESSAGE)
        if self.reply is None:
            return (card,)
        text = mask_secrets(
            self.reply.format(
                actor=actor,
                reason=details.get("reason", ""),
                detail=details.get("detail", ""),
                mttr=duration(details.get("mttr_seconds")),
            )
        )
        if self.own_message:
            return (SlackPost(OutboxKind.CHANNEL, text),)
        return card, SlackPost(OutboxKind.REPLY, text)


CARD_ONLY = SlackNotice()  # the card shows the change; nothing is said in the thread

EVENT_HANDLERS: dict[AuditEvent, SlackNotice] = {
    AuditEvent.INCIDENT_ANALYZED: CARD_ONLY,
    # The card shows a verdict; this says it came without the model, and why.
    AuditEvent.ANALYSIS_DEGRADED: SlackNotice("Analysed without the configured model: {reason}."),
    AuditEvent.DECISION_MADE: CARD_ONLY,
    AuditEvent.DECISION_GROUPED: CARD_ONLY,
    AuditEvent.INCIDENT_ESCALATED: SlackNotice("Escalated: {reason}"),
    AuditEvent.APPROVAL_APPROVED: SlackNotice("Approved by <@{actor}>."),
    AuditEvent.APPROVAL_REJECTED: SlackNotice("Rejected by <@{actor}>."),
    AuditEvent.APPROVAL_EXPIRED: SlackNotice(
        "<@{actor}> answered after the request expired: nothing ran."
    ),
    AuditEvent.APPROVAL_OVER_BUDGET: SlackNotice(
        "Approved by <@{actor}>, but the hourly fix budget is used up: nothing ran."
    ),
    AuditEvent.APPROVAL_BLOCKED: SlackNotice(
        "Approved by <@{actor}>, but the rules now stop this fix: {reason}. Nothing ran."
    ),
    # "rerun_failed_jobs planned for 4 of 5 grouped failures, 1 skipped"
    AuditEvent.STORM_FIXES_PLANNED: SlackNotice("{detail}"),
    AuditEvent.STORM_MEMBER_SKIPPED: SlackNotice("Not fixed with the storm: {detail}"),
    AuditEvent.REMEDIATION_SUCCEEDED: SlackNotice("Executed: {detail}"),
    AuditEvent.REMEDIATION_ALREADY_DONE: SlackNotice("Already done: {detail}"),
    AuditEvent.REMEDIATION_FAILED: SlackNotice("Remediation failed: {detail}"),
    AuditEvent.REMEDIATION_ABORTED: SlackNotice("Not executed: {detail}"),
    AuditEvent.INCIDENT_RESOLVED: SlackNotice("Verified: the next attempt succeeded. MTTR {mttr}."),
    AuditEvent.INCIDENT_FIX_FAILED: SlackNotice("The fix did not work: {reason}"),
    # "rerun_failed_jobs for “npm ERR! code ECONNRESET” is now automatic: 10 of 10 re-runs passed"
    AuditEvent.AUTONOMY_PROMOTED: SlackNotice("{detail}"),
    AuditEvent.AUTONOMY_DEMOTED: SlackNotice("{detail}"),
    # "⏸️ All automatic fixes paused by <@U123> (deploy freeze). Decisions ..."
    AuditEvent.AUTOMATION_PAUSED: SlackNotice("{detail}", own_message=True),
    AuditEvent.AUTOMATION_RESUMED: SlackNotice("{detail}", own_message=True),
}

NOT_NOTIFIED: frozenset[AuditEvent] = frozenset(
    {
        AuditEvent.INCIDENT_CREATED,  # its card is posted once it is analyzed
        AuditEvent.INCIDENT_PREVIOUS_FIX_FAILED,  # said on the earlier incident (fix_failed)
        AuditEvent.APPROVAL_REFUSED,  # only the person who clicked is answered
        AuditEvent.STORM_MEMBER_PLANNED,  # the group's storm.fixes_planned says it
        AuditEvent.STORM_MEMBER_REJECTED,  # the group's approval.rejected says it
        AuditEvent.REMEDIATION_DEFERRED,  # tried again later; how it ends is posted then
        AuditEvent.PROCESSING_RETRY,
        AuditEvent.PROCESSING_WAITING,
        AuditEvent.FEEDBACK_RECORDED,
    }
)


def slack_posts(
    event: AuditEvent,
    *,
    actor: str,
    details: Mapping[str, Any],
    handlers: Mapping[AuditEvent, SlackNotice] = EVENT_HANDLERS,
) -> tuple[SlackPost, ...]:
    """What recording ``event`` queues for Slack under ``handlers`` (none when not listed)."""
    notice = handlers.get(event)
    return () if notice is None else notice.posts(actor=actor, details=details)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes}m" if hours else f"{minutes}m {secs}s"
