"""What a source tells about the outcome of a fix, as one typed observation per kind of evidence.

Every source turns its evidence into one of these and hands it to the verification recorder
(``app.services.verification``), which alone records outcomes: the incident's status, the
attempt's result (what learning counts) and the audit trail.

- ``RunAttemptConcluded``: a later attempt of a re-run workflow run ended (its GitHub webhook,
  or the sweep asking GitHub); it judges the fix of the earlier attempt, or, when CodeHealer
  did not act on it, a person's re-run of it (evidence for ``rerun_failed_jobs``).
- ``FailureCleared``: the sender says the failure is over (an alert resolved, an app Healthy);
  the open incident closes, whatever step it had reached.
- ``FixChecked``: the sweep looked at the target after the fix (an Argo CD app, a workload).
- ``FixPullRequestClosed``: a fix proposed as a pull request was merged (it worked) or closed
  without merging (a person judged it wrong).
"""

from dataclasses import dataclass
from datetime import datetime

from app.core.enums import OPEN_STATUSES, IncidentStatus
from app.core.events.github import FAILED_RUN_CONCLUSIONS
from app.core.events.models import IncidentDraft, RunCompleted
from app.core.targets import RunTarget

# A failure reported over closes its incident at any open step, except while a fix is running:
# that fix is judged when it ends.
CLEARABLE_STATUSES = tuple(s for s in OPEN_STATUSES if s is not IncidentStatus.REMEDIATING)


@dataclass(frozen=True)
class RunAttemptConcluded:
    """Attempt ``run_attempt`` of a run ended; the verifying incident of an earlier attempt of
    the same run is resolved when it succeeded and failed otherwise."""

    repo: str
    run_id: int
    run_attempt: int
    succeeded: bool
    detail: str
    observed_at: datetime
    follow_up_incident: int | None = None  # the new incident the failing attempt opened
    # It failed (a cancelled or skipped attempt neither succeeded nor failed).
    failed: bool = False

    @classmethod
    def completed(cls, event: RunCompleted, *, at: datetime) -> "RunAttemptConcluded":
        succeeded = event.conclusion == "success"
        detail = (
            f"attempt {event.run_attempt} succeeded"
            if succeeded
            else f"attempt {event.run_attempt} concluded {event.conclusion!r}"
        )
        failed = event.conclusion in FAILED_RUN_CONCLUSIONS
        return cls(
            event.repo, event.run_id, event.run_attempt, succeeded, detail, at, failed=failed
        )

    @classmethod
    def failed_again(
        cls, draft: IncidentDraft, new_incident_id: int, *, at: datetime
    ) -> "RunAttemptConcluded | None":
        """The failure of attempt n+1 of a run, stored as ``new_incident_id``; None when the
        draft is no later attempt of a run (nothing earlier to judge)."""
        run = draft.target
        if not isinstance(run, RunTarget) or run.run_attempt <= 1:
            return None
        detail = f"attempt {run.run_attempt} failed again — see incident #{new_incident_id}"
        return cls(
            run.repo, run.run_id, run.run_attempt, False, detail, at, new_incident_id, failed=True
        )


@dataclass(frozen=True)
class FailureCleared:
    """The sender reports the failure of ``incident_id`` over (``reason`` says how)."""

    incident_id: int
    reason: str
    observed_at: datetime


@dataclass(frozen=True)
class FixChecked:
    """The target of ``incident_id`` was checked after its fix: ``worked`` or not."""

    incident_id: int
    worked: bool
    reason: str
    observed_at: datetime


@dataclass(frozen=True)
class FixPullRequestClosed:
    """Pull request ``number`` of ``repo`` was closed; ``merged`` or not."""

    repo: str
    number: int
    merged: bool
    observed_at: datetime

    @property
    def reason(self) -> str:
        verdict = "merged" if self.merged else "closed without merging"
        return f"the fix pull request {self.repo}#{self.number} was {verdict}"


Observation = RunAttemptConcluded | FailureCleared | FixChecked | FixPullRequestClosed
