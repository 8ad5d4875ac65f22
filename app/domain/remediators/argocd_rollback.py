from typing import Any, ClassVar

from pydantic import Field

from app.core.cluster_ports import ArgoCDApi, KubeObject, OperationInProgressError
from app.core.enums import ActionKind
from app.domain.remediators.argocd_app import (
    ArgoAppParams,
    auto_sync_enabled,
    busy,
    deferred,
    operation_running,
    status_of,
)
from app.domain.remediators.base import RemediationResult, RemediationStatus, Risk
from app.domain.remediators.k8s_workload import aborted


class ArgoRollbackParams(ArgoAppParams):
    # The revision that broke the app (from the notification); defaults to the app's current one.
    revision: str | None = Field(default=None, max_length=200)


class ArgoRollback:
    """POST /api/v1/applications/{name}/rollback with ``{"id": <history id>}``.

    Target: the newest ``status.history`` entry older than the current revision (see
    ``rollback_target``). Argo CD refuses a rollback while auto-sync is on (auto-sync would
    undo it at once), so auto-sync is switched off first and never switched back on here: a
    person re-enables it once the bad revision is fixed in Git.
    """

    action: ClassVar[ActionKind] = ActionKind.ARGOCD_ROLLBACK
    params_model: ClassVar[type[ArgoRollbackParams]] = ArgoRollbackParams
    risk: ClassVar[Risk] = Risk.HIGH
    reruns_workflow_run: ClassVar[bool] = False

    def __init__(self, argocd: ArgoCDApi):
        self.argocd = argocd

    def describe(self, params: ArgoRollbackParams) -> str:
        return (
            f"roll Argo CD application {params.app} back to its last deployment before "
            f"{params.revision or 'the current revision'} (disables auto-sync)"
        )

    def prevalidate(self, params: ArgoRollbackParams) -> RemediationResult | None:
        app = self.argocd.get_application(params.app)
        stop = _blocked(app, params)
        return stop if isinstance(stop, RemediationResult) else None

    def execute(self, params: ArgoRollbackParams) -> RemediationResult:
        app = self.argocd.get_application(params.app)
        target = _blocked(app, params)
        if isinstance(target, RemediationResult):
            return target
        was_enabled = auto_sync_enabled(app)
        if was_enabled:
            self.argocd.disable_auto_sync(params.app)
        data = {"auto_sync_disabled": True, "auto_sync_was_enabled": was_enabled}
        history_id, revision = int(target["id"]), target.get("revision")
        try:
            self.argocd.rollback(params.app, history_id)
        except OperationInProgressError as exc:
            return deferred(exc, **data)
        return RemediationResult(
            status=RemediationStatus.SUCCEEDED,
            detail=f"rolled {params.app} back to history id {history_id} (revision {revision}); "
            "auto-sync is disabled and stays disabled until a person re-enables it",
            data={**data, "history_id": history_id, "revision": revision},
        )


def _blocked(app: KubeObject, params: ArgoRollbackParams) -> dict[str, Any] | RemediationResult:
    if operation_running(app):
        return busy(params.app)
    target = rollback_target(app, params.revision)
    if target is None:
        return aborted(f"{params.app} has no earlier deployment in its history to roll back to")
    return target


def current_revision(app: KubeObject) -> str | None:
    status = status_of(app)
    synced = (status.get("sync") or {}).get("revision")
    operated = ((status.get("operationState") or {}).get("syncResult") or {}).get("revision")
    return synced or operated


def rollback_target(app: KubeObject, bad_revision: str | None = None) -> dict[str, Any] | None:
    """The newest history entry older than the current revision.

    Argo CD appends to ``status.history`` only after a successful sync, so every entry is a
    revision that once deployed. "Current" is the revision that broke (from the incident, else
    the app's sync revision). If it is in the history, only entries before its newest
    appearance count; if it never deployed (its sync failed), all do. Entries of the current
    revision itself are skipped. Ties are broken by id: the higher id is the newer entry.
    """
    current = bad_revision or current_revision(app)
    history = sorted(status_of(app).get("history") or [], key=lambda h: int(h.get("id", 0)))
    positions = [i for i, entry in enumerate(history) if entry.get("revision") == current]
    older = history[: positions[-1]] if positions else history
    for entry in reversed(older):
        if entry.get("revision") and entry.get("revision") != current and "id" in entry:
            return entry
    return None
