"""Observations of a fix's outcome, built from what a source reports."""

from datetime import UTC, datetime

from app.core.enums import IncidentKind, IncidentSource, IncidentStatus
from app.core.events.models import IncidentDraft, RunCompleted
from app.core.targets import RunTarget, WorkloadTarget
from app.domain.verification import CLEARABLE_STATUSES, RunAttemptConcluded

AT = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def draft(**run_values) -> IncidentDraft:
    run = {"repo": "octo-org/octo-repo", "run_id": 7, "run_attempt": 2, **run_values}
    known = {name: value for name, value in run.items() if value is not None}
    # A draft naming no run (no repository or run id) has no run target.
    target = RunTarget(**known) if {"repo", "run_id"} <= known.keys() else WorkloadTarget()
    return IncidentDraft(
        source=IncidentSource.GITHUB,
        kind=IncidentKind.WORKFLOW_RUN,
        dedup_key="octo-org/octo-repo#7#2",
        fingerprint="github:octo-org/octo-repo:ci:main",
        title="CI failed",
        target=target,
    )


def test_a_completed_attempt_succeeded_only_when_it_concluded_success():
    done = RunAttemptConcluded.completed(
        RunCompleted(repo="o/r", run_id=7, run_attempt=2, conclusion="success"), at=AT
    )
    cancelled = RunAttemptConcluded.completed(
        RunCompleted(repo="o/r", run_id=7, run_attempt=2, conclusion="cancelled"), at=AT
    )

    assert (done.succeeded, done.detail) == (True, "attempt 2 succeeded")
    assert (cancelled.succeeded, cancelled.detail) == (False, "attempt 2 concluded 'cancelled'")


def test_a_cancelled_attempt_did_not_fail_and_a_failed_or_timed_out_one_did():
    def seen(conclusion: str) -> RunAttemptConcluded:
        event = RunCompleted(repo="o/r", run_id=7, run_attempt=2, conclusion=conclusion)
        return RunAttemptConcluded.completed(event, at=AT)

    assert not seen("cancelled").failed
    assert not seen("success").failed
    assert seen("failure").failed and seen("timed_out").failed


def test_a_failing_later_attempt_names_the_incident_it_opened():
    seen = RunAttemptConcluded.failed_again(draft(), 42, at=AT)

    assert seen == RunAttemptConcluded(
        "octo-org/octo-repo",
        7,
        2,
        False,
        "attempt 2 failed again — see incident #42",
        AT,
        follow_up_incident=42,
        failed=True,
    )


def test_the_first_attempt_of_a_run_judges_no_earlier_fix():
    assert RunAttemptConcluded.failed_again(draft(run_attempt=1), 42, at=AT) is None
    assert RunAttemptConcluded.failed_again(draft(run_attempt=None), 42, at=AT) is None


def test_a_failure_without_a_run_judges_no_earlier_fix():
    assert RunAttemptConcluded.failed_again(draft(run_id=None), 42, at=AT) is None


def test_a_cleared_failure_never_closes_an_incident_whose_fix_is_running():
    assert IncidentStatus.REMEDIATING not in CLEARABLE_STATUSES
    assert IncidentStatus.VERIFYING in CLEARABLE_STATUSES
    assert IncidentStatus.RESOLVED not in CLEARABLE_STATUSES
