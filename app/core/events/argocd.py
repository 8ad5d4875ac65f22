"""Argo CD notifications → cluster signals. Pure: a payload in, a list of one Signal out.

The body is the one rendered by the ``codehealer`` webhook templates documented in
docs/guides/argocd-integration.md (modelled on the catalog's on-sync-failed and
on-health-degraded): the trigger name in ``kind`` and the app's name, project, revision, sync
status, health status, operation phase and message. Fields a template could not fill arrive
as ``<no value>`` or empty and are treated as absent. ``images`` (the app's
``status.summary.images``) is kept with the stored body, and ``sync_of`` reads a sync from it
(the operation's revision, else the sync status's), which links a failing workload to the
sync that deployed it (app/domain/deploy_cause.py).

Argo CD retries a notification whose delivery failed, so the same (app, revision, phase)
collapses to one incident; a later notification that the app is Synced and Healthy closes it.
"""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from app.core.deployments import Sync, parse_time
from app.core.enums import Category, IncidentKind, IncidentSource, Severity
from app.core.errors import NormalizationError
from app.core.events.models import FailureObserved, Ignored, IncidentDraft
from app.core.events.signals import (
    Delivery,
    Resolved,
    Signal,
    body_hash,
    bounded_key,
    present,
)
from app.core.names import ArgoCDAppName, DnsLabel
from app.core.redaction import mask_secrets
from app.core.targets import AppTarget

FAILED_PHASES = frozenset({"Failed", "Error"})
SUCCEEDED = "Succeeded"
MAX_IMAGES = 50
FAILED_HEALTH = frozenset({"Degraded", "Missing"})
# A trigger that only fires on a failure is the authority when the template left a field empty.
TRIGGER_FAILURE = {"on-sync-failed": "Failed", "on-health-degraded": "Degraded"}
# Phase or health → (reason stored on the incident, category hint, severity).
FAILURE_MAP: dict[str, tuple[str, Category, Severity]] = {
    "Failed": ("SyncFailed", Category.ARGOCD_SYNC_ERROR, Severity.MEDIUM),
    "Error": ("SyncError", Category.ARGOCD_SYNC_ERROR, Severity.MEDIUM),
    "Degraded": ("Degraded", Category.UNKNOWN, Severity.HIGH),
    "Missing": ("Missing", Category.ARGOCD_SYNC_ERROR, Severity.HIGH),
}
DEFAULT_FAILURE = ("Failed", Category.UNKNOWN, Severity.MEDIUM)


class _Notification(BaseModel):
    model_config = ConfigDict(extra="ignore", alias_generator=to_camel, populate_by_name=True)

    # Names reach Argo CD and Kubernetes API paths: RFC 1123 names only.
    app: ArgoCDAppName
    kind: str | None = None
    app_namespace: DnsLabel | None = None
    project: str | None = None
    revision: str | None = None
    operation_revision: str | None = None
    sync_status: str | None = None
    health_status: str | None = None
    operation_phase: str | None = None
    message: str | None = None
    finished_at: str | None = None
    repo_url: str | None = Field(default=None, alias="repoURL")
    dest_server: str | None = None
    dest_namespace: DnsLabel | None = None
    url: str | None = None


def app_fingerprint(app: str) -> str:
    return bounded_key(f"argocd:{app}")


def parse_argocd_delivery(delivery: Delivery) -> list[Signal]:
    """The parser of ``POST /webhooks/argocd`` (the ingest contract, app/core/events/signals.py)."""
    return parse_argocd_notification(delivery.payload)


def parse_argocd_notification(payload: dict[str, Any]) -> list[Signal]:
    """Map one notification body to what CodeHealer does with it.

    Raises:
        NormalizationError: the body names no application.
    """
    try:
        body = _Notification.model_validate(_present_values(payload))
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:5])
        raise NormalizationError(
            f"Argo CD notification is missing or has invalid fields: {fields}"
        ) from exc
    signal = {
        "source": IncidentSource.ARGOCD,
        "delivery_id": f"argocd:{body_hash(payload)}",
        "event_type": f"argocd:{body.kind or 'notification'}"[:100],
        "payload": payload,
    }
    return [Signal(**signal, event=_classify(body, images_of(payload)))]


def sync_of(payload: dict[str, Any], *, received_at: datetime | None = None) -> Sync | None:
    """The sync a stored notification reports: an operation that succeeded, its revision (the
    sync result's, else the sync status's), when it finished (else when it arrived), and the
    app's images then; None for anything else (a failure, a body without an app)."""
    try:
        body = _Notification.model_validate(_present_values(payload))
    except ValidationError:
        return None
    revision = body.operation_revision or body.revision
    if body.operation_phase != SUCCEEDED or not revision:
        return None
    return Sync(
        app=body.app,
        revision=revision,
        at=parse_time(body.finished_at) or received_at,
        images=images_of(payload),
        source="notification",
    )


def images_of(payload: dict[str, Any]) -> tuple[str, ...]:
    """``images``: a list of image references (a template may also send one string)."""
    images = payload.get("images")
    if isinstance(images, str):
        images = images.split(",")
    if not isinstance(images, list):
        return ()
    found = (present(image) for image in images[:MAX_IMAGES] if isinstance(image, str))
    return tuple(image for image in found if image)


def _present_values(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: present(v) for k, v in payload.items() if not isinstance(v, dict | list)}


def failure_of(body: _Notification) -> str | None:
    """The failed phase or bad health this notification reports, if any."""
    if body.operation_phase in FAILED_PHASES:
        return body.operation_phase
    if body.health_status in FAILED_HEALTH:
        return body.health_status
    return TRIGGER_FAILURE.get(body.kind or "")


def _classify(body: _Notification, images: tuple[str, ...]) -> FailureObserved | Ignored | Resolved:
    failure = failure_of(body)
    if failure is not None:
        return FailureObserved(draft=_draft(body, failure, images), coalesce=True)
    if body.health_status == "Healthy" and body.sync_status == "Synced":
        return Resolved(
            source=IncidentSource.ARGOCD,
            fingerprint=app_fingerprint(body.app),
            reason=f"{body.app} is Synced and Healthy",
        )
    return Ignored(
        reason=f"{body.app}: sync {body.sync_status or '?'}, health {body.health_status or '?'}, "
        f"operation {body.operation_phase or '?'} is not a failure"
    )


def _draft(body: _Notification, failure: str, images: tuple[str, ...]) -> IncidentDraft:
    reason, category, severity = FAILURE_MAP.get(failure, DEFAULT_FAILURE)
    revision = body.operation_revision or body.revision or "unknown"
    message = mask_secrets(body.message or "")
    what = f"sync {failure.lower()}" if failure in FAILED_PHASES else f"health {failure}"
    return IncidentDraft(
        source=IncidentSource.ARGOCD,
        kind=IncidentKind.ARGOCD_APP,
        dedup_key=bounded_key(f"argocd:{body.app}:{revision}:{failure}"),
        fingerprint=app_fingerprint(body.app),
        title=(
            f"{body.app}: {what} at {revision[:12]}" + (f" — {message[:200]}" if message else "")
        )[:500],
        severity=severity,
        html_url=body.url,
        target=AppTarget(
            app=body.app, namespace=body.dest_namespace, cluster=body.dest_server, reason=reason
        ),
        details={
            "trigger": body.kind,
            "project": body.project,
            "app_namespace": body.app_namespace,
            "revision": revision,
            "sync_status": body.sync_status,
            "health_status": body.health_status,
            "operation_phase": body.operation_phase,
            "message": message,
            "finished_at": body.finished_at,
            "repo_url": body.repo_url,
            "images": list(images),
            "category_hint": category.value,
        },
    )
