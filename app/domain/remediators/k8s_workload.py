"""Shared by the Kubernetes remediators: params naming a pod or workload, and finding the
Deployment or StatefulSet that owns a pod (pod → ReplicaSet → Deployment, via ownerReferences)."""

from dataclasses import dataclass
from typing import Any

from pydantic import model_validator

from app.core.cluster_ports import KubeObject, KubernetesApi
from app.core.names import DnsLabel, DnsSubdomain
from app.domain.remediators.base import RemediationResult, RemediationStatus, StrictParams

WORKLOAD_KINDS = ("Deployment", "StatefulSet")


class PodParams(StrictParams):
    namespace: DnsLabel
    pod: DnsSubdomain


class WorkloadParams(StrictParams):
    """A pod (whose owner is looked up) or the workload itself."""

    namespace: DnsLabel
    pod: DnsSubdomain | None = None
    container: DnsLabel | None = None
    owner_kind: str | None = None
    owner_name: DnsSubdomain | None = None

    @model_validator(mode="after")
    def _names_a_target(self) -> "WorkloadParams":
        if self.pod is None and not (self.owner_kind in WORKLOAD_KINDS and self.owner_name):
            raise ValueError("a pod, or a Deployment/StatefulSet owner_kind and owner_name")
        return self


@dataclass(frozen=True)
class Workload:
    kind: str
    name: str
    obj: KubeObject
    pod: KubeObject | None = None

    @property
    def template(self) -> dict[str, Any]:
        return (self.obj.get("spec") or {}).get("template") or {}

    def containers(self) -> list[dict[str, Any]]:
        return (self.template.get("spec") or {}).get("containers") or []


def resolve_workload(
    kube: KubernetesApi, params: WorkloadParams, *, with_pod: bool = False
) -> Workload | RemediationResult:
    """The owning Deployment/StatefulSet, or the ABORTED result that explains why there is none.

    With a named owner the pod is only read when ``with_pod`` asks for it.
    """
    pod = None
    if params.owner_kind in WORKLOAD_KINDS and params.owner_name:
        kind, name = params.owner_kind, params.owner_name
        if with_pod and params.pod:
            pod = kube.get_pod(params.namespace, params.pod)
    elif params.pod is None:  # WorkloadParams refuses this; said here for the type checker too
        return aborted("neither a pod nor a Deployment/StatefulSet owner is named")
    else:
        pod = kube.get_pod(params.namespace, params.pod)
        if pod is None:
            return aborted(f"pod {params.namespace}/{params.pod} no longer exists")
        owners = [o for o in kube.owner_chain(params.namespace, pod) if o[0] in WORKLOAD_KINDS]
        if not owners:
            return aborted(
                f"pod {params.namespace}/{params.pod} is not managed by a Deployment or StatefulSet"
            )
        kind, name = owners[0]
    obj = kube.get_workload(params.namespace, kind, name)
    if obj is None:
        return aborted(f"{kind} {params.namespace}/{name} no longer exists")
    return Workload(kind=kind, name=name, obj=obj, pod=pod)


def aborted(detail: str) -> RemediationResult:
    return RemediationResult(status=RemediationStatus.ABORTED, detail=detail)
