"""What a click on a CodeHealer Slack message does: approve or reject a fix, rate one, or
pause or resume automatic fixes.

The interaction endpoint verifies and parses the click and hands it here. A click on an incident
that does not exist changes nothing. A decision counts only from someone on the allow-list or in
the approver group (asked of Slack; when Slack cannot say, nothing is recorded), and it is only
recorded: execution is queued by the approval service, so Slack gets its answer within 3 s. The
person who clicked is told the outcome in an ephemeral message, posted after that answer.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from app.adapters.database.engine import Database
from app.adapters.database.repositories.feedback import FeedbackRepository
from app.adapters.database.repositories.incidents import IncidentRepository
from app.adapters.external.slack.client import SlackClient
from app.core.errors import SlackError
from app.core.redaction import mask_secrets
from app.domain.audit import AuditEvent
from app.domain.notifications.blocks import reply_text
from app.services.approvals import ApprovalService
from app.services.audit_trail import record_event
from app.services.pauses import PauseService

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApprovalClick:
    """Approve (or reject) the fix proposed by the approval request ``nonce``."""

    incident_id: int
    nonce: str
    approve: bool


@dataclass(frozen=True)
class FeedbackClick:
    """👍 (1) or 👎 (-1) on what CodeHealer did with an incident."""

    incident_id: int
    value: int


@dataclass(frozen=True)
class PauseClick:
    """Pause every automatic fix (the kill switch), clicked on incident ``incident_id``'s card."""

    incident_id: int


@dataclass(frozen=True)
class ResumeClick:
    """End the pause ``pause_id``."""

    pause_id: int


Click = ApprovalClick | FeedbackClick | PauseClick | ResumeClick


class InteractionService:
    def __init__(
        self,
        db: Database,
        approvals: ApprovalService,
        slack: SlackClient | None,
        *,
        approver_group: str | None,
        pauses: PauseService | None = None,
    ):
        self.db = db
        self.approvals = approvals
        self.slack = slack
        self.approver_group = approver_group
        self.pauses = pauses

    def handle(self, user: str, clicks: Sequence[Click]) -> list[str]:
        """Apply each click of ``user`` in order; return what to tell them about each."""
        return [self._one(user, click) for click in clicks]

    def _one(self, user: str, click: Click) -> str:
        if isinstance(click, ApprovalClick):
            return self.decide(user, click)
        if isinstance(click, FeedbackClick):
            return self.rate(user, click)
        return self.switch(user, click)

    def switch(self, user: str, click: PauseClick | ResumeClick) -> str:
        """Pause or resume automatic fixes: only approvers may (the same allow-list)."""
        if self.pauses is None:
            return "Pausing is not available here; nothing changed."
        allowed = self.may_approve(user)
        if allowed is None:
            return "Could not check the approver group in Slack; nothing changed. Try again."
        verb = "pause" if isinstance(click, PauseClick) else "resume"
        if not allowed:
            log.warning("slack %s by %s refused: not an approver", verb, user)
            return f"Only approvers can {verb} automatic fixes; nothing changed."
        if isinstance(click, PauseClick):
            reason = f"from the Slack message of incident #{click.incident_id}"
            change = self.pauses.pause(by=user, reason=reason)
            if not change.changed:
                return f"Already paused: {change.pause.summary}."
            return (
                "All automatic fixes are paused. Decisions are still made; fixes wait for approval."
            )
        ended = self.pauses.resume_by_id(click.pause_id, by=user)
        if ended is None:
            return "That pause is no longer in force; nothing changed."
        return f"Resumed: {ended.scope} may run by themselves again."

    def decide(self, user: str, click: ApprovalClick) -> str:
        """Record an approval or a rejection; the reply says what came of it."""
        if not self._incident_exists(click.incident_id):
            return f"Incident #{click.incident_id} does not exist."
        allowed = self.may_approve(user)
        if allowed is None:
            return "Could not check the approver group in Slack; nothing was recorded. Try again."
        result = self.approvals.decide(
            incident_id=click.incident_id,
            nonce=click.nonce,
            user_id=user,
            approve=click.approve,
            allowed=allowed,
        )
        log.info(
            "slack %s by %s on incident %s: %s",
            "approve" if click.approve else "reject",
            user,
            click.incident_id,
            result.outcome.value,
        )
        return result.message

    def may_approve(self, user: str) -> bool | None:
        """On the allow-list or in the approver group; None when the group cannot be read."""
        if self.approvals.is_approver(user):
            return True
        if not self.approver_group or self.slack is None:
            return False
        try:
            members = self.slack.group_members(self.approver_group)
        except SlackError as exc:
            log.warning(
                "approver group %s could not be read: %s",
                self.approver_group,
                mask_secrets(str(exc)),
            )
            return None
        return self.approvals.is_approver(user, group_members=members)

    def rate(self, user: str, click: FeedbackClick) -> str:
        """Record the person's 👍 or 👎 (a second click replaces their first)."""
        with self.db.session() as session:
            recorded = FeedbackRepository(session).record(click.incident_id, user, click.value)
            if recorded:
                record_event(
                    session,
                    AuditEvent.FEEDBACK_RECORDED,
                    incident_id=click.incident_id,
                    actor=user,
                    details={"value": click.value},
                )
        if not recorded:
            return f"Incident #{click.incident_id} does not exist."
        log.info("slack feedback %+d by %s on incident %s", click.value, user, click.incident_id)
        thumb = "👍" if click.value > 0 else "👎"
        return f"Thanks, your {thumb} on incident #{click.incident_id} is recorded."

    def tell(self, channel: str | None, user: str, text: str) -> None:
        """Tell the person who clicked what happened (run after Slack has its answer)."""
        if self.slack is None or channel is None:
            log.info(
                "outcome for %s not posted (no Slack client or channel): %s",
                user,
                mask_secrets(text)[:200],
            )
            return
        try:
            self.slack.post_ephemeral(channel, user, reply_text(text))
        except SlackError as exc:
            log.warning("could not post the outcome to %s: %s", user, mask_secrets(str(exc)))

    def _incident_exists(self, incident_id: int) -> bool:
        with self.db.session() as session:
            return IncidentRepository(session).get(incident_id) is not None
