from typing import ClassVar

from app.core.cluster_ports import Eviction, KubernetesApi
from app.core.enums import ActionKind
from app.domain.remediators.base import RemediationResult, RemediationStatus, Risk
from app.domain.remediators.k8s_workload import PodParams, aborted

# A disruption budget that refuses now may allow it once a replacement pod is ready.
DEFAULT_RETRY_AFTER = 60.0


class RestartPod:
    """POST /api/v1/namespaces/{ns}/pods/{name}/eviction: the controller starts a fresh pod.

    The Eviction API, not DELETE, so PodDisruptionBudgets hold. A 429 (the budget does not
    allow it now) is DEFERRED; after the service's bounded deferrals it escalates. There is
    no fallback to deleting the pod.
    """

    action: ClassVar[ActionKind] = ActionKind.RESTART_POD
    params_model: ClassVar[type[PodParams]] = PodParams
    risk: ClassVar[Risk] = Risk.MEDIUM
    reruns_workflow_run: ClassVar[bool] = False

    def __init__(self, kube: KubernetesApi):
        self.kube = kube

    def describe(self, params: PodParams) -> str:
        return f"evict pod {params.namespace}/{params.pod} so its controller starts a new one"

    def prevalidate(self, params: PodParams) -> RemediationResult | None:
        pod = self.kube.get_pod(params.namespace, params.pod)
        if pod is None:
            return aborted(f"pod {params.namespace}/{params.pod} no longer exists")
        metadata = pod.get("metadata") or {}
        if metadata.get("deletionTimestamp"):
            return RemediationResult(
                status=RemediationStatus.ALREADY_DONE,
                detail=f"pod {params.namespace}/{params.pod} is already terminating",
            )
        if not any(ref.get("controller") for ref in metadata.get("ownerReferences") or []):
            return aborted(
                f"pod {params.namespace}/{params.pod} has no controller: evicting it would "
                "remove it for good"
            )
        return None

    def execute(self, params: PodParams) -> RemediationResult:
        outcome = self.kube.evict_pod(params.namespace, params.pod)
        if outcome.result is Eviction.GONE:
            return aborted(f"pod {params.namespace}/{params.pod} no longer exists")
        if outcome.result is Eviction.REFUSED:
            return RemediationResult(
                status=RemediationStatus.DEFERRED,
                detail=f"a PodDisruptionBudget does not allow evicting {params.namespace}/"
                f"{params.pod} now",
                retry_after=outcome.retry_after or DEFAULT_RETRY_AFTER,
            )
        return RemediationResult(
            status=RemediationStatus.SUCCEEDED,
            detail=f"eviction of pod {params.namespace}/{params.pod} accepted",
            data={"namespace": params.namespace, "pod": params.pod},
        )
