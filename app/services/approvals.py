"""Approvals from people: who may decide, first click wins, rules checked again, execution queued.

The interaction endpoint calls ``decide``; it never executes anything itself (Slack wants an
answer within 3 s), it only records the decision and enqueues the incident. Before an approved
fix is planned, the decision rules run again on the facts as they are now (a rule added since
the request, a recurrence, the retry budget) and the hourly budget is checked: the same rules,
budget check and attempt planner as the decision step. A storm group's answer applies to its
members (``app/services/storm_approvals.py``).
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlmodel import Session

from app.adapters.database.engine import Database
from app.adapters.database.repositories.approvals import ApprovalRepository
from app.adapters.database.repositories.incidents import IncidentRepository
from app.adapters.database.tables import Incident, utcnow
from app.core.enums import Actor, Decision, IncidentKind, IncidentStatus
from app.core.ports import Queue
from app.domain.audit import AuditEvent
from app.domain.decisions.models import DecisionFacts, DecisionOutcome
from app.domain.escalation import EscalationReason
from app.services.attempt_planner import AttemptPlanner
from app.services.audit_trail import record_event
from app.services.decision import STATUS_BY_DECISION, DecisionService
from app.services.fix_history import diagnosis_values
from app.services.storm_approvals import StormApprovals

log = logging.getLogger(__name__)


class ApprovalOutcome(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    ALREADY_HANDLED = "already_handled"
    EXPIRED = "expired"
    NOT_ALLOWED = "not_allowed"
    UNKNOWN = "unknown"
    OVER_BUDGET = "over_budget"
    BLOCKED = "blocked"  # a decision rule now stops the approved fix


@dataclass(frozen=True)
class ApprovalResult:
    outcome: ApprovalOutcome
    message: str
    incident_id: int | None = None
    queued: tuple[int, ...] = ()  # incidents whose planned fix the worker is to run


class ApprovalService:
    def __init__(
        self,
        db: Database,
        queue: Queue,
        *,
        approvers: frozenset[str],
        ttl: timedelta,
        decider: DecisionService,
        planner: AttemptPlanner,
    ):
        self.db = db
        self.queue = queue
        self.approvers = approvers
        self.ttl = ttl
        self.decider = decider
        self.planner = planner
        self.storms = StormApprovals(decider=decider, planner=planner)

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
                return self._reject(session, incident_id, user_id)
            result = self._plan_execution(session, incident_id, user_id)
        if result.outcome is ApprovalOutcome.APPROVED and not self.planner.dry_run:
            for queued_id in result.queued:
                self.queue.enqueue(queued_id)
        return result

    def _reject(self, session: Session, incident_id: int, user_id: str) -> ApprovalResult:
        """Nothing runs; a storm group's held-back members are closed with it."""
        incidents = IncidentRepository(session)
        incidents.transition(
            incident_id,
            expected=IncidentStatus.AWAITING_APPROVAL,
            to=IncidentStatus.ESCALATED,
            decision_reason=f"fix rejected by {user_id}",
            escalation_reason=EscalationReason.FIX_REJECTED.value,
        )
        group = incidents.get(incident_id)
        closed = ""
        if group is not None and group.kind == IncidentKind.STORM_GROUP:
            members = self.storms.reject(session, group, user_id)
            closed = f" {len(members)} grouped failures closed with it."
        return ApprovalResult(
            ApprovalOutcome.REJECTED,
            f"Rejected by <@{user_id}>. Nothing will run.{closed}",
            incident_id,
        )

    def _already(self, incident_id: int, nonce: str) -> ApprovalResult:
        with self.db.session() as session:
            request = ApprovalRepository(session).by_nonce(nonce)
        by = request.decided_by if request else "someone"
        return ApprovalResult(
            ApprovalOutcome.ALREADY_HANDLED, f"Already handled by <@{by}>.", incident_id
        )

    def _plan_execution(self, session: Session, incident_id: int, user_id: str) -> ApprovalResult:
        """Approved: under the budget lock, the rules and the budget again, then the attempt."""
        self.planner.lock(session)
        incident = IncidentRepository(session).get(incident_id)
        if incident is None or incident.status != IncidentStatus.AWAITING_APPROVAL:
            return ApprovalResult(
                ApprovalOutcome.ALREADY_HANDLED, "The incident has moved on.", incident_id
            )
        if incident.kind == IncidentKind.STORM_GROUP:
            return self._plan_storm(session, incident, user_id)
        facts, outcome = self.decider.review_approved(session, incident, approved_by=user_id)
        if outcome.decision is not Decision.NEEDS_APPROVAL:
            return self._blocked(session, incident_id, outcome, user_id)
        if self.planner.budget.exceeded(facts) is not None:
            return self._over_budget(session, incident_id, facts, user_id)
        planned = self.planner.plan(session, incident, actor=Actor.SLACK, actor_id=user_id)
        next_status = (
            IncidentStatus.AWAITING_APPROVAL if planned.dry_run else IncidentStatus.REMEDIATING
        )
        IncidentRepository(session).transition(
            incident_id,
            expected=IncidentStatus.AWAITING_APPROVAL,
            to=next_status,
            claimed_at=None,
            claimed_by=None,
            not_before=None,
        )
        suffix = " (dry run: recorded, not executed)" if planned.dry_run else ""
        return ApprovalResult(
            ApprovalOutcome.APPROVED,
            f"Approved by <@{user_id}>: {planned.action.value} queued{suffix}.",
            incident_id,
            queued=(incident_id,),
        )

    def _plan_storm(self, session: Session, group: Incident, user_id: str) -> ApprovalResult:
        """Approved storm group: each held-back member planned or skipped; the group itself is
        closed, its work handed to the members (each verified on its own)."""
        fixes = self.storms.approve(session, group, user_id)
        summary = fixes.summary(group.action or "the fix")
        skipped = "".join(f"\n• #{i}: {reason}" for i, reason in fixes.skipped[:10])
        if self.planner.dry_run:
            return ApprovalResult(
                ApprovalOutcome.APPROVED,
                f"Approved by <@{user_id}>: {summary} (dry run: recorded, not executed).{skipped}",
                group.id,
            )
        if not fixes.planned:
            IncidentRepository(session).transition(
                group.id,
                expected=IncidentStatus.AWAITING_APPROVAL,
                to=IncidentStatus.ESCALATED,
                decision_reason=f"approved by {user_id}, but no grouped failure could be fixed",
                escalation_reason=EscalationReason.STORM.value,
            )
            return ApprovalResult(
                ApprovalOutcome.BLOCKED,
                f"Approved by <@{user_id}>, but no grouped failure could be fixed. "
                f"Nothing ran.{skipped}",
                group.id,
            )
        IncidentRepository(session).transition(
            group.id,
            expected=IncidentStatus.AWAITING_APPROVAL,
            to=IncidentStatus.RESOLVED,
            decision_reason=f"approved by {user_id}: {summary}",
        )
        return ApprovalResult(
            ApprovalOutcome.APPROVED,
            f"Approved by <@{user_id}>: {summary}.{skipped}",
            group.id,
            queued=tuple(fixes.planned),
        )

    def _blocked(
        self, session: Session, incident_id: int, outcome: DecisionOutcome, user_id: str
    ) -> ApprovalResult:
        """A rule now escalates or ignores the fix: the incident moves as the decision step
        would have moved it, and says why."""
        key = outcome.escalation_reason
        IncidentRepository(session).transition(
            incident_id,
            expected=IncidentStatus.AWAITING_APPROVAL,
            to=STATUS_BY_DECISION[outcome.decision],
            decision=outcome.decision.value,
            decision_reason=f"approved by {user_id}, then stopped by the rules: {outcome.reason}",
            escalation_reason=key.value if key is not None else None,
            **diagnosis_values(outcome),
        )
        record_event(
            session,
            AuditEvent.APPROVAL_BLOCKED,
            incident_id=incident_id,
            actor=user_id,
            details={
                "decision": outcome.decision.value,
                "reason": outcome.reason,
                "rules": [f.model_dump() for f in outcome.findings],
            },
        )
        log.info("approved fix of incident %s stopped by the rules: %s", incident_id, outcome.reason)
        return ApprovalResult(
            ApprovalOutcome.BLOCKED,
            f"Approved by <@{user_id}>, but the rules now stop this fix: {outcome.reason}. "
            "Nothing ran.",
            incident_id,
        )

    def _over_budget(
        self, session: Session, incident_id: int, facts: DecisionFacts, user_id: str
    ) -> ApprovalResult:
        used, used_target = facts.fixes_last_hour, facts.fixes_last_hour_target
        budget = self.planner.budget
        record_event(
            session,
            AuditEvent.APPROVAL_OVER_BUDGET,
            incident_id=incident_id,
            actor=user_id,
            details={"fixes_last_hour": used, "on_target": used_target},
        )
        return ApprovalResult(
            ApprovalOutcome.OVER_BUDGET,
            f"Approved, but the hourly limit is reached ({used}/{budget.max_per_hour} fixes, "
            f"{used_target}/{budget.max_per_hour_per_target} on {facts.target}). "
            "Nothing ran; approve again later.",
            incident_id,
        )
