import math
from typing import Any, ClassVar

from app.core.cluster_ports import KubeObject, KubernetesApi
from app.core.enums import ActionKind
from app.core.errors import ConfigurationError
from app.domain.remediators.base import RemediationResult, RemediationStatus, Risk
from app.domain.remediators.gitops import GitOpsMemory, MemoryRaise
from app.domain.remediators.k8s_quantity import format_memory, parse_quantity
from app.domain.remediators.k8s_workload import (
    Workload,
    WorkloadParams,
    aborted,
    resolve_workload,
)

FACTOR = 1.5


class ScaleMemoryParams(WorkloadParams):
    diagnosis: str = ""  # the analysis' root cause, for a pull request's description


class ScaleMemory:
    """Raise the OOM-killed container's memory limit ×1.5, capped at K8S_MAX_MEMORY, with a
    strategic merge patch on the owning workload's pod template (containers merge by name).

    The baseline is the limit the OOM-killed pod ran with; a template already above it means
    the raise happened (by us on an earlier try, or by someone), so it is not raised twice.
    Needing approval is the rules file's business, not this class's.

    A workload Argo CD manages (``gitops``, when Argo CD and GitHub are both configured) is
    not patched live, which Argo CD would revert: the raise is proposed as a pull request to
    the app's manifests on GitHub (app/domain/remediators/gitops.py).
    """

    action: ClassVar[ActionKind] = ActionKind.SCALE_MEMORY
    params_model: ClassVar[type[ScaleMemoryParams]] = ScaleMemoryParams
    risk: ClassVar[Risk] = Risk.MEDIUM
    reruns_workflow_run: ClassVar[bool] = False

    def __init__(
        self,
        kube: KubernetesApi,
        *,
        max_memory: str = "4Gi",
        factor: float = FACTOR,
        gitops: GitOpsMemory | None = None,
    ):
        self.kube = kube
        self.gitops = gitops
        self.max_memory = max_memory
        try:
            self.max_bytes = parse_quantity(max_memory)
        except ValueError as exc:
            raise ConfigurationError(f"K8S_MAX_MEMORY={max_memory!r}: {exc}") from exc
        self.factor = factor

    def describe(self, params: WorkloadParams) -> str:
        return (
            f"raise the memory limit of container {params.container or '(the only one)'} of "
            f"{params.owner_name or 'the workload of pod ' + str(params.pod)} in "
            f"{params.namespace} ×{self.factor} (at most {self.max_memory})"
        )

    def prevalidate(self, params: WorkloadParams) -> RemediationResult | None:
        plan = self._plan(params)
        return plan if isinstance(plan, RemediationResult) else None

    def execute(self, params: ScaleMemoryParams) -> RemediationResult:
        plan = self._plan(params)
        if isinstance(plan, RemediationResult):
            return plan
        target, container, old, new = plan
        source = self.gitops.source_of(target) if self.gitops is not None else None
        if isinstance(source, RemediationResult):
            return source
        if source is not None and self.gitops is not None:
            raised = MemoryRaise(target, container, old, new, params.diagnosis)
            return self.gitops.propose(source, raised)
        patch = {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {"name": container, "resources": {"limits": {"memory": new}}}
                        ]
                    }
                }
            }
        }
        self.kube.patch_workload(params.namespace, target.kind, target.name, patch)
        return RemediationResult(
            status=RemediationStatus.SUCCEEDED,
            detail=f"memory limit of {target.kind} {target.name} container {container} "
            f"raised from {old} to {new}",
            data={
                "owner_kind": target.kind,
                "owner_name": target.name,
                "container": container,
                "from": old,
                "to": new,
            },
        )

    def _plan(self, params: WorkloadParams) -> tuple[Workload, str, str, str] | RemediationResult:
        target = resolve_workload(self.kube, params, with_pod=True)
        if isinstance(target, RemediationResult):
            return target
        container = _pick(target.containers(), params.container)
        if container is None:
            return aborted(
                f"{target.kind} {target.name} has no container "
                f"{params.container or '(several; the incident names none)'}"
            )
        name = container["name"]
        template_limit = _limit(container)
        if template_limit is None:
            return aborted(f"container {name} has no memory limit to raise")
        baseline = _pod_limit(target.pod, name) or template_limit
        try:
            template_bytes, baseline_bytes = (
                parse_quantity(template_limit),
                parse_quantity(baseline),
            )
        except ValueError as exc:
            return aborted(str(exc))
        if template_bytes > baseline_bytes:
            return RemediationResult(
                status=RemediationStatus.ALREADY_DONE,
                detail=f"container {name} limit is already {template_limit} (the pod had {baseline})",
            )
        if baseline_bytes >= self.max_bytes:
            return aborted(
                f"container {name} is already at the maximum memory limit "
                f"({baseline}, K8S_MAX_MEMORY={self.max_memory})"
            )
        raised = math.ceil(baseline_bytes * self.factor)
        new = self.max_memory if raised >= self.max_bytes else format_memory(raised)
        return target, name, baseline, new


def _pick(containers: list[dict[str, Any]], wanted: str | None) -> dict[str, Any] | None:
    if wanted:
        return next((c for c in containers if c.get("name") == wanted), None)
    return containers[0] if len(containers) == 1 else None


def _limit(container: dict[str, Any]) -> str | None:
    return ((container.get("resources") or {}).get("limits") or {}).get("memory")


def _pod_limit(pod: KubeObject | None, name: str) -> str | None:
    if pod is None:
        return None
    containers = (pod.get("spec") or {}).get("containers") or []
    return next((_limit(c) for c in containers if c.get("name") == name), None)
