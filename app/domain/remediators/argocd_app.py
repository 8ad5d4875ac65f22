"""Shared by the Argo CD remediators: params naming one application, and the checks they share."""

from typing import Any

from app.core.cluster_ports import KubeObject, OperationInProgressError
from app.core.names import ArgoCDAppName
from app.domain.remediators.base import RemediationResult, RemediationStatus, StrictParams

RUNNING_PHASES = frozenset({"Running", "Terminating"})
OPERATION_RETRY_SECONDS = 60.0


class ArgoAppParams(StrictParams):
    app: ArgoCDAppName


def status_of(app: KubeObject) -> dict[str, Any]:
    return app.get("status") or {}


def sync_status(app: KubeObject) -> str | None:
    return (status_of(app).get("sync") or {}).get("status")


def health_status(app: KubeObject) -> str | None:
    return (status_of(app).get("health") or {}).get("status")


def operation_phase(app: KubeObject) -> str | None:
    return (status_of(app).get("operationState") or {}).get("phase")


def auto_sync_enabled(app: KubeObject) -> bool:
    return bool(((app.get("spec") or {}).get("syncPolicy") or {}).get("automated"))


def operation_running(app: KubeObject) -> bool:
    """An operation is requested (``operation``) or still running (``operationState``)."""
    return app.get("operation") is not None or operation_phase(app) in RUNNING_PHASES


def busy(
    name: str, detail: str | None = None, retry_after: float | None = None
) -> RemediationResult:
    """Argo CD runs one operation per application at a time: come back later, never spin."""
    return RemediationResult(
        status=RemediationStatus.DEFERRED,
        detail=detail or f"another operation on {name} is already in progress",
        retry_after=retry_after or OPERATION_RETRY_SECONDS,
    )


def deferred(exc: OperationInProgressError, **data: Any) -> RemediationResult:
    return RemediationResult(
        status=RemediationStatus.DEFERRED,
        detail=str(exc),
        retry_after=exc.retry_after or OPERATION_RETRY_SECONDS,
        data=data,
    )
