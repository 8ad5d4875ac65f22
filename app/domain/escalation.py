"""Why an incident needs a person: one stable key per reason, each with a runbook page.

The key is recorded on the incident when the code decides (a rule fires, the logs cannot be
read, a fix fails, a person rejects it), never recovered from the reason's wording later.
``docs/runbooks/<key>.md`` explains each one; a test keeps the pages and this list in step.
"""

from datetime import datetime
from enum import StrEnum

from app.core.enums import IncidentStatus


class EscalationReason(StrEnum):
    # decision rules and strategies
    NEEDS_CODE_CHANGE = "needs_code_change"
    NO_REMEDIATION = "no_remediation"
    LOW_CONFIDENCE = "low_confidence"
    BLOCKED_BY_RULE = "blocked_by_rule"
    RERUN_BUDGET_EXHAUSTED = "rerun_budget_exhausted"
    RUN_TOO_OLD = "run_too_old"
    RUN_ATTEMPT_LIMIT = "run_attempt_limit"
    BLAST_RADIUS = "blast_radius"
    RECURRING_FAILURE = "recurring_failure"
    CAUSE_REMAINS = "cause_remains"  # the same fix on the same target, again and again
    STORM = "storm"
    AUTOMATIC_FIXES_PAUSED = "automatic_fixes_paused"  # a person's pause held an automatic fix
    # reading the logs and processing
    NO_LOG_SOURCE = "no_log_source"
    LOG_ACCESS_DENIED = "log_access_denied"
    LOGS_UNAVAILABLE = "logs_unavailable"
    INTEGRATION_UNAVAILABLE = "integration_unavailable"
    PROCESSING_GAVE_UP = "processing_gave_up"
    # remediation and verification
    REMEDIATION_FAILED = "remediation_failed"
    REMEDIATION_ABORTED = "remediation_aborted"
    REMEDIATION_DEFERRED = "remediation_deferred"
    FIX_DID_NOT_WORK = "fix_did_not_work"
    # people
    FIX_REJECTED = "fix_rejected"
    APPROVAL_EXPIRED = "approval_expired"


# The one-line title shown next to the runbook link (Slack, dashboard).
TITLES: dict[EscalationReason, str] = {
    EscalationReason.NEEDS_CODE_CHANGE: "Needs a code or config change",
    EscalationReason.NO_REMEDIATION: "No remediation action applies",
    EscalationReason.LOW_CONFIDENCE: "Not sure enough to act",
    EscalationReason.BLOCKED_BY_RULE: "Blocked by a remediation rule",
    EscalationReason.RERUN_BUDGET_EXHAUSTED: "Automatic re-run budget used up",
    EscalationReason.RUN_TOO_OLD: "Run too old to re-run",
    EscalationReason.RUN_ATTEMPT_LIMIT: "Run at GitHub's attempt limit",
    EscalationReason.BLAST_RADIUS: "Hourly fix limit reached",
    EscalationReason.RECURRING_FAILURE: "Recurring failure: needs a permanent fix",
    EscalationReason.CAUSE_REMAINS: "The fix works but the cause remains",
    EscalationReason.STORM: "Same failure on many targets",
    EscalationReason.AUTOMATIC_FIXES_PAUSED: "Automatic fixes are paused",
    EscalationReason.NO_LOG_SOURCE: "No log source for this sender",
    EscalationReason.LOG_ACCESS_DENIED: "Logs refused: credentials missing or wrong",
    EscalationReason.LOGS_UNAVAILABLE: "Logs cannot be read",
    EscalationReason.INTEGRATION_UNAVAILABLE: "An integration is unavailable",
    EscalationReason.PROCESSING_GAVE_UP: "Processing gave up after repeated errors",
    EscalationReason.REMEDIATION_FAILED: "The fix failed",
    EscalationReason.REMEDIATION_ABORTED: "The fix was not executed",
    EscalationReason.REMEDIATION_DEFERRED: "The fix was deferred too often",
    EscalationReason.FIX_DID_NOT_WORK: "The fix ran but did not work",
    EscalationReason.FIX_REJECTED: "A person rejected the fix",
    EscalationReason.APPROVAL_EXPIRED: "The approval request expired",
}


def parse_reason(value: str | None) -> EscalationReason | None:
    """The key stored on an incident, or None (nothing stored, or a key this version dropped)."""
    try:
        return EscalationReason(value) if value else None
    except ValueError:
        return None


def reason_needing_person(
    stored: str | None, *, status: str, approval_expired: bool
) -> EscalationReason | None:
    """What a person should read about now: an approval nobody answered in time, else the
    reason recorded when the incident was escalated (or sent for approval by a rule)."""
    if status == IncidentStatus.AWAITING_APPROVAL and approval_expired:
        return EscalationReason.APPROVAL_EXPIRED
    return parse_reason(stored)


def approval_has_expired(status: str | None, expires_at: datetime | None, now: datetime) -> bool:
    """The latest approval request lapsed: marked expired, or still pending past its time."""
    if status == "expired":
        return True
    return status == "pending" and expires_at is not None and expires_at <= now


def runbook_url(base_url: str, reason: EscalationReason) -> str:
    """``<base>/<key>.md``: the same shape for the dashboard's pages and a docs folder on a
    code host (``https://…/blob/main/docs/runbooks``)."""
    return f"{base_url.rstrip('/')}/{reason.value}.md"
