"""The events of the audit trail: every ``audit_log`` row is one of these.

Whether an event also posts to Slack is decided in one table,
``app.domain.notifications.handlers.EVENT_HANDLERS``.
"""

from enum import StrEnum

from app.domain.remediators.base import RemediationStatus


class AuditEvent(StrEnum):
    INCIDENT_CREATED = "incident.created"
    INCIDENT_ANALYZED = "incident.analyzed"
    # Analysed without what is configured: the NIM embeddings or chat failed, the local
    # embedder or the rules stood in.
    ANALYSIS_DEGRADED = "analysis.degraded"
    INCIDENT_ESCALATED = "incident.escalated"
    INCIDENT_RESOLVED = "incident.resolved"
    INCIDENT_FIX_FAILED = "incident.fix_failed"
    INCIDENT_PREVIOUS_FIX_FAILED = "incident.previous_fix_failed"  # on the follow-up incident
    DECISION_MADE = "decision.made"
    DECISION_GROUPED = "decision.grouped"  # a storm member grouped under its parent
    APPROVAL_APPROVED = "approval.approved"
    APPROVAL_REJECTED = "approval.rejected"
    APPROVAL_REFUSED = "approval.refused"  # a click by someone who is not an approver
    APPROVAL_EXPIRED = "approval.expired"
    APPROVAL_OVER_BUDGET = "approval.over_budget"
    APPROVAL_BLOCKED = "approval.blocked"  # a decision rule, checked again, stops the fix
    # A storm group's answer, applied to its members (app/services/storm_approvals.py).
    STORM_FIXES_PLANNED = "storm.fixes_planned"  # on the group: planned and skipped members
    STORM_MEMBER_PLANNED = "storm.member_planned"  # on a member: its fix planned
    STORM_MEMBER_SKIPPED = "storm.member_skipped"  # on the group: a member not fixed, and why
    STORM_MEMBER_REJECTED = "storm.member_rejected"  # on a member: closed by the rejection
    REMEDIATION_SUCCEEDED = "remediation.succeeded"
    REMEDIATION_ALREADY_DONE = "remediation.already_done"
    REMEDIATION_FAILED = "remediation.failed"
    REMEDIATION_DEFERRED = "remediation.deferred"
    REMEDIATION_ABORTED = "remediation.aborted"
    PROCESSING_RETRY = "processing.retry"
    PROCESSING_WAITING = "processing.waiting"  # a service it needs is down: it waits, then resumes
    FEEDBACK_RECORDED = "feedback.recorded"
    # Earned autonomy (app/services/autonomy.py): an action now runs alone for a failure
    # signature, or no longer does; recorded on the incident whose evidence or decision moved it.
    AUTONOMY_PROMOTED = "autonomy.promoted"
    AUTONOMY_DEMOTED = "autonomy.demoted"
    # The kill switch (app/services/pauses.py): a person paused or resumed automatic fixes,
    # everywhere or for one source or action; recorded on no incident.
    AUTOMATION_PAUSED = "automation.paused"
    AUTOMATION_RESUMED = "automation.resumed"


# The event that records how a remediation ended.
REMEDIATION_EVENTS: dict[RemediationStatus, AuditEvent] = {
    RemediationStatus.SUCCEEDED: AuditEvent.REMEDIATION_SUCCEEDED,
    RemediationStatus.ALREADY_DONE: AuditEvent.REMEDIATION_ALREADY_DONE,
    RemediationStatus.FAILED: AuditEvent.REMEDIATION_FAILED,
    RemediationStatus.DEFERRED: AuditEvent.REMEDIATION_DEFERRED,
    RemediationStatus.ABORTED: AuditEvent.REMEDIATION_ABORTED,
}
