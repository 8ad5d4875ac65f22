"""GitHub webhooks → typed events. Pure: a payload in, a ParsedEvent out. Workflow runs and
jobs report failures; a closed pull request may be the verdict on a proposed fix.

Only what CodeHealer acts on is read; unknown fields are ignored.
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.core.enums import IncidentKind, IncidentSource, Severity
from app.core.errors import NormalizationError
from app.core.events.fields import (
    PayloadAttempt,
    PayloadCount,
    PayloadDatetime,
    PayloadId,
    dropped_details,
    validate_payload,
)
from app.core.events.models import (
    FailureObserved,
    Ignored,
    IncidentDraft,
    ParsedEvent,
    Ping,
    PullRequestClosed,
    RunCompleted,
)
from app.core.events.signals import Delivery, Signal
from app.core.names import RepoFullName
from app.core.targets import FailedJob, RunTarget

MAX_DELIVERY_ID_LENGTH = 200  # the columns delivery ids and event types are stored in
MAX_EVENT_TYPE_LENGTH = 100
FAILED_RUN_CONCLUSIONS = frozenset({"failure", "timed_out", "startup_failure"})
FAILED_JOB_CONCLUSIONS = frozenset({"failure"})
SEVERITY_BY_CONCLUSION = {
    "failure": Severity.MEDIUM,
    "timed_out": Severity.MEDIUM,
    "startup_failure": Severity.HIGH,
}


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Repository(_Lenient):
    full_name: RepoFullName  # goes into GitHub API paths


class _Installation(_Lenient):
    """Present in deliveries to a GitHub App: the installation whose token acts on them."""

    id: int = Field(gt=0, lt=2**63)


class _WorkflowRun(_Lenient):
    id: PayloadId
    name: str | None = None
    workflow_id: PayloadId | None = None
    run_attempt: PayloadAttempt = 1
    status: str | None = None
    conclusion: str | None = None
    head_branch: str | None = None
    head_sha: str | None = None
    html_url: str | None = None
    event: str | None = None
    path: str | None = None
    run_started_at: PayloadDatetime = None
    updated_at: PayloadDatetime = None


class _Workflow(_Lenient):
    name: str | None = None


class _WorkflowRunPayload(_Lenient):
    action: str
    repository: _Repository
    workflow_run: _WorkflowRun
    workflow: _Workflow | None = None
    installation: _Installation | None = None


class _WorkflowJob(_Lenient):
    id: PayloadId
    run_id: PayloadId
    run_attempt: PayloadAttempt = 1
    name: str
    status: str | None = None
    conclusion: str | None = None
    head_branch: str | None = None
    head_sha: str | None = None
    html_url: str | None = None
    workflow_name: str | None = None


class _WorkflowJobPayload(_Lenient):
    action: str
    repository: _Repository
    workflow_job: _WorkflowJob
    installation: _Installation | None = None


def run_dedup_key(repo: str, run_id: int, run_attempt: int) -> str:
    return f"{repo}#{run_id}#{run_attempt}"


def workflow_fingerprint(repo: str, workflow: str | None, branch: str | None) -> str:
    return f"github:{repo}:{workflow or '?'}:{branch or '?'}"


def parse_github_delivery(delivery: Delivery) -> list[Signal]:
    """The parser of ``POST /webhooks/github`` (the ingest contract, app/core/events/signals.py):
    one signal, named by the ``X-GitHub-Event`` and ``X-GitHub-Delivery`` headers.

    Raises:
        NormalizationError: a header is missing or too long, or the payload lacks a field.
    """
    event_type = delivery.headers.get("x-github-event")
    delivery_id = delivery.headers.get("x-github-delivery")
    if not event_type or not delivery_id:
        raise NormalizationError("X-GitHub-Event and X-GitHub-Delivery headers are required")
    if len(delivery_id) > MAX_DELIVERY_ID_LENGTH or len(event_type) > MAX_EVENT_TYPE_LENGTH:
        raise NormalizationError("X-GitHub-Delivery or X-GitHub-Event is too long")
    payload = delivery.payload
    return [github_signal(delivery_id, event_type, payload)]


def github_signal(delivery_id: str, event_type: str, payload: dict[str, Any]) -> Signal:
    """The signal of one GitHub delivery (also what the sweep makes of a run no webhook sent)."""
    event = parse_github_event(event_type, payload)
    return Signal(
        source=IncidentSource.GITHUB,
        delivery_id=delivery_id,
        event_type=event_type,
        payload=payload,
        event=event,
    )


def parse_github_event(event_type: str, payload: dict[str, Any]) -> ParsedEvent:
    """Map one delivery to what CodeHealer does with it.

    Raises:
        NormalizationError: the payload lacks a field this event type needs.
    """
    handler = _HANDLERS.get(event_type)
    if handler is None:
        return Ignored(reason=f"event type {event_type!r} is not handled")
    try:
        return handler(payload)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:5])
        raise NormalizationError(
            f"{event_type} payload is missing or has invalid fields: {fields}"
        ) from exc


def _ping(payload: dict[str, Any]) -> ParsedEvent:
    return Ping(detail=str(payload.get("zen") or "pong"))


def _workflow_run(payload: dict[str, Any]) -> ParsedEvent:
    body, dropped = validate_payload(_WorkflowRunPayload, payload)
    run, repo = body.workflow_run, body.repository.full_name
    if body.action != "completed":
        return Ignored(reason=f"workflow_run action {body.action!r} is not completed")
    if run.conclusion not in FAILED_RUN_CONCLUSIONS:
        return RunCompleted(
            repo=repo,
            run_id=run.id,
            run_attempt=run.run_attempt,
            conclusion=run.conclusion or "unknown",
            completed_at=run.updated_at,
        )
    workflow = run.name or (body.workflow.name if body.workflow else None) or run.path
    draft = IncidentDraft(
        source=IncidentSource.GITHUB,
        kind=IncidentKind.WORKFLOW_RUN,
        dedup_key=run_dedup_key(repo, run.id, run.run_attempt),
        fingerprint=workflow_fingerprint(repo, workflow, run.head_branch),
        title=f"{repo}: {workflow or 'workflow'} {run.conclusion} on {run.head_branch or '?'}",
        severity=SEVERITY_BY_CONCLUSION[run.conclusion],
        html_url=run.html_url,
        target=RunTarget(
            repo=repo,
            workflow_id=run.workflow_id,
            workflow_name=workflow,
            run_id=run.id,
            run_attempt=run.run_attempt,
            head_branch=run.head_branch,
            head_sha=run.head_sha,
            conclusion=run.conclusion,
            run_started_at=run.run_started_at,
            installation_id=body.installation.id if body.installation else None,
        ),
        details={"event": run.event, "path": run.path, **dropped_details(dropped)},
    )
    return FailureObserved(draft=draft)


class _PullRequestHead(_Lenient):
    ref: str | None = None


class _PullRequest(_Lenient):
    number: PayloadCount
    merged: bool | None = None
    closed_at: PayloadDatetime = None
    head: _PullRequestHead | None = None


class _PullRequestPayload(_Lenient):
    action: str
    pull_request: _PullRequest
    repository: _Repository


def _pull_request(payload: dict[str, Any]) -> ParsedEvent:
    """Only a closed pull request says anything: merged or closed unmerged, the verdict on a
    fix that was proposed as one (``pull_request`` with ``"action": "closed"``)."""
    body, _ = validate_payload(_PullRequestPayload, payload)
    if body.action != "closed":
        return Ignored(reason=f"pull_request action {body.action!r} is not closed")
    pull = body.pull_request
    return PullRequestClosed(
        repo=body.repository.full_name,
        number=pull.number,
        merged=bool(pull.merged),
        head_ref=pull.head.ref if pull.head else None,
        closed_at=pull.closed_at,
    )


def _workflow_job(payload: dict[str, Any]) -> ParsedEvent:
    body = _WorkflowJobPayload.model_validate(payload)
    job, repo = body.workflow_job, body.repository.full_name
    if body.action != "completed":
        return Ignored(reason=f"workflow_job action {body.action!r} is not completed")
    if job.conclusion not in FAILED_JOB_CONCLUSIONS:
        return Ignored(reason=f"workflow_job conclusion {job.conclusion!r} is not a failure")
    draft = IncidentDraft(
        source=IncidentSource.GITHUB,
        kind=IncidentKind.WORKFLOW_RUN,
        dedup_key=run_dedup_key(repo, job.run_id, job.run_attempt),
        fingerprint=workflow_fingerprint(repo, job.workflow_name, job.head_branch),
        title=f"{repo}: {job.workflow_name or 'workflow'} job {job.name!r} failed",
        target=RunTarget(
            repo=repo,
            workflow_name=job.workflow_name,
            run_id=job.run_id,
            run_attempt=job.run_attempt,
            head_branch=job.head_branch,
            head_sha=job.head_sha,
            conclusion=job.conclusion,
            failed_jobs=[FailedJob(id=job.id, name=job.name, html_url=job.html_url)],
            installation_id=body.installation.id if body.installation else None,
        ),
        authoritative=False,
    )
    return FailureObserved(draft=draft)


_HANDLERS = {
    "ping": _ping,
    "workflow_run": _workflow_run,
    "workflow_job": _workflow_job,
    "pull_request": _pull_request,
}
