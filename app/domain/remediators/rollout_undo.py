import copy
from typing import Any, ClassVar

from app.core.cluster_ports import KubeObject, KubernetesApi
from app.core.enums import ActionKind
from app.domain.remediators.base import RemediationResult, RemediationStatus, Risk
from app.domain.remediators.k8s_workload import (
    Workload,
    WorkloadParams,
    aborted,
    resolve_workload,
)

REVISION = "deployment.kubernetes.io/revision"
TEMPLATE_HASH = "pod-template-hash"
# The Deployment keeps these of its own; every other annotation comes from the ReplicaSet
# rolled back to (as ``kubectl rollout undo`` does).
KEPT_ANNOTATIONS = frozenset(
    {
        "kubectl.kubernetes.io/last-applied-configuration",
        "deprecated.deployment.rollback.to",
        REVISION,
        "deployment.kubernetes.io/revision-history",
        "deployment.kubernetes.io/desired-replicas",
        "deployment.kubernetes.io/max-replicas",
    }
)


class RolloutUndo:
    """What ``kubectl rollout undo`` does for a Deployment: apps/v1 has no rollback call, so
    the pod template of the previous ReplicaSet (the highest revision below the current one)
    replaces the Deployment's, with a JSON patch of ``/spec/template`` and
    ``/metadata/annotations``; the controller then rolls the pods back.

    Refused for a paused Deployment (a rollout would not start), and done already when the
    Deployment runs that template. The patch tests the Deployment's resourceVersion, so a
    change made since it was read is never overwritten.
    """

    action: ClassVar[ActionKind] = ActionKind.ROLLOUT_UNDO
    params_model: ClassVar[type[WorkloadParams]] = WorkloadParams
    risk: ClassVar[Risk] = Risk.HIGH
    reruns_workflow_run: ClassVar[bool] = False

    def __init__(self, kube: KubernetesApi):
        self.kube = kube

    def describe(self, params: WorkloadParams) -> str:
        target = params.owner_name or f"the Deployment of pod {params.pod}"
        return f"rollout undo {target} in {params.namespace} to its previous ReplicaSet"

    def prevalidate(self, params: WorkloadParams) -> RemediationResult | None:
        found = self._target(params)
        return found if isinstance(found, RemediationResult) else None

    def execute(self, params: WorkloadParams) -> RemediationResult:
        found = self._target(params)
        if isinstance(found, RemediationResult):
            return found
        target, previous = found
        metadata = target.obj.get("metadata") or {}
        self.kube.replace_pod_template(
            params.namespace,
            target.name,
            template=_template(previous),
            annotations=_annotations(metadata.get("annotations") or {}, previous),
            resource_version=metadata.get("resourceVersion"),
        )
        name, revision = _name(previous), revision_of(previous)
        return RemediationResult(
            status=RemediationStatus.SUCCEEDED,
            detail=f"Deployment {params.namespace}/{target.name} rolled back to ReplicaSet "
            f"{name} (revision {revision})",
            data={"owner_name": target.name, "replicaset": name, "revision": revision},
        )

    def _target(self, params: WorkloadParams) -> tuple[Workload, KubeObject] | RemediationResult:
        target = resolve_workload(self.kube, params)
        if isinstance(target, RemediationResult):
            return target
        if target.kind != "Deployment":
            return aborted(f"{target.kind} {target.name} is not a Deployment: no rollout to undo")
        if (target.obj.get("spec") or {}).get("paused"):
            return aborted(
                f"Deployment {params.namespace}/{target.name} is paused: resume it first"
            )
        selector = ((target.obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        owned = [
            rs
            for rs in self.kube.list_replicasets(params.namespace, selector)
            if _owned_by(rs, target.obj)
        ]
        previous = previous_replicaset(owned, revision_of(target.obj))
        if previous is None:
            return aborted(f"Deployment {target.name} has no earlier ReplicaSet to go back to")
        if _same(_template(previous), _without_hash(target.template)):
            return RemediationResult(
                status=RemediationStatus.ALREADY_DONE,
                detail=f"Deployment {target.name} already runs the template of {_name(previous)}",
                data={"owner_name": target.name, "replicaset": _name(previous)},
            )
        return target, previous


def previous_replicaset(replicasets: list[KubeObject], current: int) -> KubeObject | None:
    """The ReplicaSet of the highest revision below ``current``."""
    earlier = [rs for rs in replicasets if 0 < revision_of(rs) < current]
    return max(earlier, key=revision_of) if earlier else None


def revision_of(obj: KubeObject) -> int:
    value = ((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION)
    if value is None:
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _owned_by(replicaset: KubeObject, deployment: KubeObject) -> bool:
    uid = (deployment.get("metadata") or {}).get("uid")
    name = (deployment.get("metadata") or {}).get("name")
    for ref in (replicaset.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller") and ref.get("kind") == "Deployment":
            return ref.get("uid") == uid if uid else ref.get("name") == name
    return False


def _template(replicaset: KubeObject) -> dict[str, Any]:
    return _without_hash((replicaset.get("spec") or {}).get("template") or {})


def _without_hash(template: dict[str, Any]) -> dict[str, Any]:
    """The template without the label the Deployment controller adds to each ReplicaSet's."""
    template = copy.deepcopy(template)
    labels = (template.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        labels.pop(TEMPLATE_HASH, None)
    return template


def _same(one: dict[str, Any], other: dict[str, Any]) -> bool:
    """Templates that differ only by an empty map the API may or may not write are the same."""
    return _pruned(one) == _pruned(other)


def _pruned(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _pruned(v) for k, v in value.items() if v not in ({}, [], None)}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def _annotations(current: dict[str, str], replicaset: KubeObject) -> dict[str, str]:
    kept = {key: value for key, value in current.items() if key in KEPT_ANNOTATIONS}
    taken = ((replicaset.get("metadata") or {}).get("annotations") or {}).items()
    return kept | {key: value for key, value in taken if key not in KEPT_ANNOTATIONS}


def _name(obj: KubeObject) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")
