from typing import ClassVar

from app.core.cluster_ports import ArgoCDApi, OperationInProgressError
from app.core.enums import ActionKind
from app.domain.remediators.argocd_app import (
    ArgoAppParams,
    busy,
    deferred,
    health_status,
    operation_running,
    sync_status,
)
from app.domain.remediators.base import RemediationResult, RemediationStatus, Risk


class ArgoSync:
    """POST /api/v1/applications/{name}/sync (no prune, no dry run)."""

    action: ClassVar[ActionKind] = ActionKind.ARGOCD_SYNC
    params_model: ClassVar[type[ArgoAppParams]] = ArgoAppParams
    risk: ClassVar[Risk] = Risk.MEDIUM
    reruns_workflow_run: ClassVar[bool] = False

    def __init__(self, argocd: ArgoCDApi):
        self.argocd = argocd

    def describe(self, params: ArgoAppParams) -> str:
        return f"sync Argo CD application {params.app}"

    def prevalidate(self, params: ArgoAppParams) -> RemediationResult | None:
        app = self.argocd.get_application(params.app)
        if operation_running(app):
            return busy(params.app)
        if sync_status(app) == "Synced" and health_status(app) == "Healthy":
            return RemediationResult(
                status=RemediationStatus.ALREADY_DONE,
                detail=f"{params.app} is already Synced and Healthy",
            )
        return None

    def execute(self, params: ArgoAppParams) -> RemediationResult:
        try:
            app = self.argocd.sync(params.app)
        except OperationInProgressError as exc:
            return deferred(exc)
        revision = ((app.get("operation") or {}).get("sync") or {}).get("revision")
        return RemediationResult(
            status=RemediationStatus.SUCCEEDED,
            detail=f"sync of {params.app} started",
            data={"revision": revision} if revision else {},
        )
