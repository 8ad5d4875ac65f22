"""Approvals from people: who may decide, first click wins, rules checked again, execution queued.

The interaction endpoint calls ``decide``; it never executes anything itself (Slack wants an
answer within 3 s), it only records the decision and enqueues the incident.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from app.adapters.database.engine import Database
from app.adapters.database.repositories.approvals import ApprovalRepository
from app.adapters.database.repositories.attempts import AttemptRepository, hour_ago
from app.adapters.database.repositories.incidents import IncidentRepository
from app.adapters.database.tables import utcnow
from app.core.enums import ActionKind, Actor, AttemptStatus, IncidentStatus
from app.core.ports import Queue
from app.domain.audit import AuditEvent
from app.domain.escalation import EscalationReason
from app.services.audit_trail import record_event
from app.services.decision import incident_target, remediation_params

log = logging.getLogger(__name__)


class ApprovalOutcome(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    ALREADY_HANDLED = "already_handled"
    EXPIRED = "expired"
    NOT_ALLOWED = "not_allowed"
    UNKNOWN = "unknown"
    OVER_BUDGET = "over_budget"


@dataclass(frozen=True)
class ApprovalResult:
    outcome: ApprovalOutcome
    message: str
    incident_id: int | None = None


class ApprovalService:
    def __init__(
        self,
        db: Database,
        queue: Queue,
        *,
        approvers: frozenset[str],
        ttl: timedelta,
        max_per_hour: int,
        max_per_hour_per_target: int,
        dry_run: bool,
        secret_names: list[str] | None = None,
    ):
        self.db = db
        self.queue = queue
        self.approvers = approvers
        self.ttl = ttl
        self.max_per_hour = max_per_hour
        self.max_per_hour_per_target = max_per_hour_per_target
        self.dry_run = dry_run
        self.secret_names = secret_names or []

    def is_approver(self, user_id: str, *, group_members: frozenset[str] = frozenset()) -> bool:
        return user_id in self.approvers or user_id in group_members

    def decide(
        self, *, incident_id: int, nonce: str, user_id: str, approve: bool, allowed: bool
    ) -> ApprovalResult:
        """Record one click. ``allowed`` says whether the user is on the approver list."""
        with self.db.session() as session:
            if not allowed:
                record_event(
                    session,
                    AuditEvent.APPROVAL_REFUSED,
                    incident_id=incident_id,
                    actor=user_id,
                    details={"reason": "not an approver"},
                )
                return ApprovalResult(
                    ApprovalOutcome.NOT_ALLOWED,
                    "You are not allowed to approve CodeHealer fixes.",
                    incident_id,
                )
            approvals = ApprovalRepository(session)
            request = approvals.by_nonce(nonce)
            if request is None or request.incident_id != incident_id:
                return ApprovalResult(
                    ApprovalOutcome.UNKNOWN, "Unknown approval request.", incident_id
                )
            now = utcnow()
            if request.status != "pending":
                return ApprovalResult(
                    ApprovalOutcome.ALREADY_HANDLED,
                    f"Already handled by <@{request.decided_by}> ({request.status}).",
                    incident_id,
                )
            if request.expires_at <= now:
                if approvals.expire(nonce, incident_id=incident_id, user=user_id, now=now):
                    # The message then loses its buttons and points at the runbook.
                    record_event(
                        session, AuditEvent.APPROVAL_EXPIRED, incident_id=incident_id, actor=user_id
                    )
                return ApprovalResult(
                    ApprovalOutcome.EXPIRED,
                    "This request expired — re-analyze the incident.",
                    incident_id,
                )
            status = "approved" if approve else "rejected"
            if not approvals.decide(
                nonce, incident_id=incident_id, status=status, user=user_id, now=now
            ):
                # Lost the race to a concurrent click (or it expired in between).
                session.rollback()
                return self._already(incident_id, nonce)
            record_event(
                session,
                AuditEvent.APPROVAL_APPROVED if approve else AuditEvent.APPROVAL_REJECTED,
                incident_id=incident_id,
                actor=user_id,
                details={"nonce_prefix": nonce[:6]},
            )
            if not approve:
                IncidentRepository(session).transition(
                    incident_id,
                    expected=IncidentStatus.AWAITING_APPROVAL,
                    to=IncidentStatus.ESCALATED,
                    decision_reason=f"fix rejected by {user_id}",
                    escalation_reason=EscalationReason.FIX_REJECTED.value,
                )
                return ApprovalResult(
                    ApprovalOutcome.REJECTED,
                    f"Rejected by <@{user_id}>. Nothing will run.",
                    incident_id,
                )
            result = self._plan_execution(session, incident_id, user_id)
        if result.outcome is ApprovalOutcome.APPROVED and not self.dry_run:
            self.queue.enqueue(incident_id)
        return result

    def _already(self, incident_id: int, nonce: str) -> ApprovalResult:
        with self.db.session() as session:
            request = ApprovalRepository(session).by_nonce(nonce)
        by = request.decided_by if request else "someone"
        return ApprovalResult(
            ApprovalOutcome.ALREADY_HANDLED, f"Already handled by <@{by}>.", incident_id
        )

    def _plan_execution(self, session, incident_id: int, user_id: str) -> ApprovalResult:
        """Approved: check the hourly budget again under the lock, then write the attempt."""
        attempts = AttemptRepository(session)
        attempts.lock_blast_radius()
        incident = IncidentRepository(session).get(incident_id)
        if incident is None or incident.status != IncidentStatus.AWAITING_APPROVAL:
            return ApprovalResult(
                ApprovalOutcome.ALREADY_HANDLED, "The incident has moved on.", incident_id
            )
        target = incident_target(incident)
        used, used_target = (
            attempts.count_since(hour_ago()),
            attempts.count_since(hour_ago(), target=target),
        )
        if used >= self.max_per_hour or used_target >= self.max_per_hour_per_target:
            record_event(
                session,
                AuditEvent.APPROVAL_OVER_BUDGET,
                incident_id=incident_id,
                actor=user_id,
                details={"fixes_last_hour": used, "on_target": used_target},
            )
            return ApprovalResult(
                ApprovalOutcome.OVER_BUDGET,
                f"Approved, but the hourly limit is reached ({used}/{self.max_per_hour} fixes, "
                f"{used_target}/{self.max_per_hour_per_target} on {target}). Nothing ran; approve again later.",
                incident_id,
            )
        action = ActionKind(incident.action or ActionKind.NONE)
        attempts.add(
            incident_id=incident_id,
            action=action.value,
            attempt_number=attempts.next_attempt_number(incident_id, action.value),
            target=target,
            params=remediation_params(incident, self.secret_names),
            status=AttemptStatus.PLANNED,
            dry_run=self.dry_run,
            actor=Actor.SLACK,
            actor_id=user_id,
        )
        next_status = (
            IncidentStatus.AWAITING_APPROVAL if self.dry_run else IncidentStatus.REMEDIATING
        )
        IncidentRepository(session).transition(
            incident_id,
            expected=IncidentStatus.AWAITING_APPROVAL,
            to=next_status,
            claimed_at=None,
            claimed_by=None,
            not_before=None,
        )
        suffix = " (dry run: recorded, not executed)" if self.dry_run else ""
        return ApprovalResult(
            ApprovalOutcome.APPROVED,
            f"Approved by <@{user_id}>: {action.value} queued{suffix}.",
            incident_id,
        )
