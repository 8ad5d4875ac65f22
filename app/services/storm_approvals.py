"""A person's answer to a storm group's approval request, applied to its members.

A storm group has no target of its own: it stands for the members grouped under it (the same
failure on many targets). Approving it plans the group's action for each member the grouping
held back, one by one under the budget lock the caller holds: each member goes through every
decision rule again on its own facts (a blacklist, its retry budget, the recurrence limit) and
through the hourly budget, which counts the members planned before it. A member that does not
pass is skipped and the group's audit trail (and so its Slack thread) says which and why; the
remediation step pre-validates each planned member against its target before any call, and a
member its pre-validation stops is reported to the group the same way. Rejecting the group
closes every held-back member with the rejection.
"""

import logging
from dataclasses import dataclass, field

from sqlmodel import Session

from app.adapters.database.repositories.decision_facts import DecisionFactsRepository
from app.adapters.database.repositories.incidents import IncidentRepository
from app.adapters.database.tables import Incident
from app.core.enums import Actor, Decision, IncidentStatus
from app.domain.audit import AuditEvent
from app.domain.escalation import EscalationReason
from app.services.attempt_planner import AttemptPlanner, incident_target
from app.services.audit_trail import record_event
from app.services.decision import DecisionService

log = logging.getLogger(__name__)


@dataclass
class StormFixes:
    """What approving a storm group planned: the members to remediate, the ones skipped."""

    planned: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)

    def summary(self, action: str) -> str:
        total = len(self.planned) + len(self.skipped)
        text = f"{action} planned for {len(self.planned)} of {total} grouped failures"
        return f"{text}, {len(self.skipped)} skipped" if self.skipped else text


def held_back(member: Incident, group: Incident) -> bool:
    """A member the grouping held back (ignored, undecided on its own), still waiting for the
    group's answer; one decided before the storm or moved since keeps its own course."""
    return (
        member.parent_id == group.id
        and member.status == IncidentStatus.IGNORED
        and member.decision == Decision.IGNORE
    )


def report_skipped(
    session: Session, group_id: int, member: Incident, reason: str, *, actor: str
) -> None:
    """Record on the group that ``member`` was not fixed with it, and why."""
    record_event(
        session,
        AuditEvent.STORM_MEMBER_SKIPPED,
        incident_id=group_id,
        actor=actor,
        details={
            "member_id": member.id,
            "target": incident_target(member),
            "reason": reason,
            "detail": f"#{member.id} ({incident_target(member) or 'no target'}): {reason}",
        },
    )


class StormApprovals:
    def __init__(self, *, decider: DecisionService, planner: AttemptPlanner):
        self.decider = decider
        self.planner = planner

    def approve(self, session: Session, group: Incident, user_id: str) -> StormFixes:
        """Plan the group's action for each held-back member that passes the rules and the
        budget (the caller holds the budget lock); report each one skipped on the group."""
        fixes = StormFixes()
        for member in DecisionFactsRepository(session).storm_group_members(group.id):
            reason = self._plan_member(session, group, member, user_id)
            if reason is None:
                fixes.planned.append(member.id)
                continue
            fixes.skipped.append((member.id, reason))
            report_skipped(session, group.id, member, reason, actor=user_id)
        record_event(
            session,
            AuditEvent.STORM_FIXES_PLANNED,
            incident_id=group.id,
            actor=user_id,
            details={
                "planned": fixes.planned,
                "skipped": [{"member_id": i, "reason": r} for i, r in fixes.skipped],
                "dry_run": self.planner.dry_run,
                "detail": fixes.summary(group.action or "the fix"),
            },
        )
        log.info("storm group %s approved: %s", group.id, fixes.summary(group.action or "fix"))
        return fixes

    def _plan_member(
        self, session: Session, group: Incident, member: Incident, user_id: str
    ) -> str | None:
        """Plan one member's fix; the reason it is skipped, or None once planned."""
        if not held_back(member, group):
            return f"not held back by the storm ({member.decision or 'undecided'}, {member.status})"
        facts, outcome = self.decider.review_approved(session, member, approved_by=user_id)
        if outcome.decision is not Decision.NEEDS_APPROVAL:
            return f"stopped by the rules: {outcome.reason}"
        over = self.planner.budget.exceeded(facts)
        if over is not None:
            return f"over the hourly fix budget: {over}"
        self.planner.plan(session, member, actor=Actor.SLACK, actor_id=user_id)
        IncidentRepository(session).transition(
            member.id,
            expected=IncidentStatus.IGNORED,
            # A dry run records the plan and changes nothing: the member stays held back.
            to=IncidentStatus.IGNORED if self.planner.dry_run else IncidentStatus.REMEDIATING,
            decision=Decision.NEEDS_APPROVAL.value,
            decision_reason=f"approved by {user_id} with storm group #{group.id}",
            claimed_at=None,
            claimed_by=None,
            not_before=None,
        )
        record_event(
            session,
            AuditEvent.STORM_MEMBER_PLANNED,
            incident_id=member.id,
            actor=user_id,
            details={
                "group_id": group.id,
                "action": member.action,
                "dry_run": self.planner.dry_run,
            },
        )
        return None

    def reject(self, session: Session, group: Incident, user_id: str) -> list[int]:
        """Close every held-back member with the group's rejection; the members closed."""
        closed = []
        for member in DecisionFactsRepository(session).storm_group_members(group.id):
            if not held_back(member, group):
                continue
            moved = IncidentRepository(session).transition(
                member.id,
                expected=IncidentStatus.IGNORED,
                to=IncidentStatus.ESCALATED,
                decision_reason=f"fix rejected by {user_id} with storm group #{group.id}",
                escalation_reason=EscalationReason.FIX_REJECTED.value,
            )
            if moved:
                closed.append(member.id)
                record_event(
                    session,
                    AuditEvent.STORM_MEMBER_REJECTED,
                    incident_id=member.id,
                    actor=user_id,
                    details={"group_id": group.id},
                )
        return closed
