from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from app.core.cluster_ports import KubernetesApi
from app.core.enums import ActionKind
from app.domain.remediators.base import RemediationResult, RemediationStatus, Risk
from app.domain.remediators.k8s_workload import Workload, WorkloadParams, resolve_workload

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"


def _utcnow() -> datetime:
    return datetime.now(UTC)


class RolloutRestart:
    """What ``kubectl rollout restart`` does: stamp the pod template's ``restartedAt``
    annotation with a strategic merge patch, so the controller rolls every pod.

    A restart stamped less than ``min_interval`` ago counts as done: two decisions about the
    same workload a second apart make one rollout, not two.
    """

    action: ClassVar[ActionKind] = ActionKind.ROLLOUT_RESTART
    params_model: ClassVar[type[WorkloadParams]] = WorkloadParams
    risk: ClassVar[Risk] = Risk.MEDIUM
    reruns_workflow_run: ClassVar[bool] = False

    def __init__(
        self,
        kube: KubernetesApi,
        *,
        min_interval: timedelta = timedelta(minutes=2),
        clock: Callable[[], datetime] = _utcnow,
    ):
        self.kube = kube
        self.min_interval = min_interval
        self.clock = clock

    def describe(self, params: WorkloadParams) -> str:
        target = (
            f"{params.owner_kind} {params.owner_name}"
            if params.owner_name
            else f"the workload of pod {params.pod}"
        )
        return f"rollout restart {target} in {params.namespace}"

    def prevalidate(self, params: WorkloadParams) -> RemediationResult | None:
        target = resolve_workload(self.kube, params)
        if isinstance(target, RemediationResult):
            return target
        restarted = last_restart(target)
        if restarted is not None and self.clock() - restarted < self.min_interval:
            return RemediationResult(
                status=RemediationStatus.ALREADY_DONE,
                detail=f"{target.kind} {target.name} was restarted at {restarted.isoformat()}",
                data={"owner_kind": target.kind, "owner_name": target.name},
            )
        return None

    def execute(self, params: WorkloadParams) -> RemediationResult:
        target = resolve_workload(self.kube, params)
        if isinstance(target, RemediationResult):
            return target
        stamp = self.clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
        self.kube.patch_workload(params.namespace, target.kind, target.name, patch)
        return RemediationResult(
            status=RemediationStatus.SUCCEEDED,
            detail=f"rollout restart of {target.kind} {params.namespace}/{target.name} requested",
            data={"owner_kind": target.kind, "owner_name": target.name, "restarted_at": stamp},
        )


def last_restart(target: Workload) -> datetime | None:
    value = ((target.template.get("metadata") or {}).get("annotations") or {}).get(RESTARTED_AT)
    if not value:
        return None
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
