from typing import ClassVar

from app.core.cluster_ports import ArgoCDApi
from app.core.enums import ActionKind
from app.domain.remediators.argocd_app import ArgoAppParams, health_status, sync_status
from app.domain.remediators.base import RemediationResult, RemediationStatus, Risk


class ArgoHardRefresh:
    """GET /api/v1/applications/{name}?refresh=hard: drop the cached manifests and compare
    again (a stale repo-server cache is a common cause of a comparison error)."""

    action: ClassVar[ActionKind] = ActionKind.ARGOCD_HARD_REFRESH
    params_model: ClassVar[type[ArgoAppParams]] = ArgoAppParams
    risk: ClassVar[Risk] = Risk.LOW
    reruns_workflow_run: ClassVar[bool] = False

    def __init__(self, argocd: ArgoCDApi):
        self.argocd = argocd

    def describe(self, params: ArgoAppParams) -> str:
        return f"hard-refresh Argo CD application {params.app}"

    def prevalidate(self, params: ArgoAppParams) -> RemediationResult | None:
        return None  # a refresh changes nothing in the cluster; it is always safe to ask for

    def execute(self, params: ArgoAppParams) -> RemediationResult:
        app = self.argocd.get_application(params.app, refresh="hard")
        return RemediationResult(
            status=RemediationStatus.SUCCEEDED,
            detail=f"hard refresh of {params.app} requested",
            data={"sync_status": sync_status(app), "health_status": health_status(app)},
        )
